package sip

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"parley.dev/parley"
	"parley.dev/parley/media/prompts"
)

// dial places the outbound call to dec.Number through the trunk and, once answered,
// announces it to the called party.
func (c *call) dial(dec Decision) {
	s := c.srv
	conn, port, err := s.ports.open()
	if err != nil {
		c.log.Error("no RTP port", "error", err)
		c.refuse(parley.CallDropped, "no_rtp_port", prompts.Goodbye)
		return
	}
	c.outLeg = newLeg("called", s.log, s.ports, conn, port)
	c.outLeg.metrics = s.deps.Metrics
	c.watch(c.outLeg)
	defer c.outLeg.close()
	sdpID := uint64(random32())
	srtpOffer, localKey := s.trunkOffer()
	offer, err := buildSDP(s.mediaIP, port, sdpID, srtpOffer, true)
	c.outLeg.ourSDP(sdpID, offer)
	if err != nil {
		c.refuse(parley.CallDropped, "internal_error", prompts.Goodbye)
		return
	}
	req := s.trunkRequest(string(dec.Number), offer)
	sent := time.Now()
	setup := false // the setup time is measured
	sess, err := s.trunkUA.WriteInvite(c.ctx, req)
	if err != nil {
		c.log.Warn("trunk INVITE failed", "error", err)
		c.refuse(parley.CallDropped, "trunk_unreachable", prompts.Goodbye)
		return
	}
	defer sess.Close()
	ctx, cancel := context.WithTimeout(c.ctx, s.cfg.AnswerTimeout)
	var stopRing func()
	err = sess.WaitAnswer(ctx, s.answerOptions(func(r *sip.Response) error {
		if r.StatusCode >= sip.StatusRinging && !setup {
			setup = true
			s.deps.Metrics.CallSetup(time.Since(sent))
		}
		if (r.StatusCode == sip.StatusRinging || r.StatusCode == sip.StatusSessionInProgress) && stopRing == nil {
			stopRing = ringback(c.inLeg)
		}
		return nil
	}))
	timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded)
	cancel()
	if stopRing != nil {
		stopRing()
	}
	if err != nil {
		var resp *sipgo.ErrDialogResponse
		switch {
		case c.ctx.Err() != nil:
			// sipgo has sent CANCEL; the trunk may have answered anyway.
			c.answeredAfterCancel(sess)
			c.ended(parley.CallDropped, reasonAbandoned)
		case timedOut:
			c.refuse(parley.CallDeclined, reasonNoAnswer, prompts.CallRefused)
		case errors.As(err, &resp) && isAuthFailure(resp.Res.StatusCode):
			c.log.Warn("trunk refused parley's credentials", "status", resp.Res.StatusCode, "credentials", s.cfg.TrunkPassword != "")
			c.refuse(parley.CallDropped, "trunk_auth_failed", prompts.Goodbye)
		case errors.As(err, &resp):
			c.refuse(parley.CallDeclined, "trunk_"+strconv.Itoa(resp.Res.StatusCode), prompts.CallRefused)
		default:
			c.log.Warn("trunk call failed", "error", err)
			c.refuse(parley.CallDropped, "trunk_error", prompts.Goodbye)
		}
		return
	}
	if !setup {
		s.deps.Metrics.CallSetup(time.Since(sent))
	}
	c.mu.Lock()
	c.out = sess
	c.mu.Unlock()
	s.mu.Lock()
	s.outCalls[sess.ID] = c
	s.mu.Unlock()
	if err := sess.Ack(c.ctx); err != nil {
		c.log.Warn("ACK to trunk failed", "error", err)
	}
	stop := context.AfterFunc(sess.Context(), func() {
		if !c.byeSentCalled.Load() {
			c.cancel(&endCause{side: "called", reason: reasonCalledHangup})
		}
	})
	defer stop()

	ans, err := parseSDP(sess.InviteResponse.Body())
	var also netip.Addr
	if ap, perr := netip.ParseAddrPort(sess.InviteResponse.Source()); perr == nil {
		also = ap.Addr().Unmap()
	}
	if err == nil {
		if c.outLeg.srtp, err = s.trunkAnswer(&ans, localKey); err != nil {
			c.log.Warn("trunk answer without the SRTP required", "error", err)
			c.byeCalled()
			c.refuse(parley.CallDropped, "trunk_no_srtp", prompts.Goodbye)
			return
		}
		err = c.outLeg.start(ans, also)
	}
	if err != nil {
		c.log.Warn("trunk answer unusable", "error", err)
		c.byeCalled()
		c.refuse(parley.CallDropped, "bad_answer_sdp", prompts.Goodbye)
		return
	}
	c.announce(dec)
}

// announce asks the recorder, plays the notice and the menu to the called party, and acts
// on the key pressed.
func (c *call) announce(dec Decision) {
	s := c.srv
	parties := parley.CallParties{FacilityID: c.rec.FacilityID, InmateID: c.rec.InmateID,
		DeviceID: c.rec.DeviceID, Number: c.rec.Number}
	ctx, cancel := context.WithTimeout(c.ctx, 10*c.srv.cfg.DigitTimeout)
	w, verdict, err := s.deps.Recorder.Record(ctx, c.rec.ID, parties, parley.ClassCall)
	cancel()
	if err != nil {
		// Fail closed: a call that must be recorded is not connected unrecorded.
		c.log.Error("recorder unavailable; call not connected", "error", err)
		c.byeCalled()
		c.refuse(parley.CallDropped, "recorder_unavailable", prompts.Goodbye)
		return
	}
	if !verdict.Record && w != nil {
		_ = w.Abort()
		w = nil
	}
	if verdict.Record && w == nil {
		c.log.Error("recorder returned no writer for a recorded call")
		c.byeCalled()
		c.refuse(parley.CallDropped, "recorder_unavailable", prompts.Goodbye)
		return
	}
	abort := func() {
		if w != nil {
			_ = w.Abort()
		}
	}
	notice := prompts.Monitored
	if !verdict.Record {
		notice = prompts.Private
		c.rec.Privileged = verdict.Reason == "privileged_number"
	}
	privileged := c.rec.Privileged
	c.setView(func(v *staffView) { v.state, v.privileged = stateAnnouncing, privileged })
	out := c.outLeg
	c.playPrompt(out, notice, true)
	c.playPrompt(out, prompts.AcceptMenu, true)
	key, err := c.menuKey(c.ctx, out, "129", s.cfg.AcceptTimeout)
	switch {
	case err != nil && c.ctx.Err() != nil:
		abort()
		if e := c.cause(); e != nil && e.side == "called" {
			c.refuse(parley.CallDeclined, reasonCalledHangup, prompts.CallRefused)
			return
		}
		c.ended(parley.CallDropped, reasonAbandoned)
	case err != nil:
		abort()
		c.byeCalled()
		c.refuse(parley.CallDeclined, reasonNoResponse, prompts.CallRefused)
	case key == '1':
		c.bridge(dec, w, verdict)
	case key == '2':
		abort()
		c.byeCalled()
		c.refuse(parley.CallDeclined, reasonDeclined, prompts.CallRefused)
	case key == '9':
		abort()
		if s.deps.Blocks != nil {
			bctx, bcancel := bg()
			if err := s.deps.Blocks.Block(bctx, c.rec.FacilityID, c.rec.Number, c.rec.ID); err != nil {
				c.log.Error("block not stored", "error", err)
			}
			bcancel()
		}
		c.byeCalled()
		c.refuse(parley.CallDeclined, reasonBlocked, prompts.NumberBlocked)
	}
}

// answeredAfterCancel hangs up a trunk call that was answered (200) although it had been
// cancelled (RFC 3261 §9.1: the CANCEL and the 200 crossed): ACK, then BYE.
func (c *call) answeredAfterCancel(sess *sipgo.DialogClientSession) {
	r := sess.InviteResponse
	if r == nil || !r.IsSuccess() {
		return
	}
	ctx, cancel := bg()
	defer cancel()
	if err := sess.Ack(ctx); err != nil {
		c.log.Warn("ACK of the answer after CANCEL failed", "error", err)
	}
	if err := sess.Bye(ctx); err != nil {
		c.log.Warn("BYE after CANCEL failed", "error", err)
		return
	}
	c.log.Info("trunk answered after CANCEL; hung up")
}
