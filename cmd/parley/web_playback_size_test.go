package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"parley.dev/parley/media/g711"
	"parley.dev/parley/media/wav"
)

// streamedCall imports one 5-second call whose WAV carries the streaming header parley's
// own recorder writes (sizes 0xFFFFFFFF), and returns the call id, the recording id and the
// μ-law audio after the header.
func streamedCall(t *testing.T, c *cli) (callID, recID string, audio []byte) {
	t.Helper()
	dir := t.TempDir()
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Sam Doe", "--pin", "73915486")
	pcm := make([]int16, 5*8000)
	for i := range pcm { // a rising tone, so every stretch of bytes differs
		pcm[i] = int16(6000 * math.Sin(2*math.Pi*float64(200+i/100)*float64(i)/8000))
	}
	audio = make([]byte, len(pcm))
	g711.UlawEncode(audio, pcm)
	h := wav.Header{Format: wav.MuLaw, Channels: 1, SampleRate: 8000, DataSize: wav.UnknownSize}
	if err := os.WriteFile(filepath.Join(dir, "call.wav"), append(h.Bytes(), audio...), 0o600); err != nil {
		t.Fatal(err)
	}
	csv := "facility_id,inmate_id,inmate_name,called_number,started_at,duration_seconds,recording_file\n" +
		"cnty,A1001,Sam Doe,+14155552671,2026-11-22T10:00:00Z,5,call.wav\n"
	if err := os.WriteFile(filepath.Join(dir, "calls.csv"), []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	c.ok("import", "calls", "--file", filepath.Join(dir, "calls.csv"), "--recordings", dir)
	calls := searchNumber(t, c, "+14155552671")
	if len(calls) != 1 || calls[0].RecordingID == "" {
		t.Fatalf("calls %+v", calls)
	}
	return calls[0].ID, calls[0].RecordingID, audio
}

// checkExactHeader fails unless b is a μ-law WAV whose RIFF, fact and data sizes are those
// of b itself, followed by audio.
func checkExactHeader(t *testing.T, what string, b, audio []byte) {
	t.Helper()
	const hl = 58
	if len(b) != hl+len(audio) || !bytes.Equal(b[hl:], audio) {
		t.Fatalf("%s: %d bytes, want the %d-byte header and the %d bytes of audio", what, len(b), hl, len(audio))
	}
	riff, frames, data := binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint32(b[46:]), binary.LittleEndian.Uint32(b[54:])
	if int(riff) != len(b)-8 || int(data) != len(audio) || int(frames) != len(audio) {
		t.Fatalf("%s: RIFF %d (want %d), fact %d, data %d (want %d)", what, riff, len(b)-8, frames, data, len(audio))
	}
}

// TestRecordingHeaderSizes: a recording stored with the streaming header is exported by
// `recordings get --out` and served to the web with the exact sizes, and a Range request in
// the middle returns those bytes of the audio.
func TestRecordingHeaderSizes(t *testing.T) {
	c := newCLI(t)
	_, rec, audio := streamedCall(t, c)
	out := filepath.Join(t.TempDir(), "call.wav")
	c.ok("recordings", "get", rec, "--out", out, "--purpose", "review")
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	checkExactHeader(t, "recordings get --out", b, audio)
	stdout := c.ok("recordings", "get", rec, "--out", "-", "--purpose", "review")
	checkExactHeader(t, "recordings get --out -", []byte(stdout), audio)

	const pw = "playback password 1"
	secret := addStaff(t, c, "Ines Investigator", "investigator", "--facility", "cnty", pw)
	srv := startWeb(t, c)
	inv := signIn(t, c, srv.base, "Ines Investigator", pw, secret)
	path := "/api/v1/recordings/" + rec + "?purpose=seek&case=R-1"
	get := func(rng string) (*http.Response, []byte) {
		t.Helper()
		h := http.Header{}
		if rng != "" {
			h.Set("Range", rng)
		}
		resp := inv.raw("GET", path, nil, h)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, whole := get("")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Length") != fmt.Sprint(58+len(audio)) {
		t.Fatalf("whole: %d, Content-Length %q", resp.StatusCode, resp.Header.Get("Content-Length"))
	}
	checkExactHeader(t, "web playback", whole, audio)
	from, to := 58+20000, 58+21999
	resp, part := get(fmt.Sprintf("bytes=%d-%d", from, to))
	want := fmt.Sprintf("bytes %d-%d/%d", from, to, len(whole))
	if resp.StatusCode != http.StatusPartialContent || resp.Header.Get("Content-Range") != want || !bytes.Equal(part, audio[20000:22000]) {
		t.Fatalf("middle range: %d %q (want %q), %d bytes", resp.StatusCode, resp.Header.Get("Content-Range"), want, len(part))
	}
	resp, head := get("bytes=0-57")
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(head, whole[:58]) {
		t.Fatalf("header range: %d, %d bytes", resp.StatusCode, len(head))
	}
}

// TestBrowserRecordingDurationAndSeek: in headless Chromium the <audio> element of a
// 5-second call recorded with the streaming header shows a duration of 5 s (not 149 hours)
// and seeks to the middle.
func TestBrowserRecordingDurationAndSeek(t *testing.T) {
	ctx := newBrowser(t)
	dir := artifactDir(t)
	c := newCLI(t)
	callID, _, _ := streamedCall(t, c)
	const pw = "browser password 1"
	secret := addStaff(t, c, "Ines Investigator", "investigator", "--facility", "cnty", pw)
	srv := startWeb(t, c)
	browserSignIn(t, ctx, c, srv.base, "Ines Investigator", pw, secret)
	openCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := chromedp.Do(openCtx,
		chromedp.Navigate(srv.base+"/calls/"+callID+"?purpose=case+review&case=2026-114"),
		chromedp.WaitVisible(chromedp.CSS("#playback")),
	)
	if err != nil {
		t.Fatalf("open call: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const a = document.getElementById('playback'); return a.readyState >= 1 && a.duration > 0; })()`,
		chromedp.WithPollingTimeout(browserGuard/2))); err != nil {
		t.Fatalf("no duration: %v", err)
	}
	d, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.getElementById('playback').duration`))
	if err != nil {
		t.Fatal(err)
	}
	if d < 4.9 || d > 5.1 {
		t.Fatalf("audio duration %v s, want the call's 5 s", d)
	}
	seeked, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`new Promise(done => {
		const a = document.getElementById('playback');
		a.addEventListener('seeked', () => done({time: a.currentTime, seekable: a.seekable.length ? a.seekable.end(0) : 0}), {once: true});
		a.currentTime = 3.5;
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("seek: %v", err)
	}
	if tm, _ := seeked["time"].(float64); tm < 3.4 || tm > 3.6 {
		t.Fatalf("after seeking to 3.5 s: %v", seeked)
	}
	if end, _ := seeked["seekable"].(float64); end < 4.9 {
		t.Fatalf("seekable range %v", seeked)
	}
	shot(t, ctx, dir, "01-call-5s-seeked")
	t.Logf("audio element: duration %v, %v", d, seeked)
}
