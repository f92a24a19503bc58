package sip

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"parley.dev/parley"
)

// Registration with the trunk (Config.TrunkRegister).
//
// Some carriers send calls, or accept them, only from a registered account. parley then
// REGISTERs its Contact under Config.TrunkUser, answering digest challenges, and
// refreshes the binding before it expires (half-way through a short one, 30 s before a
// long one), in one Call-ID with a rising CSeq (RFC 3261 §10.2.4). A failure (no answer,
// an error status, refused credentials) is retried with a back-off doubling from
// regBackoffMin to 5 min. The state is logged at each change (the status code, never the
// user or the password) and read by TrunkRegistration. The binding is left to expire at
// shutdown.

const regBackoffMax = 5 * time.Minute

// regBackoffMin is the first wait after a failed registration (tests shorten it).
var regBackoffMin = 2 * time.Second

// trunkRegState is the registration's state.
type trunkRegState struct {
	mu         sync.Mutex
	registered bool
	until      time.Time
	failures   int
	cancel     context.CancelFunc
}

// TrunkRegistration reports whether the server holds a registration with the trunk and
// until when (false without Config.TrunkRegister).
func (s *Server) TrunkRegistration() (registered bool, until time.Time) {
	r := &s.trunkReg
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.registered && s.now().Before(r.until), r.until
}

func (s *Server) startTrunkRegistration() {
	ctx, cancel := context.WithCancel(context.Background())
	s.trunkReg.mu.Lock()
	s.trunkReg.cancel = cancel
	s.trunkReg.mu.Unlock()
	s.serveWG.Add(1)
	go func() {
		defer s.serveWG.Done()
		s.registerLoop(ctx)
	}()
}

// stopTrunkRegistration ends the refresh loop; it does not wait for it.
func (s *Server) stopTrunkRegistration() {
	s.trunkReg.mu.Lock()
	defer s.trunkReg.mu.Unlock()
	if s.trunkReg.cancel != nil {
		s.trunkReg.cancel()
	}
}

func (s *Server) registerLoop(ctx context.Context) {
	r := &s.trunkReg
	minBackoff := regBackoffMin
	backoff := minBackoff
	callID := sip.CallIDHeader(sip.GenerateTagN(24))
	var cseq uint32
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cseq++
		expires, code, err := s.registerOnce(ctx, callID, &cseq)
		if ctx.Err() != nil {
			return
		}
		r.mu.Lock()
		if err == nil {
			if !r.registered || r.failures > 0 {
				s.log.Info("registered with the trunk", "expires", expires)
			}
			r.registered, r.until, r.failures = true, s.now().Add(expires), 0
			backoff = minBackoff
			t.Reset(refreshIn(expires))
		} else {
			r.failures++
			r.registered = r.registered && s.now().Before(r.until)
			s.log.Warn("trunk registration failed", "status", code, "error", err, "failures", r.failures, "retry_in", backoff)
			t.Reset(backoff)
			backoff = min(2*backoff, regBackoffMax)
		}
		r.mu.Unlock()
	}
}

// refreshIn is when to refresh a binding of the given lifetime.
func refreshIn(expires time.Duration) time.Duration {
	if expires < time.Minute {
		return max(expires/2, time.Second/2)
	}
	return expires - 30*time.Second
}

// registerOnce sends one REGISTER (and its answer to a challenge) and returns the
// lifetime granted, or the final status and an error.
func (s *Server) registerOnce(ctx context.Context, callID sip.CallIDHeader, cseq *uint32) (time.Duration, int, error) {
	const op = "sip.register"
	cfg := &s.cfg
	ctx, cancel := context.WithTimeout(ctx, 32*time.Second)
	defer cancel()
	req := s.registerRequest(callID, *cseq)
	client := s.trunkUA.Client
	res, err := client.Do(ctx, req)
	if err == nil && isAuthFailure(res.StatusCode) && cfg.TrunkPassword != "" {
		res, err = client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: cfg.TrunkUser, Password: cfg.TrunkPassword})
		*cseq = req.CSeq().SeqNo
	}
	if err != nil {
		return 0, 0, parley.WrapError(op, parley.KindUnavailable, err)
	}
	if !res.IsSuccess() {
		reason := "refused"
		if isAuthFailure(res.StatusCode) {
			reason = "credentials refused"
		}
		return 0, res.StatusCode, parley.Errorf(op, parley.KindForbidden, "%s", reason)
	}
	return grantedExpires(res, cfg.TrunkExpires), res.StatusCode, nil
}

// registerRequest builds a REGISTER of parley's Contact under the trunk user.
func (s *Server) registerRequest(callID sip.CallIDHeader, cseq uint32) *sip.Request {
	cfg := &s.cfg
	target := sip.Uri{Scheme: s.trunk.Scheme, Host: s.trunk.Host, Port: s.trunk.Port, UriParams: s.trunk.UriParams}
	req := sip.NewRequest(sip.REGISTER, target)
	aor := sip.Uri{Scheme: "sip", User: cfg.TrunkUser, Host: s.trunk.Host}
	from := &sip.FromHeader{Address: aor}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: sip.REGISTER})
	contact := s.trunkUA.ContactHDR.Clone()
	contact.Address.User = cfg.TrunkUser
	req.AppendHeader(contact)
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(cfg.TrunkExpires/time.Second))))
	if s.trunkTLS {
		req.SetTransport("TLS")
	} else if tr, ok := s.trunk.UriParams.Get("transport"); ok && tr != "" {
		req.SetTransport(tr)
	}
	return req
}

// grantedExpires reads the lifetime the registrar granted: the Contact's expires
// parameter, else the Expires header, else what was asked for.
func grantedExpires(res *sip.Response, asked time.Duration) time.Duration {
	if c := res.Contact(); c != nil {
		if v, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(h.Value()); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return asked
}
