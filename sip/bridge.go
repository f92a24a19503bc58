package sip

import (
	"sync"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/media/prompts"
	"parley.dev/parley/media/record"
)

// warn plays the one-minute warning to both parties, each in place of the other's audio
// for the prompt's length; the recording goes on.
func (c *call) warn(wg *sync.WaitGroup) {
	c.log.Info("one-minute warning")
	for _, l := range []*leg{c.inLeg, c.outLeg} {
		audio, err := c.srv.prompts.get(prompts.OneMinute, c.langFor(l))
		if err != nil {
			c.log.Error("prompt missing", "prompt", string(prompts.OneMinute), "error", err)
			continue
		}
		if c.srv.onPrompt != nil {
			c.srv.onPrompt(c.rec.ID, l.name, prompts.OneMinute)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.playOver(c.ctx, audio)
		}()
	}
}

// bridge connects the two legs, recording through w when it is not nil, until either side
// hangs up, the maximum duration is reached or the server shuts down.
func (c *call) bridge(dec Decision, w RecordingWriter, verdict parley.RecordVerdict) {
	var mixer *record.Mixer
	if w != nil {
		m, err := record.NewMixer(w, record.Options{})
		if err != nil {
			c.log.Error("recording could not start; call not connected", "error", err)
			_ = w.Abort()
			c.byeCalled()
			c.refuse(parley.CallDropped, "recorder_unavailable", prompts.Goodbye)
			return
		}
		mixer = m
	}
	var failOnce sync.Once
	fail := func(err error) {
		failOnce.Do(func() {
			c.log.Error("recording failed; call ended", "error", err)
			c.hangup(reasonRecordingFail)
		})
	}
	in, out := c.inLeg, c.outLeg
	// Stop the prompts and the silence, then cross-connect.
	in.muted.Store(true)
	out.muted.Store(true)
	in.bridge.Store(&bridgeTo{to: out, mixer: mixer, side: record.LegA, fail: fail})
	out.bridge.Store(&bridgeTo{to: in, mixer: mixer, side: record.LegB, fail: fail})

	c.acceptedAt = time.Now()
	c.setView(func(v *staffView) { v.state = stateConnected })
	c.rec.Status = parley.CallAccepted
	if mixer == nil {
		c.rec.Recording = parley.RecordingPrivileged
	}
	c.update()
	c.log.Info("call bridged", "recorded", mixer != nil)

	var limit, warn <-chan time.Time
	if dec.MaxDuration > 0 {
		t := time.NewTimer(dec.MaxDuration)
		defer t.Stop()
		limit = t.C
		if before := c.srv.cfg.WarnBefore; dec.MaxDuration > before {
			wt := time.NewTimer(dec.MaxDuration - before)
			defer wt.Stop()
			warn = wt.C
		}
	}
	var warnings sync.WaitGroup
	status, reason := parley.CallCompleted, ""
wait:
	for {
		select {
		case <-c.ctx.Done():
			if e := c.cause(); e != nil {
				reason = e.reason
				if e.side == "system" {
					status = parley.CallDropped
				}
			}
			break wait
		case <-warn:
			warn = nil
			c.warn(&warnings)
		case <-limit:
			reason = reasonMaxDuration
			break wait
		}
	}
	c.setView(func(v *staffView) { v.ended = true }) // no longer in progress for staff
	// Unhook the bridge before finishing the recording: no Push after Finish.
	in.bridge.Store(nil)
	out.bridge.Store(nil)
	in.close()
	out.close()
	warnings.Wait() // the legs are closed: the warnings have returned

	if mixer != nil {
		ok := true
		if _, err := mixer.Finish(); err != nil {
			c.log.Error("recording finish failed", "error", err)
			ok = false
		}
		if err := w.Close(); err != nil {
			c.log.Error("recording close failed", "error", err)
			ok = false
		}
		if ok || w.ID() != "" {
			c.rec.Recording, c.rec.RecordingID = parley.RecordingStored, w.ID()
		}
	}
	c.finish(status, reason)
	c.byeCalled()
	c.byeInmate()
}
