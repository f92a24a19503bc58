package sip_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/media/g711"
	"parley.dev/parley/media/prompts"
	"parley.dev/parley/sip"
)

// canon maps μ-law bytes through linear and back, so audio compares equal whichever of
// the two zero codes it used.
func canon(b []byte) []byte {
	pcm := make([]int16, len(b))
	g711.UlawDecode(pcm, b)
	out := make([]byte, len(pcm))
	g711.UlawEncode(out, pcm)
	return out
}

// speech returns a distinctive stretch of a prompt's audio: 800 bytes (100 ms) starting at
// its first loud sample, canonical.
func speech(t *testing.T, id prompts.ID) []byte {
	t.Helper()
	frames, err := prompts.Prompt(id, prompts.English)
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	for _, f := range frames {
		b = append(b, f...)
	}
	b = canon(b)
	for i, c := range b {
		if s := g711.DecodeUlaw(c); s > 2000 || s < -2000 {
			if i+800 > len(b) {
				t.Fatalf("%s: too short", id)
			}
			return b[i : i+800]
		}
	}
	t.Fatalf("%s: silent", id)
	return nil
}

// decodeDigits reads the spoken digits back from the audio a called party heard, by
// finding each prompt's speech in order: the introduction, then for each of 6 positions
// whichever digit's speech comes next; then the same after the repetition.
func decodeDigits(t *testing.T, heard []byte) (first, second string) {
	t.Helper()
	digitSpeech := map[byte][]byte{}
	for d := byte('0'); d <= '9'; d++ {
		digitSpeech[d] = speech(t, prompts.Digit(d))
	}
	read := func(from int) (string, int) {
		var out []byte
		for range 6 {
			best, at := byte(0), -1
			for d, sp := range digitSpeech {
				if i := bytes.Index(heard[from:], sp); i >= 0 && (at < 0 || i < at) {
					best, at = d, i
				}
			}
			if at < 0 {
				return string(out), from
			}
			out = append(out, best)
			from += at + len(digitSpeech[best])
		}
		return string(out), from
	}
	intro := bytes.Index(heard, speech(t, prompts.CodeIntro))
	if intro < 0 {
		t.Fatal("the introduction was not heard")
	}
	first, next := read(intro)
	again := bytes.Index(heard[next:], speech(t, prompts.CodeRepeat))
	if again < 0 {
		t.Fatal("the repetition was not heard")
	}
	second, _ = read(next + again)
	return first, second
}

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
		pcm := c.Media.Received()
		heard := make([]byte, len(pcm))
		g711.UlawEncode(heard, pcm)
		first, second := decodeDigits(t, heard)
		if first != "493817" || second != "493817" {
			t.Fatalf("the called party heard %q, then %q", first, second)
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
