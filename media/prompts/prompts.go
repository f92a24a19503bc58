// Package prompts holds the IVR's recorded prompts, pre-encoded and embedded in the binary.
//
// # Format
//
// Each prompt is a raw G.711 μ-law stream, 8 kHz, mono, no header, in
// data/<id>.<lang>.ulaw: exactly the payload bytes of PCMU RTP packets, so playing a prompt
// to a PCMU leg needs no transcoding (a PCMA leg uses g711.UlawToAlaw). Prompt cuts it into
// 20 ms frames of 160 bytes, padding the last with μ-law silence.
//
// The prompts are synthesised by gen.sh (espeak-ng and sox) from prompts.txt, one line per
// prompt: id|English text|Spanish text. The "welcome" prompt is bilingual by design: its
// English text invites English speakers to press 1 and its Spanish text Spanish speakers to
// press 2; play both before the language is known. To record a human voice instead, replace
// the files with the same format (sox in.wav -r 8000 -c 1 -e u-law -t raw id.lang.ulaw).
package prompts

import (
	"embed"
	"io/fs"
	"sort"
	"strings"

	"parley.dev/parley"
	"parley.dev/parley/media"
	"parley.dev/parley/media/g711"
)

//go:embed data/*.ulaw
var data embed.FS

// Lang is a prompt language, an ISO 639-1 code.
type Lang string

// Languages of the embedded prompts.
const (
	English Lang = "en"
	Spanish Lang = "es"
)

// ID names a prompt.
type ID string

// Prompt ids (see prompts.txt for the texts).
const (
	Welcome          ID = "welcome"            // language choice: English press 1, Spanish press 2
	EnterPIN         ID = "enter_pin"          // enter your PIN followed by pound
	EnterNumber      ID = "enter_number"       // enter the number you wish to call
	Monitored        ID = "monitored"          // from a correctional facility, may be monitored and recorded
	Private          ID = "private"            // private call, will not be recorded
	AcceptMenu       ID = "accept_menu"        // 1 accept, 2 refuse, 9 block this facility
	OneMinute        ID = "one_minute"         // one minute remaining
	InvalidPIN       ID = "invalid_pin"        // refusal: invalid PIN
	NumberNotAllowed ID = "number_not_allowed" // refusal: number not on the approved list
	OutsideHours     ID = "outside_hours"      // refusal: outside calling hours
	QuotaExceeded    ID = "quota_exceeded"     // refusal: calling limit reached
	Lockdown         ID = "lockdown"           // refusal: facility in lockdown
	NumberBlocked    ID = "number_blocked"     // refusal: the called party blocked the facility
	CallRefused      ID = "call_refused"       // the called party refused
	Goodbye          ID = "goodbye"
	// Refusals added with billing and the remaining policy checks.
	InsufficientFunds ID = "insufficient_funds" // refusal: the account cannot pay for a minute
	TechnicalProblem  ID = "technical_problem"  // refusal: a system fault (billing unavailable)
	TooSoon           ID = "too_soon"           // refusal: minimum gap between calls
	TooManyCalls      ID = "too_many_calls"     // refusal: concurrent-call limit
)

// Prompts of the phone-number verification call: the introduction, the repetition, and
// one prompt per digit (see Digit).
const (
	CodeIntro  ID = "code_intro"  // your parley verification code is
	CodeRepeat ID = "code_repeat" // once more, your code is
)

// Digit returns the prompt that speaks the decimal digit d ('0' to '9'), or "" for
// anything else.
func Digit(d byte) ID {
	if d < '0' || d > '9' {
		return ""
	}
	return ID("digit_" + string(d))
}

// FrameSize is the size of a prompt frame: 20 ms of μ-law at 8 kHz.
const FrameSize = media.Frame20

// Prompt returns the prompt in the language as 20 ms μ-law frames of FrameSize bytes. The
// frames are a fresh copy the caller may keep and modify. An unknown id or language is a
// KindNotFound error.
func Prompt(id ID, lang Lang) ([][]byte, error) {
	if strings.ContainsAny(string(id)+string(lang), "./\\*?[") || id == "" || lang == "" {
		return nil, parley.Errorf("prompts.Prompt", parley.KindNotFound, "no prompt %q in %q", id, lang)
	}
	b, err := data.ReadFile("data/" + string(id) + "." + string(lang) + ".ulaw")
	if err != nil {
		return nil, parley.Errorf("prompts.Prompt", parley.KindNotFound, "no prompt %q in %q", id, lang)
	}
	n := (len(b) + FrameSize - 1) / FrameSize
	buf := make([]byte, n*FrameSize)
	copy(buf, b) // audio first…
	for i := len(b); i < len(buf); i++ {
		buf[i] = g711.UlawSilence // …then silence to the frame boundary
	}
	frames := make([][]byte, n)
	for i := range frames {
		frames[i] = buf[i*FrameSize : (i+1)*FrameSize : (i+1)*FrameSize]
	}
	return frames, nil
}

// Available lists the embedded prompts as id → languages, sorted.
func Available() map[ID][]Lang {
	out := map[ID][]Lang{}
	entries, _ := fs.ReadDir(data, "data")
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".ulaw")
		id, lang, ok := strings.Cut(name, ".")
		if ok {
			out[ID(id)] = append(out[ID(id)], Lang(lang))
		}
	}
	for _, l := range out {
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	}
	return out
}
