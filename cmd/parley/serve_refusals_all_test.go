package main

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"parley.dev/parley/media/prompts"
	"parley.dev/parley/sip/siptest"
)

// TestServeSIPEveryRefusal runs each policy refusal through the real serve path, in turn on
// one server: the operator changes the facility's configuration with the CLI, the inmate
// calls, hears the refusal's prompt (told apart by its audio), and the call record holds
// the precise reason. (Called-party self-blocks: TestServeSIPRefusals; the concurrent-call
// limit: TestServeSIPConcurrentLimit.)
func TestServeSIPEveryRefusal(t *testing.T) {
	c := newCLI(t)
	c.now = time.Now().UTC() // the policy's clock and the call records' (wall clock) agree
	tomorrow := strings.ToLower(c.now.Add(24 * time.Hour).Weekday().String()[:3])
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250", "--gateway", "127.0.0.1")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", sipPIN)
	c.ok("facility", "rules", "--facility", "cnty", "--hours", "daily 00:00-24:00", "--max-call", "15m")
	c.ok("contact", "allow", "--facility", "cnty", "--inmate", "A1001", "--number", sipDialed)
	trunk, err := siptest.NewTrunk(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(trunk.Close)
	srv := startServe(t, c, trunk.URI())
	rules := func(args ...string) {
		c.ok(append([]string{"facility", "rules", "--facility", "cnty"}, args...)...)
	}

	// A connected call first (just over a second), so that usage and the last call's end exist.
	connected := func() {
		p := dialTo(t, srv, sipPIN, sipDialed)
		tc := answerTrunk(t, srv, trunk, "1")
		p.Media.SetTone(sipToneIn)
		tc.Media.SetTone(sipToneOut)
		sipWaitFor(t, "a second of bridged audio", func() bool {
			return siptest.ToneFrames(p.Media.Received(), sipToneOut) >= sipHeardMany
		})
		ctx, cancel := context.WithTimeout(context.Background(), sipGuard)
		defer cancel()
		if err := p.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		sipWaitClosed(t, "the trunk leg to end", tc.Ended())
	}

	for _, tc := range []struct {
		name           string
		setup, cleanup func()
		pin, dialed    string
		reason         string
		prompt         prompts.ID
	}{
		{name: "bad PIN", pin: "11112222", dialed: sipDialed, reason: "pin_invalid", prompt: prompts.InvalidPIN},
		{name: "number not allowed", pin: sipPIN, dialed: "12015550199", reason: "not_allowed", prompt: prompts.NumberNotAllowed},
		{name: "blocked by the facility", pin: sipPIN, dialed: sipDialed, reason: "blocked_facility", prompt: prompts.NumberNotAllowed,
			setup:   func() { c.ok("block", "add", "--facility", "cnty", "--number", sipDialed) },
			cleanup: func() { c.ok("block", "remove", "--facility", "cnty", "--number", sipDialed) }},
		{name: "blocked prefix", pin: sipPIN, dialed: sipDialed, reason: "blocked_prefix", prompt: prompts.NumberNotAllowed,
			setup:   func() { c.ok("block", "add", "--facility", "cnty", "--prefix", "+1201") },
			cleanup: func() { c.ok("block", "remove", "--facility", "cnty", "--prefix", "+1201") }},
		{name: "outside hours", pin: sipPIN, dialed: sipDialed, reason: "outside_hours", prompt: prompts.OutsideHours,
			setup:   func() { rules("--hours", tomorrow+" 00:00-24:00") },
			cleanup: func() { rules("--hours", "daily 00:00-24:00") }},
		{name: "lockdown", pin: sipPIN, dialed: sipDialed, reason: "lockdown", prompt: prompts.Lockdown,
			setup: func() { rules("--lockdown", "on") }, cleanup: func() { rules("--lockdown", "off") }},
		{name: "monthly quota", pin: sipPIN, dialed: sipDialed, reason: "quota_exceeded", prompt: prompts.QuotaExceeded,
			setup: func() { connected(); rules("--monthly-quota", "1s") }, cleanup: func() { rules("--monthly-quota", "0s") }},
		{name: "minimum gap", pin: sipPIN, dialed: sipDialed, reason: "too_soon", prompt: prompts.TooSoon,
			setup: func() { rules("--min-gap", "30m") }, cleanup: func() { rules("--min-gap", "0s") }},
		// Last: the lockout stays on the phone. Two wrong PINs lock it; the right PIN is
		// then refused too.
		{name: "PIN lockout", pin: sipPIN, dialed: sipDialed, reason: "pin_locked", prompt: prompts.InvalidPIN,
			setup: func() {
				rules("--pin-failures", "2", "--pin-lockout", "30m")
				for range 2 {
					p := dialTo(t, srv, "99990000", sipDialed)
					sipWaitClosed(t, "a wrong PIN to be refused", p.Ended())
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
			}
			p := dialTo(t, srv, tc.pin, tc.dialed)
			sipWaitClosed(t, "the refusal", p.Ended())
			if !heardPrompt(t, p.Media.Received(), tc.prompt, prompts.English) {
				t.Errorf("the inmate did not hear the %s prompt", tc.prompt)
			}
			calls := searchFacility(t, c, "cnty")
			if len(calls) == 0 || calls[0].Status != "refused" || calls[0].Reason != tc.reason {
				t.Fatalf("newest record %+v, want refused %s", calls[0], tc.reason)
			}
			// Lockdown refuses before any PIN is checked; a wrong or locked PIN names no one.
			named := tc.reason != "pin_invalid" && tc.reason != "pin_locked" && tc.reason != "lockdown"
			if named && calls[0].InmateID != "A1001" {
				t.Errorf("record without the inmate: %+v", calls[0])
			}
			if tc.cleanup != nil {
				tc.cleanup()
			}
		})
	}
	select {
	case tc := <-trunk.Calls:
		tc.Media.Close()
		t.Error("a refused call reached the trunk")
	default:
	}
	srv.stop(t)
	c.ok("audit", "verify")
}
