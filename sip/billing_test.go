package sip_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/media/prompts"
	"parley.dev/parley/sip/siptest"
)

// fakeBilling is a sip.Billing that grants a fixed limit (or fails with err) and records
// every settlement; Settle sets the charge fields the store must then hold.
type fakeBilling struct {
	limit time.Duration
	err   error

	mu         sync.Mutex
	authorized []string
	settled    []settlement
}

type settlement struct {
	callID  string
	status  parley.CallStatus
	reason  string
	bridged time.Duration
}

func (b *fakeBilling) Authorize(_ context.Context, c *parley.CallRecord) (time.Duration, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c.InmateID == "" || !c.Number.Valid() {
		return 0, parley.Errorf("fakeBilling", parley.KindInvalid, "authorized before the parties were known")
	}
	if b.err != nil {
		return 0, b.err
	}
	b.authorized = append(b.authorized, c.ID)
	return b.limit, nil
}

func (b *fakeBilling) Settle(_ context.Context, c *parley.CallRecord, bridged time.Duration) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.settled = append(b.settled, settlement{callID: c.ID, status: c.Status, reason: c.Reason, bridged: bridged})
	if bridged > 0 {
		c.ChargeCents = 21
	}
	c.PayingAccount = "acct-7"
	return nil
}

func (b *fakeBilling) state() ([]string, []settlement) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.authorized), slices.Clone(b.settled)
}

func withBilling(b *fakeBilling) option {
	return func(_ *sipConfig, h *harness) { h.billing = b }
}

func TestBillingRefusal(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		reason string
		prompt prompts.ID
	}{
		{"insufficient funds", parley.Errorf("ledger", parley.KindForbidden, "balance too low"), "insufficient_funds", prompts.InsufficientFunds},
		{"fault", parley.Errorf("ledger", parley.KindUnavailable, "database down"), "billing_unavailable", prompts.TechnicalProblem},
		{"internal", parley.Errorf("ledger", parley.KindInternal, "bug"), "billing_unavailable", prompts.TechnicalProblem},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &fakeBilling{err: tc.err}
			h := newHarness(t, withBilling(b))
			p := h.phone()
			h.dial(p, pin, dialed)
			waitClosed(t, "the server to hang up", p.Ended())
			rec, hist := h.final()
			if !sameStatuses(hist, parley.CallAttempted, parley.CallRefused) || rec.Reason != tc.reason {
				t.Errorf("statuses %v reason %q", hist, rec.Reason)
			}
			if rec.InmateID != inmateID || rec.Number != number {
				t.Errorf("record parties %+v", rec)
			}
			if !slices.Contains(h.playedPrompts(), "inmate "+string(tc.prompt)) {
				t.Errorf("prompts played: %v", h.playedPrompts())
			}
			if n := siptest.ToneFrames(p.Media.Received(), siptest.PromptFreq[tc.prompt]); n < 10 {
				t.Errorf("the inmate heard %d frames of the %s prompt", n, tc.prompt)
			}
			select {
			case <-h.trunk.Invites:
				t.Error("the trunk was dialled after billing refused")
			default:
			}
			if _, settled := b.state(); len(settled) != 0 {
				t.Errorf("an unauthorized call was settled: %+v", settled)
			}
		})
	}
}

// TestBillingMoneyLimit: money for 5 s under a 15 min policy limit ends the call at 5 s,
// with the warning before it.
func TestBillingMoneyLimit(t *testing.T) {
	b := &fakeBilling{limit: 5 * time.Second}
	h := newHarness(t, withBilling(b), func(c *sipConfig, h *harness) {
		h.policy.MaxDuration = 15 * time.Minute
		c.WarnBefore = 3 * time.Second
	})
	p := h.phone()
	tc := bridgedCall(t, h, p)
	waitClosed(t, "the trunk leg to end", tc.Ended())
	waitClosed(t, "the inmate leg to end", p.Ended())
	rec, hist := h.final()
	if !sameStatuses(hist, parley.CallAttempted, parley.CallDialing, parley.CallAccepted, parley.CallCompleted) ||
		rec.Reason != "max_duration" {
		t.Errorf("statuses %v reason %q", hist, rec.Reason)
	}
	played := h.playedPrompts()
	if !slices.Contains(played, "inmate one_minute") || !slices.Contains(played, "called one_minute") {
		t.Errorf("no warning before the money ran out: %v", played)
	}
	if n := siptest.ToneFrames(p.Media.Received(), siptest.PromptFreq[prompts.OneMinute]); n < 10 {
		t.Errorf("the inmate heard %d frames of the warning", n)
	}
	_, settled := b.state()
	if len(settled) != 1 || settled[0].bridged <= 0 || settled[0].bridged > rec.Duration ||
		settled[0].reason != "max_duration" {
		t.Fatalf("settlements %+v, record duration %v", settled, rec.Duration)
	}
	// max_duration with a 15 min policy limit: only the money limit can have ended it
	// within the test's guard.
	if rec.ChargeCents != 21 || rec.PayingAccount != "acct-7" {
		t.Errorf("charge not stored: %+v", rec)
	}
}

// TestBillingSettleOnce: every authorized call is settled exactly once, however it ends,
// with the bridged time, and the charge Settle sets is in the final record.
func TestBillingSettleOnce(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opt     option
		run     func(t *testing.T, h *harness, p *siptest.Phone)
		status  parley.CallStatus
		reason  string
		bridged bool
	}{
		{"normal hang-up", nil, func(t *testing.T, h *harness, p *siptest.Phone) {
			bridgedCall(t, h, p)
			if err := p.Hangup(context.Background()); err != nil {
				t.Fatal(err)
			}
		}, parley.CallCompleted, "inmate_hangup", true},
		{"called party refuses", nil, func(t *testing.T, h *harness, p *siptest.Phone) {
			h.dial(p, pin, dialed)
			h.answer("2")
			waitClosed(t, "the inmate leg to end", p.Ended())
		}, parley.CallDeclined, "refused by called party", false},
		{"trunk never answers", func(c *sipConfig, h *harness) {
			h.trunk.SetAnswer(false)
			c.AnswerTimeout = time.Second
		}, func(t *testing.T, h *harness, p *siptest.Phone) {
			h.dial(p, pin, dialed)
			waitClosed(t, "the inmate leg to end", p.Ended())
		}, parley.CallDeclined, "no_answer", false},
		{"rtp timeout", func(c *sipConfig, _ *harness) { c.MediaTimeout = time.Second }, func(t *testing.T, h *harness, p *siptest.Phone) {
			tc := bridgedCall(t, h, p)
			tc.Media.Pause(true)
			waitClosed(t, "the inmate leg to end", p.Ended())
		}, parley.CallDropped, "rtp_timeout_called", true},
		{"shutdown", nil, func(t *testing.T, h *harness, p *siptest.Phone) {
			bridgedCall(t, h, p)
			ctx, cancel := context.WithTimeout(context.Background(), guard)
			defer cancel()
			if err := h.srv.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
		}, parley.CallDropped, "shutdown", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &fakeBilling{}
			opts := []option{withBilling(b)}
			if tc.opt != nil {
				opts = append(opts, tc.opt)
			}
			h := newHarness(t, opts...)
			p := h.phone()
			tc.run(t, h, p)
			rec, _ := h.final()
			if rec.Status != tc.status || rec.Reason != tc.reason {
				t.Errorf("record %s %q, want %s %q", rec.Status, rec.Reason, tc.status, tc.reason)
			}
			auth, settled := b.state()
			if len(auth) != 1 || len(settled) != 1 || settled[0].callID != rec.ID || auth[0] != rec.ID {
				t.Fatalf("authorized %v, settled %+v", auth, settled)
			}
			s := settled[0]
			if s.status != tc.status || s.reason != tc.reason {
				t.Errorf("settled with %s %q", s.status, s.reason)
			}
			if tc.bridged != (s.bridged > 0) || s.bridged != rec.Duration {
				t.Errorf("bridged %v, record duration %v, want bridged %v", s.bridged, rec.Duration, tc.bridged)
			}
			if rec.PayingAccount != "acct-7" || (rec.ChargeCents == 21) != tc.bridged {
				t.Errorf("charge fields not stored: %+v", rec)
			}
		})
	}
}
