package sip_test

import (
	"context"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/sip"
)

// limitPolicy allows one live call per facility, reading the server's live counts, and
// takes its time deciding so that simultaneous attempts overlap.
type limitPolicy struct {
	h *harness
}

func (p limitPolicy) Authorize(ctx context.Context, a sip.Attempt) (sip.Decision, error) {
	d, err := p.h.policy.Authorize(ctx, a)
	if err != nil || !d.Allow {
		return d, err
	}
	// Like callpolicy: the counts are read with the other facts, then the decision takes
	// its time (a PIN hash), the window a racing decision would slip through.
	facility, inmate := p.h.srv.LiveCalls(a.FacilityID, d.InmateID)
	time.Sleep(500 * time.Millisecond)
	if facility >= 1 || inmate >= 1 {
		return sip.Decision{Reason: "facility_busy", InmateID: d.InmateID, Number: d.Number}, nil
	}
	return d, nil
}

// TestLiveCallsSerialised: two attempts decided at the same moment against a limit of one
// live call: exactly one is dialled, the other refused; the live count drops when the
// call ends.
func TestLiveCallsSerialised(t *testing.T) {
	h := newHarness(t, func(_ *sipConfig, h *harness) {
		h.policyOf = func(h *harness) sip.Policy { return limitPolicy{h} }
	})
	h.trunk.SetAnswer(false) // the allowed call rings, and stays live
	a, b := h.phone(), h.phone()
	h.dial(a, pin, dialed)
	h.dial(b, pin, dialed)
	select {
	case <-h.trunk.Invites:
	case <-time.After(guard):
		t.Fatal("no call reached the trunk")
	}
	waitFor(t, "one refusal", func() bool {
		recs, _ := h.calls.All()
		refused := 0
		for _, r := range recs {
			if r.Status == parley.CallRefused && r.Reason == "facility_busy" {
				refused++
			}
		}
		return refused == 1
	})
	if f, i := h.srv.LiveCalls(facility, inmateID); f != 1 || i != 1 {
		t.Fatalf("live calls %d (inmate %d), want 1", f, i)
	}
	for _, p := range []interface{ Hangup(context.Context) error }{a, b} {
		_ = p.Hangup(context.Background())
	}
	waitFor(t, "no live call", func() bool { f, _ := h.srv.LiveCalls(facility, inmateID); return f == 0 })
}
