package sip_test

import (
	"slices"
	"testing"

	"parley.dev/parley"
	"parley.dev/parley/media/prompts"
	"parley.dev/parley/sip/siptest"
)

func withLanguages(c *sipConfig, _ *harness) {
	c.Languages = []prompts.Lang{prompts.English, prompts.Spanish}
}

// TestLanguageChoice: the welcome plays in both languages; the key pressed picks the
// language of every later prompt the inmate hears (PIN, number, refusal), while the called
// party keeps the facility's language.
func TestLanguageChoice(t *testing.T) {
	for _, tc := range []struct {
		key        string
		lang, not  prompts.Lang
		bargeEarly bool // press during the English welcome
	}{
		{"1", prompts.English, prompts.Spanish, true},
		{"2", prompts.Spanish, prompts.English, false},
		{"2", prompts.Spanish, prompts.English, true},
	} {
		t.Run(string(tc.lang)+"/"+map[bool]string{true: "barge-in", false: "after the welcome"}[tc.bargeEarly], func(t *testing.T) {
			h := newHarness(t, withLanguages)
			p := h.phone()
			welcomeEn := siptest.PromptTone(prompts.Welcome, prompts.English)
			welcomeEs := siptest.PromptTone(prompts.Welcome, prompts.Spanish)
			if tc.bargeEarly {
				waitFor(t, "the English welcome", func() bool { return siptest.ToneFrames(p.Media.Received(), welcomeEn) >= 3 })
			} else {
				waitFor(t, "the Spanish welcome", func() bool { return siptest.ToneFrames(p.Media.Received(), welcomeEs) >= 15 })
			}
			p.Media.SendDigits(tc.key)
			pinTone := siptest.PromptTone(prompts.EnterPIN, tc.lang)
			waitFor(t, "the PIN prompt in the chosen language", func() bool {
				return siptest.ToneFrames(p.Media.Received(), pinTone) >= 15
			})
			p.Media.SendDigits(pin + "#" + "123#") // too short a number: refused
			waitClosed(t, "the refusal", p.Ended())
			rec, _ := h.final()
			if rec.Status != parley.CallRefused || rec.Reason != "number_not_allowed" {
				t.Errorf("record %s %q", rec.Status, rec.Reason)
			}
			got := p.Media.Received()
			if n := siptest.ToneFrames(got, siptest.PromptTone(prompts.NumberNotAllowed, tc.lang)); n < 10 {
				t.Errorf("the refusal in %s: %d frames", tc.lang, n)
			}
			for _, id := range []prompts.ID{prompts.EnterPIN, prompts.EnterNumber, prompts.NumberNotAllowed} {
				if n := siptest.ToneFrames(got, siptest.PromptTone(id, tc.not)); n > 2 {
					t.Errorf("%s heard in %s, the language not chosen (%d frames)", id, tc.not, n)
				}
			}
			if tc.bargeEarly && tc.key == "1" {
				if n := siptest.ToneFrames(got, welcomeEs); n > 2 {
					t.Errorf("the Spanish welcome played after English was chosen (%d frames)", n)
				}
			}
			if !slices.Contains(h.playedPrompts(), "inmate welcome") {
				t.Errorf("prompts %v", h.playedPrompts())
			}
		})
	}
}

// TestLanguageChoiceCalledParty: the called party hears the facility's language whatever
// the inmate chose.
func TestLanguageChoiceCalledParty(t *testing.T) {
	h := newHarness(t, withLanguages)
	p := h.phone()
	waitFor(t, "the welcome", func() bool {
		return siptest.ToneFrames(p.Media.Received(), siptest.PromptTone(prompts.Welcome, prompts.English)) >= 3
	})
	p.Media.SendDigits("2")
	h.dial(p, pin, dialed)
	tc := h.answer("")
	waitFor(t, "the accept menu", func() bool {
		return siptest.ToneFrames(tc.Media.Received(), siptest.PromptTone(prompts.AcceptMenu, prompts.English)) >= 10
	})
	if n := siptest.ToneFrames(tc.Media.Received(), siptest.PromptTone(prompts.Monitored, prompts.Spanish)); n > 2 {
		t.Errorf("the called party heard Spanish (%d frames)", n)
	}
	tc.Media.SendDigits("2")
	waitClosed(t, "the inmate leg to end", p.Ended())
	if n := siptest.ToneFrames(p.Media.Received(), siptest.PromptTone(prompts.CallRefused, prompts.Spanish)); n < 10 {
		t.Errorf("the inmate heard %d frames of the Spanish refusal (%d English); prompts %v", n, siptest.ToneFrames(p.Media.Received(), siptest.PromptTone(prompts.CallRefused, prompts.English)), h.playedPrompts())
	}
}
