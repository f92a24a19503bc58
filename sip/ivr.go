package sip

import (
	"context"
	"sync"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/media/prompts"
)

// promptCache joins each prompt's frames into one μ-law buffer, once per language.
type promptCache struct {
	src Prompts
	mu  sync.Mutex
	m   map[promptKey][]byte
}

type promptKey struct {
	id   prompts.ID
	lang prompts.Lang
}

func (c *promptCache) get(id prompts.ID, lang prompts.Lang) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := promptKey{id, lang}
	if b, ok := c.m[k]; ok {
		return b, nil
	}
	frames, err := c.src.Prompt(id, lang)
	if err != nil {
		return nil, parley.WrapError("sip.prompt", parley.KindInternal, err)
	}
	var b []byte
	for _, f := range frames {
		b = append(b, f...)
	}
	if c.m == nil {
		c.m = map[promptKey][]byte{}
	}
	c.m[k] = b
	return b, nil
}

// langFor is the language of the prompts a leg hears: the inmate's choice on the inmate's
// leg, the facility's language (Config.Lang) on the called party's.
func (c *call) langFor(l *leg) prompts.Lang {
	if l == c.inLeg && c.lang != "" {
		return c.lang
	}
	return c.srv.cfg.Lang
}

// errHangup says the leg's dialog ended while the IVR was waiting.
var errHangup = parley.Errorf("sip.ivr", parley.KindUnavailable, "hung up")

// errNoInput says no digit came in time.
var errNoInput = parley.Errorf("sip.ivr", parley.KindInvalid, "no input")

// playPrompt plays a prompt on the leg and waits for its end (or a digit when
// interruptible, or the end of the call). A missing prompt is logged and skipped: the call goes on.
func (c *call) playPrompt(l *leg, id prompts.ID, interruptible bool) {
	audio, err := c.srv.prompts.get(id, c.langFor(l))
	if err != nil {
		c.log.Error("prompt missing", "prompt", string(id), "error", err)
		return
	}
	if c.srv.onPrompt != nil {
		c.srv.onPrompt(c.rec.ID, l.name, id)
	}
	l.play(c.ctx, audio, interruptible)
}

// collect reads digits from the leg until the terminator ('#'), max digits, or a timeout
// (DigitTimeout for the first digit and between digits). ended is the dialog's context.
func (c *call) collect(ended context.Context, l *leg, max int) (string, error) {
	var digits []byte
	timer := time.NewTimer(c.srv.cfg.DigitTimeout)
	defer timer.Stop()
	for {
		select {
		case <-ended.Done():
			return "", errHangup
		case <-timer.C:
			if len(digits) > 0 {
				return string(digits), nil
			}
			return "", errNoInput
		case k := <-l.digits:
			if k == '#' {
				if len(digits) == 0 {
					continue
				}
				return string(digits), nil
			}
			if k < '0' || k > '9' {
				continue
			}
			digits = append(digits, k)
			if len(digits) >= max {
				return string(digits), nil
			}
			timer.Reset(c.srv.cfg.DigitTimeout)
		}
	}
}

// menuKey waits for one of the keys on the leg, for at most d.
func (c *call) menuKey(ended context.Context, l *leg, keys string, d time.Duration) (byte, error) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case <-ended.Done():
			return 0, errHangup
		case <-timer.C:
			return 0, errNoInput
		case k := <-l.digits:
			for i := range len(keys) {
				if keys[i] == k {
					return k, nil
				}
			}
		}
	}
}

// chooseLanguage plays the welcome prompt in each of Config.Languages (interruptible)
// and sets the inmate's language from the key pressed: 1 for the first, 2 for the
// second… (nine at most). No key in time keeps Config.Lang. It returns an error only if
// the call ended.
func (c *call) chooseLanguage() error {
	langs := c.srv.cfg.Languages
	if len(langs) < 2 {
		return nil
	}
	langs = langs[:min(len(langs), 9)]
	for _, lang := range langs {
		if len(c.inLeg.digits) > 0 {
			break // barge-in: a key is already waiting, skip the other languages
		}
		c.lang = lang
		c.playPrompt(c.inLeg, prompts.Welcome, true)
	}
	c.lang = ""
	key, err := c.menuKey(c.ctx, c.inLeg, "123456789"[:len(langs)], c.srv.cfg.DigitTimeout)
	switch {
	case c.ctx.Err() != nil:
		return errHangup
	case err != nil:
		c.log.Info("no language chosen; default kept")
		return nil
	}
	c.lang = langs[key-'1']
	c.log.Info("language chosen", "lang", string(c.lang))
	return nil
}
