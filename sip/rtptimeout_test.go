package sip_test

import (
	"testing"
	"time"

	"parley.dev/parley"
)

func TestRTPTimeout(t *testing.T) {
	for _, side := range []string{"inmate", "called"} {
		t.Run(side, func(t *testing.T) {
			h := newHarness(t, func(c *sipConfig, _ *harness) { c.MediaTimeout = time.Second })
			p := h.phone()
			tc := bridgedCall(t, h, p)
			silent := p.Media
			if side == "called" {
				silent = tc.Media
			}
			silent.Pause(true) // the dialog stays up
			waitClosed(t, "the trunk leg to end", tc.Ended())
			waitClosed(t, "the inmate leg to end", p.Ended())
			rec, hist := h.final()
			if !sameStatuses(hist, parley.CallAttempted, parley.CallDialing, parley.CallAccepted, parley.CallDropped) ||
				rec.Reason != "rtp_timeout_"+side {
				t.Errorf("statuses %v reason %q", hist, rec.Reason)
			}
			if rec.Recording != parley.RecordingStored {
				t.Errorf("recording %q", rec.Recording)
			}
		})
	}
}

// A silent inmate during the IVR is timed too.
func TestRTPTimeoutDuringIVR(t *testing.T) {
	h := newHarness(t, func(c *sipConfig, _ *harness) { c.MediaTimeout = time.Second; c.DigitTimeout = time.Minute })
	p := h.phone()
	p.Media.Pause(true)
	waitClosed(t, "the inmate leg to end", p.Ended())
	rec, hist := h.final()
	if !sameStatuses(hist, parley.CallAttempted, parley.CallDropped) || rec.Reason != "rtp_timeout_inmate" {
		t.Errorf("statuses %v reason %q", hist, rec.Reason)
	}
}
