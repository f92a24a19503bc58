package main

import (
	"context"
	"net/netip"
	"testing"

	"parley.dev/parley/media/prompts"
	"parley.dev/parley/sip/siptest"
)

// TestServeSIPLanguage runs the language choice end to end with the embedded prompts: the
// inmate who presses 2 hears every later prompt in Spanish, one who presses 1 in English,
// and with --lang es there is no welcome and everything is Spanish. The peer tells the
// prompts apart by their audio (siptest.HeardPrompt).
func TestServeSIPLanguage(t *testing.T) {
	for _, tc := range []struct {
		name      string
		flags     []string
		key       string
		lang, not prompts.Lang
		welcome   bool
	}{
		{"choice english", nil, "1", prompts.English, prompts.Spanish, true},
		{"choice spanish", nil, "2", prompts.Spanish, prompts.English, true},
		{"flag spanish", []string{"--lang", "es"}, "", prompts.Spanish, prompts.English, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCLI(t)
			c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250", "--gateway", "127.0.0.1")
			c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", sipPIN)
			c.ok("facility", "rules", "--facility", "cnty", "--hours", "daily 00:00-24:00", "--max-call", "15m")
			trunk, err := siptest.NewTrunk(netip.MustParseAddr("127.0.0.1"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(trunk.Close)
			srv := startServe(t, c, trunk.URI(), tc.flags...)
			p, err := siptest.NewPhone(netip.MustParseAddr("127.0.0.1"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(p.Close)
			ctx, cancel := context.WithTimeout(context.Background(), sipGuard)
			defer cancel()
			if code, err := p.Call(ctx, srv.sip, "pod-1", nil); err != nil || code != 200 {
				t.Fatalf("call: %d %v\n%s", code, err, srv.stderr.String())
			}
			if tc.welcome {
				sipWaitFor(t, "the welcome in both languages", func() bool {
					got := p.Media.Received()
					return heardPrompt(t, got, prompts.Welcome, prompts.English) && heardPrompt(t, got, prompts.Welcome, prompts.Spanish)
				})
				p.Media.SendDigits(tc.key)
			}
			sipWaitFor(t, "the PIN prompt in "+string(tc.lang), func() bool {
				return heardPrompt(t, p.Media.Received(), prompts.EnterPIN, tc.lang)
			})
			// The number is not on the list: refused, in the chosen language. Typed over the
			// number prompt (barge-in).
			p.Media.SendDigits(sipPIN + "#" + sipDialed + "#")
			sipWaitClosed(t, "the refusal", p.Ended())
			got := p.Media.Received()
			if !heardPrompt(t, got, prompts.NumberNotAllowed, tc.lang) {
				t.Errorf("the refusal was not heard in %s", tc.lang)
			}
			for _, id := range []prompts.ID{prompts.EnterPIN, prompts.NumberNotAllowed} {
				if heardPrompt(t, got, id, tc.not) {
					t.Errorf("%s heard in %s, the language not chosen", id, tc.not)
				}
			}
			if !tc.welcome && heardPrompt(t, got, prompts.Welcome, prompts.English) {
				t.Error("the welcome played although --lang es skips the choice")
			}
			srv.stop(t)
			calls := searchNumber(t, c, sipNumber)
			if len(calls) != 1 || calls[0].Status != "refused" || calls[0].Reason != "not_allowed" {
				t.Fatalf("calls %+v", calls)
			}
		})
	}
	c := newCLI(t)
	c.fail(2, "--lang must be", "serve", "--sip", "127.0.0.1:0", "--trunk", "sip:192.0.2.1", "--lang", "fr")
}
