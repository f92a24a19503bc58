package prompts

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"parley.dev/parley"
	"parley.dev/parley/media/g711"
	"parley.dev/parley/media/tone"
)

var allIDs = []ID{Welcome, EnterPIN, EnterNumber, Monitored, Private, AcceptMenu, OneMinute,
	InvalidPIN, NumberNotAllowed, OutsideHours, QuotaExceeded, Lockdown, NumberBlocked,
	CallRefused, Goodbye, InsufficientFunds, TechnicalProblem, TooSoon, TooManyCalls,
	CodeIntro, CodeRepeat, Digit('0'), Digit('1'), Digit('2'), Digit('3'), Digit('4'), Digit('5'), Digit('6'),
	Digit('7'), Digit('8'), Digit('9')}

// TestDigit: ten digit prompts, nothing for other characters.
func TestDigit(t *testing.T) {
	if Digit('7') != "digit_7" || Digit('a') != "" || Digit('/') != "" || Digit(':') != "" {
		t.Fatalf("Digit: %q %q %q %q", Digit('7'), Digit('a'), Digit('/'), Digit(':'))
	}
}

// TestEveryPromptPlays decodes every prompt in both languages: whole 20 ms frames, audible
// speech (not silence, not clipped noise), and a silent tail.
func TestEveryPromptPlays(t *testing.T) {
	for _, id := range allIDs {
		for _, lang := range []Lang{English, Spanish} {
			frames, err := Prompt(id, lang)
			if err != nil {
				t.Fatalf("%s/%s: %v", id, lang, err)
			}
			if len(frames) < 10 { // at least 200 ms
				t.Fatalf("%s/%s: %d frames", id, lang, len(frames))
			}
			pcm := make([]int16, FrameSize)
			loud := 0
			for i, f := range frames {
				if len(f) != FrameSize {
					t.Fatalf("%s/%s frame %d: %d bytes", id, lang, i, len(f))
				}
				g711.UlawDecode(pcm, f)
				if tone.RMS(pcm) > 500 {
					loud++
				}
			}
			if loud < len(frames)/4 {
				t.Errorf("%s/%s: only %d of %d frames carry speech", id, lang, loud, len(frames))
			}
			g711.UlawDecode(pcm, frames[len(frames)-1])
			if rms := tone.RMS(pcm); rms > 100 {
				t.Errorf("%s/%s: tail rms %.0f, want near silence", id, lang, rms)
			}
		}
	}
}

// TestListMatchesEmbedded: prompts.txt, the constants and the embedded files agree.
func TestListMatchesEmbedded(t *testing.T) {
	f, err := os.Open("prompts.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	listed := map[ID]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "|")
		if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
			t.Errorf("malformed line %q", line)
			continue
		}
		listed[ID(parts[0])] = true
	}
	avail := Available()
	for _, id := range allIDs {
		if !listed[id] {
			t.Errorf("%s not in prompts.txt", id)
		}
		if l := avail[id]; len(l) != 2 || l[0] != English || l[1] != Spanish {
			t.Errorf("%s embedded in %v", id, l)
		}
	}
	if len(avail) != len(listed) || len(avail) != len(allIDs) {
		t.Errorf("%d embedded, %d listed, %d constants", len(avail), len(listed), len(allIDs))
	}
}

func TestUnknownPrompt(t *testing.T) {
	for _, c := range [][2]string{{"nope", "en"}, {"goodbye", "fr"}, {"", "en"}, {"../prompts", "go"}, {"goodbye", ""}} {
		if _, err := Prompt(ID(c[0]), Lang(c[1])); !parley.IsKind(err, parley.KindNotFound) {
			t.Errorf("Prompt(%q, %q) = %v, want not found", c[0], c[1], err)
		}
	}
}
