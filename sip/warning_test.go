package sip_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/media"
	"parley.dev/parley/media/prompts"
	"parley.dev/parley/media/wav"
	"parley.dev/parley/sip/siptest"
)

// lastToneFrame returns the index of the last 20 ms frame of pcm holding the tone, or -1.
func lastToneFrame(pcm []int16, freq float64) int {
	last := -1
	for i := 0; (i+1)*media.Frame20 <= len(pcm); i++ {
		if siptest.ToneFrames(pcm[i*media.Frame20:(i+1)*media.Frame20], freq) == 1 {
			last = i
		}
	}
	return last
}

func TestOneMinuteWarning(t *testing.T) {
	warnTone := siptest.PromptFreq[prompts.OneMinute]
	h := newHarness(t, func(c *sipConfig, h *harness) {
		h.policy.MaxDuration = 6 * time.Second
		c.WarnBefore = 3 * time.Second // the warning (400 ms) plays 3 s before the cut
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
	for _, s := range []struct {
		name  string
		got   []int16
		other float64
	}{{"inmate", p.Media.Received(), toneB}, {"called", tc.Media.Received(), toneA}} {
		if n := siptest.ToneFrames(s.got, warnTone); n < 10 {
			t.Errorf("%s heard %d frames of the warning", s.name, n)
			continue
		}
		// The bridge resumed after the warning.
		last := lastToneFrame(s.got, warnTone)
		if n := siptest.ToneFrames(s.got[(last+1)*media.Frame20:], s.other); n < 10 {
			t.Errorf("%s heard %d frames of the other party after the warning", s.name, n)
		}
	}
	played := h.playedPrompts()
	if !slices.Contains(played, "inmate one_minute") || !slices.Contains(played, "called one_minute") {
		t.Errorf("prompts played: %v", played)
	}

	// The recording ran through the warning: it holds what each party said while the
	// other heard the warning.
	w := h.recorder.Writers()[0]
	data, closed, aborted := w.State()
	if !closed || aborted || rec.Recording != parley.RecordingStored {
		t.Fatalf("writer closed %v aborted %v, recording %q", closed, aborted, rec.Recording)
	}
	_, pcm, err := wav.ReadAll(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	left, right := make([]int16, len(pcm)/2), make([]int16, len(pcm)/2)
	for i := range left {
		left[i], right[i] = pcm[2*i], pcm[2*i+1]
	}
	heardA := siptest.ToneFrames(tc.Media.Received(), toneA)
	heardB := siptest.ToneFrames(p.Media.Received(), toneB)
	warnA := siptest.ToneFrames(tc.Media.Received(), warnTone)
	warnB := siptest.ToneFrames(p.Media.Received(), warnTone)
	if n := siptest.ToneFrames(left, toneA); n < (heardA+warnA)*8/10 {
		t.Errorf("left channel: %d frames of tone A; the called party heard %d, and %d of warning", n, heardA, warnA)
	}
	if n := siptest.ToneFrames(right, toneB); n < (heardB+warnB)*8/10 {
		t.Errorf("right channel: %d frames of tone B; the inmate heard %d, and %d of warning", n, heardB, warnB)
	}
	if n := siptest.ToneFrames(left, warnTone) + siptest.ToneFrames(right, warnTone); n > 2 {
		t.Errorf("the warning was recorded (%d frames)", n)
	}
}
