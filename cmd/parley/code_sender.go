package main

import (
	"context"
	"sync/atomic"

	"parley.dev/parley"
	"parley.dev/parley/sip"
)

// sipCodeSender delivers phone verification codes by a call through serve's SIP server
// (sip.Server.SendCode). The HTTP side starts before the SIP side, so the server is set
// once it runs; until then a code is not sent, and the page says so.
type sipCodeSender struct{ srv atomic.Pointer[sip.Server] }

// SendCode implements parley.CodeSender.
func (s *sipCodeSender) SendCode(ctx context.Context, n parley.Number, code string) error {
	srv := s.srv.Load()
	if srv == nil {
		return parley.Errorf("serve.SendCode", parley.KindUnavailable, "the SIP side is not running yet")
	}
	return srv.SendCode(ctx, n, code)
}

// codeSender is the sender serve wires into the public side: Main.CodeSender if set
// (tests), else the SIP server's when --sip is on, else none (verification unavailable).
func (m *Main) codeSender(sipOn bool) (parley.CodeSender, *sipCodeSender) {
	if m.CodeSender != nil {
		return m.CodeSender, nil
	}
	if !sipOn {
		return nil, nil
	}
	s := &sipCodeSender{}
	return s, s
}

// isSIPSender reports whether codes go out by a call from serve's SIP server: such a call
// may ring for a minute, so the portal delivers them in the background.
func isSIPSender(s parley.CodeSender) bool {
	_, ok := s.(*sipCodeSender)
	return ok
}
