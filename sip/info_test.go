package sip_test

import (
	"context"
	"slices"
	"testing"

	"parley.dev/parley"
	"parley.dev/parley/sip/siptest"
)

func TestInfoDTMF(t *testing.T) {
	h := newHarness(t)
	p := h.phone()
	ctx := ctxGuard(t)
	for _, tt := range []struct {
		ct, body string
		want     int
	}{
		{"text/plain", "5", 415},
		{siptest.InfoRelay, "Signal=X\r\nDuration=160\r\n", 400},
		{siptest.InfoDTMF, "55", 400},
	} {
		if code, err := p.SendInfo(ctx, tt.ct, tt.body); err != nil || code != tt.want {
			t.Errorf("INFO %s %q: %d %v, want %d", tt.ct, tt.body, code, err, tt.want)
		}
	}
	waitFor(t, "the PIN prompt", func() bool { return siptest.LoudFrames(p.Media.Received()) >= 3 })
	// The PIN: a first key signalled both by RFC 4733 and INFO (counted once), the rest
	// by RFC 4733.
	p.Media.SendDigits(pin[:1])
	waitFor(t, "the first key to be sent", func() bool { return !p.Media.DigitsPending() })
	if code, err := p.SendInfo(ctx, siptest.InfoRelay, siptest.InfoBody(siptest.InfoRelay, pin[0])); err != nil || code != 200 {
		t.Fatalf("INFO: %d %v", code, err)
	}
	p.Media.SendDigits(pin[1:] + "#")
	// The number by INFO alone, both content types, with a key repeated ("55").
	waitFor(t, "the number prompt", func() bool { return slices.Contains(h.playedPrompts(), "inmate enter_number") })
	if err := p.SendInfoKeys(ctx, dialed+"#"); err != nil {
		t.Fatal(err)
	}
	// The called party accepts by INFO.
	tc := h.answer("")
	if code, err := tc.SendInfo(ctx, siptest.InfoDTMF, "1"); err != nil || code != 200 {
		t.Fatalf("trunk INFO: %d %v", code, err)
	}
	p.Media.SetTone(toneA)
	tc.Media.SetTone(toneB)
	waitFor(t, "both sides to hear each other", func() bool {
		return siptest.ToneFrames(p.Media.Received(), toneB) >= heardMany &&
			siptest.ToneFrames(tc.Media.Received(), toneA) >= heardMany
	})
	if err := p.Hangup(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, "the trunk leg to end", tc.Ended())
	rec, hist := h.final()
	if !sameStatuses(hist, parley.CallAttempted, parley.CallDialing, parley.CallAccepted, parley.CallCompleted) {
		t.Errorf("statuses %v", hist)
	}
	if rec.InmateID != inmateID || rec.Number != number {
		t.Errorf("record %+v", rec)
	}
	// After the call, INFO finds no dialog.
	if code, err := p.SendInfo(ctx, siptest.InfoDTMF, "1"); err == nil && code != 481 {
		t.Errorf("INFO after the call: %d", code)
	}
}
