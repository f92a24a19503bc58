package siptest

import (
	"bytes"
	"fmt"

	"parley.dev/parley/media/g711"
	"parley.dev/parley/media/prompts"
)

// canonUlaw maps μ-law bytes through linear and back, so audio compares equal whichever
// of the two zero codes it used.
func canonUlaw(b []byte) []byte {
	pcm := make([]int16, len(b))
	g711.UlawDecode(pcm, b)
	out := make([]byte, len(pcm))
	g711.UlawEncode(out, pcm)
	return out
}

// speech returns a distinctive stretch of a prompt: 800 bytes (100 ms) from its first
// loud sample, canonical μ-law.
func speech(id prompts.ID, lang prompts.Lang) ([]byte, error) {
	frames, err := prompts.Prompt(id, lang)
	if err != nil {
		return nil, err
	}
	var b []byte
	for _, f := range frames {
		b = append(b, f...)
	}
	b = canonUlaw(b)
	for i, c := range b {
		if s := g711.DecodeUlaw(c); (s > 2000 || s < -2000) && i+800 <= len(b) {
			return b[i : i+800], nil
		}
	}
	return nil, fmt.Errorf("prompt %s has no speech", id)
}

// SpokenCode reads a verification code back from the audio a called party heard (linear
// samples, as Media.Received returns them), without DTMF: it finds the introduction's
// speech, then for each of six positions whichever digit's speech comes next, then the
// same after the repetition. The audio must be the embedded prompts, unmixed.
func SpokenCode(received []int16, lang prompts.Lang) (first, second string, err error) {
	heard := make([]byte, len(received))
	g711.UlawEncode(heard, received)
	digits := map[byte][]byte{}
	for d := byte('0'); d <= '9'; d++ {
		if digits[d], err = speech(prompts.Digit(d), lang); err != nil {
			return "", "", err
		}
	}
	read := func(from int) (string, int) {
		var out []byte
		for range 6 {
			best, at := byte(0), -1
			for d, sp := range digits {
				if i := bytes.Index(heard[from:], sp); i >= 0 && (at < 0 || i < at) {
					best, at = d, i
				}
			}
			if at < 0 {
				break
			}
			out = append(out, best)
			from += at + len(digits[best])
		}
		return string(out), from
	}
	intro, err := speech(prompts.CodeIntro, lang)
	if err != nil {
		return "", "", err
	}
	again, err := speech(prompts.CodeRepeat, lang)
	if err != nil {
		return "", "", err
	}
	i := bytes.Index(heard, intro)
	if i < 0 {
		return "", "", fmt.Errorf("the introduction was not heard")
	}
	first, next := read(i)
	j := bytes.Index(heard[next:], again)
	if j < 0 {
		return first, "", fmt.Errorf("the repetition was not heard")
	}
	second, _ = read(next + j)
	return first, second, nil
}
