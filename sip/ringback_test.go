package sip_test

import (
	"context"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/media"
	"parley.dev/parley/media/tone"
)

// ringFrames counts the 20 ms frames of pcm holding the US ringback tone (440 + 480 Hz),
// and the frames of silence that follow the first ones.
func ringFrames(pcm []int16) (ring, silentAfter int) {
	g440 := tone.NewGoertzel(440, media.SampleRate)
	g480 := tone.NewGoertzel(480, media.SampleRate)
	g500 := tone.NewGoertzel(500, media.SampleRate) // the PIN prompt of TonePrompts
	for i := 0; i+media.Frame20 <= len(pcm); i += media.Frame20 {
		f := pcm[i : i+media.Frame20]
		switch {
		case tone.RMS(f) > 300 && g440.Ratio(f) > 0.3 && g480.Ratio(f) > 0.3 && g500.Ratio(f) < g480.Ratio(f):
			ring++
		case ring > 0 && tone.RMS(f) < 50:
			silentAfter++
		}
	}
	return ring, silentAfter
}

func TestRingback(t *testing.T) {
	h := newHarness(t, func(c *sipConfig, _ *harness) { c.AnswerTimeout = time.Minute })
	h.trunk.SetAnswer(false) // rings until cancelled
	p := h.phone()
	h.dial(p, pin, dialed)
	select {
	case <-h.trunk.Invites:
	case <-time.After(guard):
		t.Fatal("no call reached the trunk")
	}
	waitFor(t, "the dialing record", func() bool {
		_, hist := h.calls.All()
		return len(hist) == 1 && hist[0][len(hist[0])-1] == parley.CallDialing
	})
	from := len(p.Media.Received()) // the IVR is over: what follows is ringback
	// A whole burst (2 s) and part of the pause (4 s) that follows.
	waitFor(t, "ringback", func() bool {
		ring, silent := ringFrames(p.Media.Received()[from:])
		return ring >= 50 && silent >= 25
	})
	if err := p.Hangup(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.trunk.Cancelled:
	case <-time.After(guard):
		t.Fatal("the trunk call was not cancelled")
	}
	rec, _ := h.final()
	if rec.Status != parley.CallDropped || rec.Reason != "inmate_hangup_before_connect" {
		t.Errorf("status %q reason %q", rec.Status, rec.Reason)
	}
}

// The ringback stops when the called party answers: the inmate then hears them.
func TestRingbackStopsOnAnswer(t *testing.T) {
	h := newHarness(t)
	p := h.phone()
	bridgedCall(t, h, p)
	from := len(p.Media.Received())
	heardMore(t, "the called party", p.Media, toneB, heardMany)
	if ring, _ := ringFrames(p.Media.Received()[from:]); ring > 0 {
		t.Errorf("%d frames of ringback after the answer", ring)
	}
	if err := p.Hangup(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rec, _ := h.final(); rec.Status != parley.CallCompleted {
		t.Errorf("status %q", rec.Status)
	}
}
