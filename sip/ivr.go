package sip

import (
	"context"
	"sync"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/media/prompts"
)

// promptCache joins each prompt's frames into one μ-law buffer, once.
type promptCache struct {
	src  Prompts
	lang prompts.Lang
	mu   sync.Mutex
	m    map[prompts.ID][]byte
}

func (c *promptCache) get(id prompts.ID) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b, ok := c.m[id]; ok {
		return b, nil
	}
	frames, err := c.src.Prompt(id, c.lang)
	if err != nil {
		return nil, parley.WrapError("sip.prompt", parley.KindInternal, err)
	}
	var b []byte
	for _, f := range frames {
		b = append(b, f...)
	}
	if c.m == nil {
		c.m = map[prompts.ID][]byte{}
	}
	c.m[id] = b
	return b, nil
}

// errHangup says the leg's dialog ended while the IVR was waiting.
var errHangup = parley.Errorf("sip.ivr", parley.KindUnavailable, "hung up")

// errNoInput says no digit came in time.
var errNoInput = parley.Errorf("sip.ivr", parley.KindInvalid, "no input")

// playPrompt plays a prompt on the leg and waits for its end (or a digit when
// interruptible, or the end of the call). A missing prompt is logged and skipped: the call goes on.
func (c *call) playPrompt(l *leg, id prompts.ID, interruptible bool) {
	audio, err := c.srv.prompts.get(id)
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
