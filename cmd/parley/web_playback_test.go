package main

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"parley.dev/parley"
)

// TestWebPlaybackRanges: a browser's Range requests on a recording are served (206 with
// Content-Range, bytes matching the whole), one playback session is one audit event, a
// new purpose is a new session, and a recording registered privileged mid-session is
// refused at the next request.
func TestWebPlaybackRanges(t *testing.T) {
	w := newMatrixWorld(t)
	inv := w.signIn(t, "investigator-plain")
	aud := w.signIn(t, "auditor-plain")
	rec := w.recs["cnty"]
	path := "/api/v1/recordings/" + rec + "?purpose=seek&case=R-1"
	get := func(p, rng string) (*http.Response, []byte) {
		t.Helper()
		h := http.Header{}
		if rng != "" {
			h.Set("Range", rng)
		}
		resp := inv.raw("GET", p, nil, h)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, whole := get(path, "")
	if resp.StatusCode != 200 || resp.Header.Get("Accept-Ranges") != "bytes" || !bytes.HasPrefix(whole, []byte("RIFF")) {
		t.Fatalf("whole recording: %d %v", resp.StatusCode, resp.Header)
	}
	for _, c := range []struct {
		rng        string
		from, to   int
		wantStatus int
	}{{"bytes=0-99", 0, 100, 206}, {"bytes=100-199", 100, 200, 206}, {"bytes=-10", len(whole) - 10, len(whole), 206}} {
		resp, b := get(path, c.rng)
		if resp.StatusCode != c.wantStatus || !bytes.Equal(b, whole[c.from:c.to]) || !strings.HasPrefix(resp.Header.Get("Content-Range"), "bytes ") {
			t.Fatalf("range %s: %d %q, %d bytes", c.rng, resp.StatusCode, resp.Header.Get("Content-Range"), len(b))
		}
	}
	if resp, _ := get(path, "bytes=999999999-"); resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Fatalf("range past the end: %d", resp.StatusCode)
	}
	reads := func() int {
		n := 0
		for _, e := range auditEvents(t, aud) {
			if e.Action == "recording.read" && e.Object == "recording:"+rec && e.Outcome == parley.OutcomeOK {
				n++
			}
		}
		return n
	}
	if n := reads(); n != 1 {
		t.Fatalf("%d recording.read events for one playback session, want 1", n)
	}
	if resp, _ := get("/api/v1/recordings/"+rec+"?purpose=another+review&case=R-2", "bytes=0-9"); resp.StatusCode != 206 {
		t.Fatalf("a second purpose: %d", resp.StatusCode)
	}
	if n := reads(); n != 2 {
		t.Fatalf("%d recording.read events after a second purpose, want 2", n)
	}
	// Registered privileged mid-session: the next Range request is refused.
	adm := w.signIn(t, "admin-plain")
	if status, b := adm.do("POST", "/api/v1/privileged", map[string]string{"number": "+14155552671", "kind": "attorney"}); status != http.StatusCreated {
		t.Fatalf("register: %d %s", status, b)
	}
	if resp, b := get(path, "bytes=0-99"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("privileged mid-session: %d %s", resp.StatusCode, b)
	}
}
