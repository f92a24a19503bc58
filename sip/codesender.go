package sip

import (
	"context"
	"errors"
	"net/netip"

	"github.com/emiago/sipgo"

	"parley.dev/parley"
	"parley.dev/parley/media/prompts"
)

// SendCode implements parley.CodeSender: it calls n through the trunk and, once answered,
// speaks the verification code digit by digit, twice ("your parley verification code is
// 4 9 3 8 1 7; once more, your code is 4 9 3 8 1 7"), in the server's language, then hangs
// up. It returns when the call has ended. No call record is made (it is not an inmate's
// call), and neither the number nor the code is logged.
//
// KindInvalid for a code that is not 6 digits or a number that is not E.164;
// KindUnavailable when the server is not running or shutting down, the trunk does not
// answer within Config.AnswerTimeout, or the answer is unusable.
func (s *Server) SendCode(ctx context.Context, n parley.Number, code string) error {
	const op = "sip.SendCode"
	if !n.Valid() {
		return parley.Errorf(op, parley.KindInvalid, "number must be E.164")
	}
	if len(code) != 6 {
		return parley.Errorf(op, parley.KindInvalid, "a code has 6 digits")
	}
	audio, err := s.codeAudio(code)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.closing || s.outUA == nil {
		s.mu.Unlock()
		return parley.Errorf(op, parley.KindUnavailable, "the SIP server is not running")
	}
	s.wg.Add(1) // Shutdown waits for this call like any other
	s.mu.Unlock()
	defer s.wg.Done()

	conn, port, err := s.ports.open()
	if err != nil {
		return parley.WrapError(op, parley.KindUnavailable, err)
	}
	l := newLeg("code", s.log, s.ports, conn, port)
	defer l.close()
	sdpID := uint64(random32())
	srtpOffer, localKey := s.trunkOffer()
	offer, err := buildSDP(s.mediaIP, port, sdpID, srtpOffer, true)
	if err != nil {
		return parley.WrapError(op, parley.KindInternal, err)
	}
	l.ourSDP(sdpID, offer)
	req := s.trunkRequest(string(n), offer)
	sess, err := s.trunkUA.WriteInvite(ctx, req)
	if err != nil {
		s.log.Warn("verification call: trunk INVITE failed", "error", err)
		return parley.Errorf(op, parley.KindUnavailable, "the trunk is unreachable")
	}
	defer sess.Close()
	actx, cancel := context.WithTimeout(ctx, s.cfg.AnswerTimeout)
	err = sess.WaitAnswer(actx, s.answerOptions(nil))
	cancel()
	if err != nil {
		var resp *sipgo.ErrDialogResponse
		if errors.As(err, &resp) {
			s.log.Info("verification call not answered", "status", resp.Res.StatusCode)
		}
		return parley.Errorf(op, parley.KindUnavailable, "the number did not answer")
	}
	if err := sess.Ack(ctx); err != nil {
		s.log.Warn("verification call: ACK failed", "error", err)
	}
	// A BYE from the trunk (the person hung up) reaches this dialog through onBye.
	s.mu.Lock()
	s.codeCalls[sess.ID] = sess
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.codeCalls, sess.ID)
		s.mu.Unlock()
	}()
	hangup := func() {
		bctx, bcancel := bg()
		defer bcancel()
		if err := sess.Bye(bctx); err != nil && sess.Context().Err() == nil {
			s.log.Warn("verification call: BYE failed", "error", err)
		}
	}
	ans, err := parseSDP(sess.InviteResponse.Body())
	var also netip.Addr
	if ap, perr := netip.ParseAddrPort(sess.InviteResponse.Source()); perr == nil {
		also = ap.Addr().Unmap()
	}
	if err == nil {
		if l.srtp, err = s.trunkAnswer(&ans, localKey); err == nil {
			err = l.start(ans, also)
		}
	}
	if err != nil {
		hangup()
		return parley.Errorf(op, parley.KindUnavailable, "the answer's media is unusable")
	}
	// Stop speaking if the dialog ends early: the called party hung up.
	pctx, pcancel := context.WithCancel(ctx)
	defer pcancel()
	stop := context.AfterFunc(sess.Context(), pcancel)
	defer stop()
	for _, a := range audio {
		l.play(pctx, a, false)
	}
	hangup()
	return nil
}

// codeAudio returns the prompts of a verification call in the server's language: the
// introduction and the digits, then the repetition and the digits again.
func (s *Server) codeAudio(code string) ([][]byte, error) {
	const op = "sip.SendCode"
	ids := []prompts.ID{prompts.CodeIntro}
	var digits []prompts.ID
	for i := 0; i < len(code); i++ {
		id := prompts.Digit(code[i])
		if id == "" {
			return nil, parley.Errorf(op, parley.KindInvalid, "a code has 6 digits")
		}
		digits = append(digits, id)
	}
	ids = append(ids, digits...)
	ids = append(ids, prompts.CodeRepeat)
	ids = append(ids, digits...)
	out := make([][]byte, 0, len(ids))
	for _, id := range ids {
		b, err := s.prompts.get(id, s.cfg.Lang)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}
