package sip

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"parley.dev/parley"
	"parley.dev/parley/media/prompts"
)

// endCause says why a call ends; it is the cause of the call's context.
type endCause struct {
	side   string // "inmate", "called" or "system"
	reason string
}

func (e *endCause) Error() string { return e.side + ": " + e.reason }

// Reasons a call ends, as they appear in CallRecord.Reason.
const (
	reasonInmateHangup  = "inmate_hangup"
	reasonCalledHangup  = "called_party_hangup"
	reasonMaxDuration   = "max_duration"
	reasonShutdown      = "shutdown"
	reasonRecordingFail = "recording_failed"
	reasonNoInput       = "no_input"
	reasonAbandoned     = "inmate_hangup_before_connect"
	reasonDeclined      = "refused by called party"
	reasonBlocked       = "blocked by called party"
	reasonNoResponse    = "no response from called party"
	reasonNoAnswer      = "no_answer"
	reasonRTPTimeout    = "rtp_timeout_" // + the leg's name: inmate or called
)

// call is one inbound call and, later, its outbound leg.
type call struct {
	srv    *Server
	log    *slog.Logger
	rec    *parley.CallRecord // written only by the call's goroutine
	in     *sipgo.DialogServerSession
	inLeg  *leg
	outLeg *leg
	src    netip.Addr

	ctx    context.Context
	cancel context.CancelCauseFunc

	mu  sync.Mutex
	out *sipgo.DialogClientSession

	acceptedAt time.Time
	// billed: Billing authorized the call; settled: Settle has run (call goroutine only).
	billed, settled bool
	live            liveState    // guarded by srv.mu
	view            staffView    // guarded by srv.mu (staff.go)
	lang            prompts.Lang // the inmate's language (Config.Lang until chosen)
	// byeSentCalled: parley hung up the called party itself, so the end of that dialog
	// does not end the call (the inmate still hears why).
	byeSentCalled atomic.Bool
}

// hangup ends the call from outside its goroutine (shutdown, recording failure).
func (c *call) hangup(reason string) {
	c.cancel(&endCause{side: "system", reason: reason})
}

func (c *call) outDialog() *sipgo.DialogClientSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out
}

// cause returns why the call's context ended, or nil.
func (c *call) cause() *endCause {
	var e *endCause
	if errors.As(context.Cause(c.ctx), &e) {
		return e
	}
	return nil
}

func (s *Server) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		s.onReInvite(req, tx) // in a dialog: its Call-ID and tags are its credentials
		return
	}
	if s.draining() {
		refuseDraining(req, tx)
		return
	}
	src, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		respond(req, tx, sip.StatusBadRequest, "Bad Request")
		return
	}
	facility, trusted, err := s.gateway(src.Addr().Unmap())
	if err != nil {
		s.log.Error("gateway lookup failed; INVITE refused", "error", err)
		respond(req, tx, sip.StatusServiceUnavailable, "Service Unavailable")
		return
	}
	var phone *Phone
	if !trusted {
		if s.auth == nil {
			s.log.Warn("INVITE from untrusted address refused", "source", src.Addr().String())
			respond(req, tx, sip.StatusForbidden, "Forbidden")
			return
		}
		hint := ""
		if from := req.From(); from != nil {
			hint = from.Address.User
		}
		ph, _, ok := s.authorize(req, tx, src.Addr().Unmap(), sip.StatusProxyAuthRequired, hint)
		if !ok {
			return
		}
		if ph.FacilityID == "" {
			s.log.Error("phone without a facility refused", "user", ph.DeviceID)
			respond(req, tx, sip.StatusForbidden, "Forbidden")
			return
		}
		phone, facility = &ph, ph.FacilityID
	}
	if to := req.To(); to == nil {
		respond(req, tx, sip.StatusBadRequest, "Bad Request")
		return
	}
	offer, err := parseSDP(req.Body())
	if err != nil {
		s.log.Info("INVITE with unusable SDP refused", "error", err)
		respond(req, tx, sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	secure := isTLS(req)
	keys, err := s.inboundSRTP(&offer, secure)
	if err != nil {
		s.log.Info("INVITE with unusable SRTP refused", "error", err, "tls", secure)
		respond(req, tx, sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	c := &call{srv: s, ctx: ctx, cancel: cancel, src: src.Addr().Unmap()}
	if !s.register(c) {
		refuseDraining(req, tx)
		return
	}
	defer s.unregister(c)

	dlg, err := s.inDialogs.ReadInvite(req, tx)
	if err != nil {
		respond(req, tx, sip.StatusBadRequest, "Bad Request")
		return
	}
	defer dlg.Close()
	c.in = dlg
	conn, port, err := s.ports.open()
	if err != nil {
		s.log.Error("no RTP port", "error", err)
		_ = dlg.Respond(sip.StatusServiceUnavailable, "Service Unavailable", nil)
		return
	}
	c.inLeg = newLeg("inmate", s.log, s.ports, conn, port)
	c.inLeg.srtp = keys
	c.inLeg.metrics = s.deps.Metrics
	c.watch(c.inLeg)
	defer c.inLeg.close()
	s.mu.Lock()
	s.inCalls[dlg.ID] = c
	s.mu.Unlock()
	sdpID := uint64(random32())
	answer, err := buildSDP(s.mediaIP, port, sdpID, offer, false)
	c.inLeg.ourSDP(sdpID, answer)
	if err != nil {
		_ = dlg.Respond(sip.StatusInternalServerError, "Server Internal Error", nil)
		return
	}
	device := ""
	if from := req.From(); from != nil {
		device = from.Address.User
	}
	if len(device) > 64 || strings.ContainsAny(device, "\r\n") {
		device = ""
	}
	if phone != nil { // an authenticated phone: its identity, not what From says
		device = phone.DeviceID
	}
	c.rec = &parley.CallRecord{
		FacilityID: facility, DeviceID: device, StartedAt: time.Now().UTC(),
		Status: parley.CallAttempted, Recording: parley.RecordingNone, Source: "sip",
	}
	if err := s.deps.Calls.CreateCall(ctx, c.rec); err != nil {
		s.log.Error("call record not created; call refused", "error", err)
		_ = dlg.Respond(sip.StatusServiceUnavailable, "Service Unavailable", nil)
		return
	}
	c.log = s.log.With("call", c.rec.ID)
	c.setView(func(v *staffView) {
		*v = staffView{id: c.rec.ID, facilityID: facility, deviceID: device, started: c.rec.StartedAt, state: stateIVR}
	})
	if dlg.Context().Err() != nil { // CANCEL before the answer
		c.finish(parley.CallDropped, reasonAbandoned)
		return
	}
	if err := c.inLeg.start(offer, c.src); err != nil {
		c.finish(parley.CallDropped, "media_error")
		_ = dlg.Respond(sip.StatusInternalServerError, "Server Internal Error", nil)
		return
	}
	c.log.Info("call attempt", "facility", facility)
	// sipgo waits for the ACK of our 200 without a context, until the transaction
	// expires (about 32 s): if the call ends meanwhile (shutdown, a hang-up), end the
	// transaction so the wait stops at the next retransmission.
	stopAckWait := context.AfterFunc(c.ctx, func() { tx.Terminate() })
	if secure { // the phone's requests in the dialog come back over TLS
		err = dlg.Respond(sip.StatusOK, "OK", answer, sip.NewHeader("Content-Type", "application/sdp"), s.tlsContact())
	} else {
		err = dlg.RespondSDP(answer)
	}
	stopAckWait()
	if err != nil {
		if dlg.LoadState() == sip.DialogStateEnded { // BYE before (or instead of) ACK
			c.finish(parley.CallDropped, reasonAbandoned)
			return
		}
		c.log.Warn("inbound answer failed", "error", err)
		c.finish(parley.CallDropped, "inmate_no_ack")
		// A phone that never acknowledged is likely gone: do not wait long for its answer.
		c.byeInmateWithin(2 * time.Second)
		return
	}
	stop := context.AfterFunc(dlg.Context(), func() {
		c.cancel(&endCause{side: "inmate", reason: reasonInmateHangup})
	})
	defer stop()
	c.run()
}

// gateway returns the facility that trusts a source address: from Deps.Gateways (read at
// each INVITE) or, without it, Config.Gateways.
func (s *Server) gateway(a netip.Addr) (string, bool, error) {
	if s.deps.Gateways == nil {
		f, ok := s.cfg.Gateways[a]
		return f, ok, nil
	}
	ctx, cancel := bg()
	defer cancel()
	return s.deps.Gateways.GatewayFacility(ctx, a)
}

// watch makes the leg end the call when it sends no RTP for Config.MediaTimeout. The
// call ends as dropped, whatever its state, with reason rtp_timeout_<leg>.
func (c *call) watch(l *leg) {
	l.timeout = c.srv.cfg.MediaTimeout
	l.onSilent = func() { c.hangup(reasonRTPTimeout + l.name) }
}

// update writes the call record; failures are logged (the call goes on: the record of
// the attempt exists).
func (c *call) update() {
	ctx, cancel := bg()
	defer cancel()
	c.rec.UpdatedAt = time.Now().UTC()
	if err := c.srv.deps.Calls.UpdateCall(ctx, c.rec); err != nil {
		c.log.Error("call record update failed", "status", string(c.rec.Status), "error", err)
	}
}

// finish writes the final status of the call record.
func (c *call) finish(status parley.CallStatus, reason string) {
	c.rec.Status, c.rec.Reason = status, reason
	if !c.acceptedAt.IsZero() {
		c.rec.Duration = time.Since(c.acceptedAt)
	}
	c.setLive(false, "", "")
	c.setView(func(v *staffView) { v.ended = true })
	c.settle()
	c.update()
	c.srv.deps.Metrics.CallEnded(status, reason)
	c.log.Info("call ended", "status", string(status), "reason", reason)
}

// byeInmate hangs up the inbound leg unless the inmate did.
func (c *call) byeInmate() {
	c.byeInmateWithin(10 * time.Second)
}

// byeInmateWithin is byeInmate waiting at most d for the phone's answer.
func (c *call) byeInmateWithin(d time.Duration) {
	if c.in.LoadState() == sip.DialogStateEnded {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := c.in.Bye(ctx); err != nil {
		c.log.Warn("BYE to inmate failed", "error", err)
	}
}

// byeCalled hangs up the outbound leg unless the called party did.
func (c *call) byeCalled() {
	out := c.outDialog()
	if out == nil || out.LoadState() == sip.DialogStateEnded {
		return
	}
	c.byeSentCalled.Store(true)
	ctx, cancel := bg()
	defer cancel()
	if err := out.Bye(ctx); err != nil {
		c.log.Warn("BYE to called party failed", "error", err)
	}
}

// refuse plays a prompt to the inmate, writes the final record and hangs up.
func (c *call) refuse(status parley.CallStatus, reason string, id prompts.ID) {
	c.finish(status, reason)
	c.playPrompt(c.inLeg, id, false) // returns at once if the call has ended
	c.byeInmate()
}

// run is the life of an answered inbound call: IVR, policy, outbound leg, bridge.
func (c *call) run() {
	cfg := &c.srv.cfg
	if err := c.chooseLanguage(); err != nil {
		c.ended(parley.CallDropped, reasonAbandoned)
		return
	}
	c.playPrompt(c.inLeg, prompts.EnterPIN, true)
	pin, err := c.collect(c.ctx, c.inLeg, cfg.MaxPINDigits)
	if err == nil {
		c.playPrompt(c.inLeg, prompts.EnterNumber, true)
		var dialed string
		dialed, err = c.collect(c.ctx, c.inLeg, cfg.MaxNumberDigits)
		if err == nil {
			c.authorized(pin, dialed)
			return
		}
	}
	if errors.Is(err, errNoInput) {
		c.refuse(parley.CallDropped, reasonNoInput, prompts.Goodbye)
		return
	}
	c.ended(parley.CallDropped, reasonAbandoned)
}

// ended finishes a call that ended through its context (a hang-up, shutdown…), hanging
// up whichever side is still there. fallback is the status and reason when the context
// says nothing more specific.
func (c *call) ended(status parley.CallStatus, reason string) {
	if e := c.cause(); e != nil && e.side == "system" {
		status, reason = parley.CallDropped, e.reason
	}
	c.finish(status, reason)
	c.byeCalled()
	c.byeInmate()
}

func (c *call) authorized(pin, dialed string) {
	// The facility's decisions are serialised so that the live counts the policy reads
	// (LiveCalls) include every call allowed before this one.
	lock := c.srv.decideLock(c.rec.FacilityID)
	lock.Lock()
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	dec, err := c.srv.deps.Policy.Authorize(ctx, Attempt{
		CallID: c.rec.ID, FacilityID: c.rec.FacilityID, DeviceID: c.rec.DeviceID, PIN: pin, Dialed: dialed,
	})
	cancel()
	if err == nil && dec.Allow && c.ctx.Err() == nil {
		c.setLive(true, c.rec.FacilityID, dec.InmateID)
	}
	lock.Unlock()
	if c.ctx.Err() != nil {
		c.ended(parley.CallDropped, reasonAbandoned)
		return
	}
	if err != nil {
		c.log.Error("policy failed", "error", err)
		c.refuse(parley.CallDropped, "policy_error", prompts.Goodbye)
		return
	}
	c.rec.InmateID, c.rec.InmateName, c.rec.Number = dec.InmateID, dec.InmateName, dec.Number
	if !dec.Allow {
		prompt := dec.Prompt
		if prompt == "" {
			prompt = refusalPrompt(dec.Reason)
		}
		c.refuse(parley.CallRefused, dec.Reason, prompt)
		return
	}
	if !dec.Number.Valid() {
		c.log.Error("policy allowed an invalid number")
		c.refuse(parley.CallDropped, "policy_error", prompts.Goodbye)
		return
	}
	if !c.authorizeMoney(&dec) {
		return
	}
	c.rec.Status = parley.CallDialing
	c.update()
	c.dial(dec)
}
