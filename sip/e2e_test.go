package sip_test

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/media"
	"parley.dev/parley/media/g711"
	"parley.dev/parley/media/wav"
	"parley.dev/parley/sip/siptest"
)

// bridgedCall runs a call up to the bridge and checks both sides hear each other.
func bridgedCall(t *testing.T, h *harness, p *siptest.Phone) *siptest.TrunkCall {
	t.Helper()
	h.dial(p, pin, dialed)
	tc := h.answer("1")
	p.Media.SetTone(toneA)
	tc.Media.SetTone(toneB)
	waitFor(t, "both sides to hear each other", func() bool {
		return siptest.ToneFrames(p.Media.Received(), toneB) >= heardMany &&
			siptest.ToneFrames(tc.Media.Received(), toneA) >= heardMany
	})
	return tc
}

func TestHappyPath(t *testing.T) {
	for _, law := range []g711.Law{g711.PCMU, g711.PCMA} {
		t.Run(law.String(), func(t *testing.T) {
			h := newHarness(t)
			h.trunk.SetLaw(law) // PCMA: the trunk leg is transcoded
			p := h.phone()
			tc := bridgedCall(t, h, p)
			if n := siptest.ToneFrames(p.Media.Received(), toneA); n > 2 {
				t.Errorf("the inmate hears their own tone in %d frames", n)
			}
			if n := siptest.ToneFrames(tc.Media.Received(), toneB); n > 2 {
				t.Errorf("the called party hears their own tone in %d frames", n)
			}
			if n := siptest.ToneFrames(tc.Media.Received(), siptest.PromptFreq["monitored"]); n == 0 {
				t.Error("the called party did not hear the monitoring notice")
			}
			heardA := siptest.ToneFrames(tc.Media.Received(), toneA)
			heardB := siptest.ToneFrames(p.Media.Received(), toneB)
			if err := p.Hangup(context.Background()); err != nil {
				t.Fatal(err)
			}
			waitClosed(t, "the trunk leg to end", tc.Ended())
			rec, hist := h.final()
			if !sameStatuses(hist, parley.CallAttempted, parley.CallDialing, parley.CallAccepted, parley.CallCompleted) {
				t.Errorf("statuses %v", hist)
			}
			if rec.InmateID != inmateID || rec.Number != number || rec.FacilityID != facility || rec.DeviceID != device {
				t.Errorf("record %+v", rec)
			}
			if rec.Duration <= 0 || rec.Reason != "inmate_hangup" {
				t.Errorf("duration %v reason %q", rec.Duration, rec.Reason)
			}
			calls, writers := h.recorder.Counts()
			if calls != 1 || writers != 1 {
				t.Fatalf("recorder: %d calls, %d writers", calls, writers)
			}
			w := h.recorder.Writers()[0]
			data, closed, aborted := w.State()
			if !closed || aborted {
				t.Errorf("writer closed %v aborted %v", closed, aborted)
			}
			if rec.Recording != parley.RecordingStored || rec.RecordingID != w.ID() {
				t.Errorf("recording %q %q", rec.Recording, rec.RecordingID)
			}
			hdr, pcm, err := wav.ReadAll(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if hdr.Channels != 2 || hdr.SampleRate != media.SampleRate {
				t.Fatalf("wav header %+v", hdr)
			}
			left, right := make([]int16, len(pcm)/2), make([]int16, len(pcm)/2)
			for i := range left {
				left[i], right[i] = pcm[2*i], pcm[2*i+1]
			}
			// Everything one party heard of the other was bridged, hence recorded.
			if n := siptest.ToneFrames(left, toneA); n < heardA*8/10 {
				t.Errorf("left channel: %d frames of tone A, the called party heard %d", n, heardA)
			}
			if n := siptest.ToneFrames(right, toneB); n < heardB*8/10 {
				t.Errorf("right channel: %d frames of tone B, the inmate heard %d", n, heardB)
			}
			if n := siptest.ToneFrames(left, toneB) + siptest.ToneFrames(right, toneA); n > 2 {
				t.Errorf("tones on the wrong channel in %d frames", n)
			}
			if frames := len(left) / media.Frame20; frames < max(heardA, heardB) {
				t.Errorf("recording of %d frames, shorter than the %d frames heard", frames, max(heardA, heardB))
			}
		})
	}
}

func TestPrivilegedCall(t *testing.T) {
	h := newHarness(t, func(_ *sipConfig, h *harness) {
		h.recorder.Verdict = parley.RecordVerdict{Record: false, Reason: "privileged_number"}
	})
	p := h.phone()
	tc := bridgedCall(t, h, p)
	got := tc.Media.Received()
	if siptest.ToneFrames(got, siptest.PromptFreq["private"]) == 0 {
		t.Error("the called party did not hear the private notice")
	}
	if n := siptest.ToneFrames(got, siptest.PromptFreq["monitored"]); n > 0 {
		t.Errorf("the called party heard the monitoring notice (%d frames)", n)
	}
	if err := tc.Hangup(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, "the inmate leg to end", p.Ended())
	rec, hist := h.final()
	if !sameStatuses(hist, parley.CallAttempted, parley.CallDialing, parley.CallAccepted, parley.CallCompleted) {
		t.Errorf("statuses %v", hist)
	}
	if rec.Recording != parley.RecordingPrivileged || !rec.Privileged || rec.RecordingID != "" {
		t.Errorf("record %+v", rec)
	}
	if calls, writers := h.recorder.Counts(); calls != 1 || writers != 0 {
		t.Errorf("recorder: %d calls, %d writers", calls, writers)
	}
	played := h.playedPrompts()
	if !slices.Contains(played, "called private") || slices.Contains(played, "called monitored") {
		t.Errorf("prompts played: %v", played)
	}
}

func TestBadPIN(t *testing.T) {
	h := newHarness(t)
	p := h.phone()
	h.dial(p, "9999", dialed)
	waitClosed(t, "the server to hang up", p.Ended())
	rec, hist := h.final()
	if !sameStatuses(hist, parley.CallAttempted, parley.CallRefused) || rec.Reason != "invalid_pin" {
		t.Errorf("statuses %v reason %q", hist, rec.Reason)
	}
	if siptest.ToneFrames(p.Media.Received(), siptest.PromptFreq["invalid_pin"]) == 0 {
		t.Error("the inmate did not hear the refusal")
	}
	select {
	case u := <-h.trunk.Invites:
		t.Errorf("the trunk was called (%s)", u)
	default:
	}
}

func TestCalledPartyRefuses(t *testing.T) {
	for _, tt := range []struct {
		key, reason string
		blocked     bool
	}{
		{"2", "refused by called party", false},
		{"9", "blocked by called party", true},
		{"", "no response from called party", false},
	} {
		t.Run("key"+tt.key, func(t *testing.T) {
			h := newHarness(t, func(c *sipConfig, _ *harness) { c.AcceptTimeout = time.Second })
			p := h.phone()
			h.dial(p, pin, dialed)
			tc := h.answer(tt.key)
			waitClosed(t, "the trunk leg to end", tc.Ended())
			waitClosed(t, "the inmate leg to end", p.Ended())
			rec, hist := h.final()
			if !sameStatuses(hist, parley.CallAttempted, parley.CallDialing, parley.CallDeclined) || rec.Reason != tt.reason {
				t.Errorf("statuses %v reason %q", hist, rec.Reason)
			}
			if got := h.blocks.List(); (len(got) == 1) != tt.blocked {
				t.Errorf("blocks %v", got)
			} else if tt.blocked && got[0] != facility+" "+string(number)+" "+rec.ID {
				t.Errorf("block %q", got[0])
			}
			_, writers := h.recorder.Counts()
			for _, w := range h.recorder.Writers() {
				if _, closed, aborted := w.State(); closed || !aborted {
					t.Errorf("%d writers: closed %v aborted %v", writers, closed, aborted)
				}
			}
			if rec.Recording != parley.RecordingNone {
				t.Errorf("recording %q", rec.Recording)
			}
		})
	}
}

func TestNeverAnswers(t *testing.T) {
	h := newHarness(t, func(c *sipConfig, _ *harness) { c.AnswerTimeout = time.Second })
	h.trunk.SetAnswer(false)
	p := h.phone()
	h.dial(p, pin, dialed)
	waitClosed(t, "the inmate leg to end", p.Ended())
	rec, hist := h.final()
	if !sameStatuses(hist, parley.CallAttempted, parley.CallDialing, parley.CallDeclined) || rec.Reason != "no_answer" {
		t.Errorf("statuses %v reason %q", hist, rec.Reason)
	}
	if calls, _ := h.recorder.Counts(); calls != 0 {
		t.Errorf("recorder asked %d times for an unanswered call", calls)
	}
}

func TestHangups(t *testing.T) {
	t.Run("called party", func(t *testing.T) {
		h := newHarness(t)
		p := h.phone()
		tc := bridgedCall(t, h, p)
		if err := tc.Hangup(context.Background()); err != nil {
			t.Fatal(err)
		}
		waitClosed(t, "the inmate leg to end", p.Ended())
		rec, _ := h.final()
		if rec.Status != parley.CallCompleted || rec.Reason != "called_party_hangup" {
			t.Errorf("status %q reason %q", rec.Status, rec.Reason)
		}
	})
	t.Run("inmate", func(t *testing.T) {
		h := newHarness(t)
		p := h.phone()
		tc := bridgedCall(t, h, p)
		if err := p.Hangup(context.Background()); err != nil {
			t.Fatal(err)
		}
		waitClosed(t, "the trunk leg to end", tc.Ended())
		rec, _ := h.final()
		if rec.Status != parley.CallCompleted || rec.Reason != "inmate_hangup" {
			t.Errorf("status %q reason %q", rec.Status, rec.Reason)
		}
	})
	t.Run("max duration", func(t *testing.T) {
		h := newHarness(t, func(_ *sipConfig, h *harness) { h.policy.MaxDuration = 2 * time.Second })
		p := h.phone()
		h.dial(p, pin, dialed)
		tc := h.answer("1")
		waitClosed(t, "the trunk leg to end", tc.Ended())
		waitClosed(t, "the inmate leg to end", p.Ended())
		rec, hist := h.final()
		if !sameStatuses(hist, parley.CallAttempted, parley.CallDialing, parley.CallAccepted, parley.CallCompleted) ||
			rec.Reason != "max_duration" {
			t.Errorf("statuses %v reason %q", hist, rec.Reason)
		}
	})
	t.Run("inmate during IVR", func(t *testing.T) {
		h := newHarness(t)
		p := h.phone()
		if err := p.Hangup(context.Background()); err != nil {
			t.Fatal(err)
		}
		rec, hist := h.final()
		if !sameStatuses(hist, parley.CallAttempted, parley.CallDropped) || rec.Reason != "inmate_hangup_before_connect" {
			t.Errorf("statuses %v reason %q", hist, rec.Reason)
		}
	})
}

func TestBargeIn(t *testing.T) {
	const long = 10 * time.Second // 500 frames per prompt
	h := newHarness(t, func(_ *sipConfig, h *harness) { h.prompts = siptest.TonePrompts{Length: long} })
	p := h.phone()
	h.dial(p, pin, dialed) // sent as soon as the PIN prompt is heard
	select {
	case <-h.trunk.Invites:
	case <-time.After(guard):
		t.Fatal("no call reached the trunk")
	}
	heard := siptest.ToneFrames(p.Media.Received(), siptest.PromptFreq["enter_pin"]) +
		siptest.ToneFrames(p.Media.Received(), siptest.PromptFreq["enter_number"])
	if heard >= 400 {
		t.Errorf("the inmate heard %d frames of prompts: the digits did not stop them", heard)
	}
	if err := p.Hangup(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rec, _ := h.final(); rec.Status != parley.CallDropped || rec.Reason != "inmate_hangup_before_connect" {
		t.Errorf("record %q %q", rec.Status, rec.Reason)
	}
}
