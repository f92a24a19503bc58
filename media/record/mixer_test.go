package record

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/pion/rtp"

	"parley.dev/parley"
	"parley.dev/parley/media/g711"
	"parley.dev/parley/media/tone"
	"parley.dev/parley/media/wav"
)

const rate = 8000

type packet struct {
	leg     Leg
	arrival time.Time
	h       rtp.Header
	payload []byte
}

// legPackets returns a leg's packets: a tone of freq Hz from start for dur, frames of n
// samples, its own random SSRC/seq/ts, law, arriving on time plus jitter.
func legPackets(rng *rand.Rand, l Leg, law g711.Law, freq float64, t0 time.Time, start, dur time.Duration, n int, jitter time.Duration) []packet {
	gen := tone.NewSine(freq, 9000, rate)
	seq, ts, ssrc := uint16(rng.Uint32()), rng.Uint32(), rng.Uint32()
	var out []packet
	for off := time.Duration(0); off < dur; off += time.Duration(n) * time.Second / rate {
		pcm := make([]int16, n)
		gen.Fill(pcm)
		payload := make([]byte, n)
		law.Encode(payload, pcm)
		j := time.Duration(rng.Int64N(int64(jitter) + 1))
		out = append(out, packet{l, t0.Add(start + off + time.Duration(n)*time.Second/rate + j),
			rtp.Header{Version: 2, PayloadType: law.PayloadType(), SequenceNumber: seq, Timestamp: ts, SSRC: ssrc}, payload})
		seq++
		ts += uint32(n)
	}
	return out
}

func channel(s []int16, ch int) []int16 {
	out := make([]int16, len(s)/2)
	for i := range out {
		out[i] = s[2*i+ch]
	}
	return out
}

// TestMixerTwoLegs records leg A (600 Hz, PCMU, 20 ms, 3 s from t=0, packets 1.0–1.2 s
// lost) and leg B (1400 Hz, PCMA, 30 ms, from t=0.5 s for 2.4 s, with duplicates) with
// arrival jitter and reordering, decodes the WAV and checks each channel's content, length
// and the gap.
func TestMixerTwoLegs(t *testing.T) {
	for _, format := range []wav.Format{wav.MuLaw, wav.PCM16} {
		rng := rand.New(rand.NewPCG(7, uint64(format)))
		t0 := time.Unix(1_700_000_000, 0)
		a := legPackets(rng, LegA, g711.PCMU, 600, t0, 0, 3*time.Second, 160, 0)
		a = append(a[:50:50], a[60:]...) // 200 ms lost at 1.0 s
		a[0].arrival = t0                // the call's first packet defines the origin
		b := legPackets(rng, LegB, g711.PCMA, 1400, t0, 500*time.Millisecond, 2400*time.Millisecond, 240, 40*time.Millisecond)
		for i := 0; i < len(b); i += 7 {
			d := b[i]
			d.arrival = d.arrival.Add(15 * time.Millisecond)
			b = append(b, d) // duplicates
		}
		all := append(a, b...)
		sort.SliceStable(all, func(i, j int) bool { return all[i].arrival.Before(all[j].arrival) })

		var buf bytes.Buffer
		m, err := NewMixer(&buf, Options{Format: format})
		if err != nil {
			t.Fatal(err)
		}
		streamingHeader := append([]byte(nil), buf.Bytes()...)
		for _, p := range all {
			if err := m.Push(p.leg, p.arrival, &p.h, p.payload); err != nil {
				t.Fatal(err)
			}
		}
		final, err := m.Finish()
		if err != nil {
			t.Fatal(err)
		}
		st := m.Stats()
		if st.Duplicates == 0 || st.Late != 0 || st.Reanchors != 0 {
			t.Errorf("%v: stats %+v", format, st)
		}
		if len(final) != len(streamingHeader) {
			t.Fatalf("final header %d bytes, streaming %d", len(final), len(streamingHeader))
		}

		for name, file := range map[string][]byte{
			"streaming": buf.Bytes(),
			"final":     append(append([]byte(nil), final...), buf.Bytes()[len(final):]...),
		} {
			h, samples, err := wav.ReadAll(bytes.NewReader(file))
			if err != nil {
				t.Fatal(err)
			}
			if h.Channels != 2 || h.SampleRate != rate || h.Format != format {
				t.Fatalf("%s header %+v", name, h)
			}
			left, right := channel(samples, 0), channel(samples, 1)
			if len(left) != 3*rate {
				t.Fatalf("%v %s: %d frames, want %d (3 s: the end of leg A)", format, name, len(left), 3*rate)
			}
			checkChannel(t, "left", left, 600, [][2]float64{{0, 1.0}, {1.2, 3.0}})
			checkChannel(t, "right", right, 1400, [][2]float64{{0.5, 2.9}})
			// The gap is exact on leg A, whose first packet set the origin.
			for i := rate; i < rate*12/10; i++ {
				if left[i] != 0 {
					t.Fatalf("left sample %d in the lost gap is %d, want silence", i, left[i])
				}
			}
		}
		if format == wav.MuLaw {
			soxReads(t, buf.Bytes())
		}
	}
}

// checkChannel checks 20 ms frames: inside the tone spans (trimmed by 40 ms for the
// jitter of a leg's anchor) the tone holds 90% of the energy; outside them, silence.
func checkChannel(t *testing.T, name string, s []int16, freq float64, spans [][2]float64) {
	t.Helper()
	g := tone.NewGoertzel(freq, rate)
	for f := 0; f+160 <= len(s); f += 160 {
		start, end := float64(f)/rate, float64(f+160)/rate
		inside, near := false, false
		for _, sp := range spans {
			inside = inside || start >= sp[0]+0.04 && end <= sp[1]-0.04
			near = near || end > sp[0]-0.04 && start < sp[1]+0.04
		}
		frame := s[f : f+160]
		switch {
		case inside:
			if r := g.Ratio(frame); r < 0.9 || tone.RMS(frame) < 3000 {
				t.Fatalf("%s %.2f s: tone ratio %.2f, rms %.0f; want the %v Hz tone", name, start, r, tone.RMS(frame), freq)
			}
		case !near:
			if rms := tone.RMS(frame); rms != 0 {
				t.Fatalf("%s %.2f s: rms %.0f, want silence", name, start, rms)
			}
		}
	}
}

// soxReads checks, when sox is installed, that an independent reader accepts the stream.
func soxReads(t *testing.T, file []byte) {
	sox, err := exec.LookPath("sox")
	if err != nil {
		t.Log("sox not installed; skipping the independent reader")
		return
	}
	p := filepath.Join(t.TempDir(), "call.wav")
	if err := os.WriteFile(p, file, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sox, "--i", "-c", p).CombinedOutput()
	if err != nil || !bytes.HasPrefix(bytes.TrimSpace(out), []byte("2")) {
		t.Errorf("sox --i -c: %s %v", out, err)
	}
}

func TestMixerLateAndReanchor(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	t0 := time.Unix(0, 0)
	a := legPackets(rng, LegA, g711.PCMU, 600, t0, 0, 2*time.Second, 160, 0)
	var buf bytes.Buffer
	m, _ := NewMixer(&buf, Options{Window: 100 * time.Millisecond})
	for i, p := range a {
		if i == 10 {
			continue // arrives 1 s late, beyond the window
		}
		m.Push(p.leg, p.arrival, &p.h, p.payload)
	}
	late := a[10]
	m.Push(late.leg, late.arrival.Add(time.Second), &late.h, late.payload)
	// The phone restarts its stream: new SSRC and timestamps, 500 ms after its last packet.
	b := legPackets(rng, LegA, g711.PCMU, 600, t0, 2500*time.Millisecond, 500*time.Millisecond, 160, 0)
	for _, p := range b {
		m.Push(p.leg, p.arrival, &p.h, p.payload)
	}
	// Comfort noise and telephone-events are not audio.
	m.Push(LegB, t0, &rtp.Header{PayloadType: 13}, []byte{40})
	m.Push(LegB, t0, &rtp.Header{PayloadType: 101}, []byte{1, 10, 0, 160})
	if _, err := m.Finish(); err != nil {
		t.Fatal(err)
	}
	st := m.Stats()
	if st.Late != 1 || st.Reanchors != 1 || st.Ignored != 2 {
		t.Errorf("stats %+v", st)
	}
	_, s, err := wav.ReadAll(&buf)
	if err != nil {
		t.Fatal(err)
	}
	left := channel(s, 0)
	if len(left) != 3*rate {
		t.Fatalf("%d frames, want %d", len(left), 3*rate)
	}
	if rms := tone.RMS(left[1600:1760]); rms != 0 {
		t.Errorf("late packet's slot has rms %.0f, want silence", rms)
	}
	if rms := tone.RMS(left[2*rate+160 : 2*rate+3840]); rms != 0 {
		t.Errorf("pause before the restart has rms %.0f, want silence", rms)
	}
	if r := tone.EnergyRatio(left[2*rate+4160:2*rate+4320], 600, rate); r < 0.9 {
		t.Errorf("restarted stream not placed after the pause: ratio %.2f", r)
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, errors.New("disk full")
	}
	w.n--
	return len(p), nil
}

func TestMixerWriteError(t *testing.T) {
	if _, err := NewMixer(&failWriter{}, Options{}); !parley.IsKind(err, parley.KindUnavailable) {
		t.Errorf("header write: %v", err)
	}
	m, _ := NewMixer(&failWriter{n: 1}, Options{})
	rng := rand.New(rand.NewPCG(1, 2))
	var err error
	for _, p := range legPackets(rng, LegA, g711.PCMU, 600, time.Unix(0, 0), 0, time.Second, 160, 0) {
		if err = m.Push(p.leg, p.arrival, &p.h, p.payload); err != nil {
			break
		}
	}
	if !parley.IsKind(err, parley.KindUnavailable) {
		t.Errorf("audio write: %v", err)
	}
	if _, err := m.Finish(); err == nil {
		t.Error("Finish after a write error succeeded")
	}
	if _, err := NewMixer(&bytes.Buffer{}, Options{Format: wav.ALaw}); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("A-law output: %v", err)
	}
}

func BenchmarkMixerPush(b *testing.B) {
	m, _ := NewMixer(discard{}, Options{})
	payload := bytes.Repeat([]byte{0x55}, 160)
	var ha, hb rtp.Header
	hb.PayloadType, hb.SSRC = 8, 2
	t0 := time.Unix(0, 0)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		now := t0.Add(time.Duration(i) * 20 * time.Millisecond)
		m.Push(LegA, now, &ha, payload)
		m.Push(LegB, now, &hb, payload)
		ha.SequenceNumber++
		ha.Timestamp += 160
		hb.SequenceNumber++
		hb.Timestamp += 160
		i++
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
