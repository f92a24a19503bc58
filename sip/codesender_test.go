package sip_test

import (
	"context"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/media/prompts"
	"parley.dev/parley/sip"
	"parley.dev/parley/sip/siptest"
)

// TestSendCode: the verification call reaches the trunk for the number, and the called
// party hears the introduction and the six digits, twice, in order (matched against the
// prompts' audio, no DTMF); the call is then hung up, and no call record is made.
func TestSendCode(t *testing.T) {
	h := newHarness(t, func(_ *sip.Config, h *harness) { h.prompts = nil }) // the embedded speech
	var sender parley.CodeSender = h.srv
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- sender.SendCode(ctx, number, "493817") }()
	var tc interface {
		Ended() <-chan struct{}
	}
	select {
	case c := <-h.trunk.Calls:
		if c.Number != string(number) {
			t.Fatalf("the trunk was asked for %q", c.Number)
		}
		tc = c
		if err := <-done; err != nil {
			t.Fatalf("SendCode: %v", err)
		}
		waitClosed(t, "the hang-up", tc.Ended())
		first, second, err := siptest.SpokenCode(c.Media.Received(), prompts.English)
		if err != nil || first != "493817" || second != "493817" {
			t.Fatalf("the called party heard %q, then %q (%v)", first, second, err)
		}
	case err := <-done:
		t.Fatalf("SendCode returned before the trunk answered: %v", err)
	case <-ctx.Done():
		t.Fatal("no call reached the trunk")
	}
	if recs, _ := h.calls.All(); len(recs) != 0 {
		t.Fatalf("the verification call made %d call records", len(recs))
	}
}

// TestSendCodeRefusals: bad codes and numbers are refused without a call; an unanswered
// call is unavailable.
func TestSendCodeRefusals(t *testing.T) {
	h := newHarness(t, func(c *sip.Config, h *harness) {
		h.prompts = nil
		c.AnswerTimeout = 300 * time.Millisecond // the trunk below rings without answering; no wait is asserted
	})
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	for _, c := range []struct {
		n    parley.Number
		code string
	}{{number, "12345"}, {number, "12345a"}, {number, "1234567"}, {"15551234567", "123456"}, {"", "123456"}} {
		if err := h.srv.SendCode(ctx, c.n, c.code); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("SendCode(%q, %q) = %v, want invalid", c.n, c.code, err)
		}
	}
	select {
	case u := <-h.trunk.Invites:
		t.Fatalf("a refused code reached the trunk (%q)", u)
	default:
	}
	h.trunk.SetAnswer(false)
	if err := h.srv.SendCode(ctx, number, "123456"); !parley.IsKind(err, parley.KindUnavailable) {
		t.Fatalf("unanswered: %v", err)
	}
}

// TestSendCodeCalledPartyHangsUp: the person hangs up while the code is spoken. parley
// accepts the BYE (not 481), stops speaking and SendCode returns.
func TestSendCodeCalledPartyHangsUp(t *testing.T) {
	h := newHarness(t, func(_ *sip.Config, h *harness) { h.prompts = nil })
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.srv.SendCode(ctx, number, "493817") }()
	var c *siptest.TrunkCall
	select {
	case c = <-h.trunk.Calls:
	case <-ctx.Done():
		t.Fatal("no call reached the trunk")
	}
	waitFor(t, "the code to start", func() bool { return siptest.LoudFrames(c.Media.Received()) >= 10 })
	if err := c.Hangup(ctx); err != nil {
		t.Fatalf("the called party's BYE was refused: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("SendCode after the hang-up: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("SendCode did not return after the hang-up")
	}
	if _, _, err := siptest.SpokenCode(c.Media.Received(), prompts.English); err == nil {
		t.Error("the whole code was spoken after the called party hung up")
	}
}
