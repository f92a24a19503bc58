package sip

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Binding is where a registered phone can be reached. Bindings are kept in memory only:
// after a restart phones are unknown until they register again (they do within their
// registration interval).
type Binding struct {
	Username   string
	FacilityID string
	DeviceID   string
	Contact    string         // the Contact URI the phone registered
	Source     netip.AddrPort // where its REGISTER came from (the address to use behind NAT)
	Transport  string
	Expires    time.Time
}

// registrar holds one binding per username: a phone has one line, and its latest Contact
// replaces the previous one.
type registrar struct {
	mu sync.Mutex
	m  map[string]Binding
}

// Binding returns the current registration of a phone; false when it is not registered
// or its registration has expired.
func (s *Server) Binding(username string) (Binding, bool) {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	b, ok := s.reg.m[username]
	if ok && !s.now().Before(b.Expires) {
		delete(s.reg.m, username)
		return Binding{}, false
	}
	return b, ok
}

// now is the server's clock (tests may skew it).
func (s *Server) now() time.Time { return time.Now().Add(time.Duration(s.clockSkew.Load())) }

// authorize checks the digest credentials of a request from a source that is not a
// trusted gateway. When it returns false it has answered the request: 401/407 with a
// challenge, or 403 for a locked-out source. code is the challenge status
// (sip.StatusUnauthorized or sip.StatusProxyAuthRequired) and user the username the
// request names, to pick the algorithms offered.
func (s *Server) authorize(req *sip.Request, tx sip.ServerTransaction, src netip.Addr, code int, user string) (Phone, string, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ph, name, res := s.auth.check(ctx, req, src)
	switch res {
	case authOK:
		s.auth.succeed(src)
		return ph, name, true
	case authLocked:
		respond(req, tx, sip.StatusForbidden, "Forbidden")
		return Phone{}, "", false
	case authFailed:
		// Usernames are device ids: fine to log; the credentials never are.
		if s.auth.fail(src) {
			s.log.Warn("source locked out after failed authentications", "source", src.String(),
				"user", safeUser(name), "method", string(req.Method))
			respond(req, tx, sip.StatusForbidden, "Forbidden")
			return Phone{}, "", false
		}
		s.log.Info("authentication failed", "source", src.String(), "user", safeUser(name), "method", string(req.Method))
	}
	reason := "Unauthorized"
	if code == sip.StatusProxyAuthRequired {
		reason = "Proxy Authentication Required"
	}
	r := sip.NewResponseFromRequest(req, code, reason, nil)
	if to := r.To(); to != nil && req.IsInvite() && !to.Params.Has("tag") {
		to.Params.Add("tag", sip.GenerateTagN(16))
	}
	if !s.auth.challenge(ctx, r, safeUser(user), res == authStale) {
		// Set to MD5 alone while FIPS mode forbids MD5: nothing to offer. The user name
		// is the device id, never personal data.
		s.log.Warn("phone refused: its digest is MD5 only, not allowed in FIPS mode (set it to sha256 with 'parley phone password')",
			"user", safeUser(user), "method", string(req.Method))
		respond(req, tx, sip.StatusForbidden, "Forbidden")
		return Phone{}, "", false
	}
	_ = tx.Respond(r)
	return Phone{}, "", false
}

// safeUser returns a username fit for logs and lookups, or "".
func safeUser(u string) string {
	if len(u) > 64 || strings.ContainsAny(u, "\r\n\"\x00") {
		return ""
	}
	return u
}

func (s *Server) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	src, err := netip.ParseAddrPort(req.Source())
	to := req.To()
	if err != nil || to == nil {
		respond(req, tx, sip.StatusBadRequest, "Bad Request")
		return
	}
	if s.auth == nil {
		respond(req, tx, sip.StatusForbidden, "Forbidden")
		return
	}
	user := to.Address.User
	ph, name, ok := s.authorize(req, tx, src.Addr().Unmap(), sip.StatusUnauthorized, user)
	if !ok {
		return
	}
	if name != user { // a phone registers itself only
		s.log.Warn("REGISTER for another user refused", "user", safeUser(name), "source", src.Addr().String())
		respond(req, tx, sip.StatusForbidden, "Forbidden")
		return
	}

	expires := int64(s.cfg.MaxExpires / time.Second)
	if h := req.GetHeader("Expires"); h != nil {
		v, err := strconv.ParseUint(strings.TrimSpace(h.Value()), 10, 32)
		if err != nil {
			respond(req, tx, sip.StatusBadRequest, "Bad Expires")
			return
		}
		expires = int64(v)
	}
	var contact *sip.ContactHeader
	wildcard := false
	for _, h := range req.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			continue
		}
		if c.Address.Wildcard {
			wildcard = true
			continue
		}
		if contact == nil {
			contact = c
		}
	}
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	switch {
	case wildcard:
		if expires != 0 || contact != nil {
			respond(req, tx, sip.StatusBadRequest, "Bad Request")
			return
		}
		s.unbind(name)
		s.log.Info("phone unregistered", "user", name)
	case contact == nil: // a query: answer with the current binding
		if b, ok := s.Binding(name); ok {
			res.AppendHeader(contactWithExpires(b.Contact, b.Expires.Sub(s.now())))
		}
	default:
		if v, ok := contact.Params.Get("expires"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
			if err != nil {
				respond(req, tx, sip.StatusBadRequest, "Bad Expires")
				return
			}
			expires = int64(n)
		}
		if expires == 0 {
			s.unbind(name)
			s.log.Info("phone unregistered", "user", name)
			break
		}
		d := time.Duration(expires) * time.Second
		if d < s.cfg.MinExpires {
			r := sip.NewResponseFromRequest(req, 423, "Interval Too Brief", nil)
			r.AppendHeader(sip.NewHeader("Min-Expires", strconv.Itoa(int(s.cfg.MinExpires/time.Second))))
			_ = tx.Respond(r)
			return
		}
		d = min(d, s.cfg.MaxExpires)
		b := Binding{Username: name, FacilityID: ph.FacilityID, DeviceID: ph.DeviceID,
			Contact: contact.Address.String(), Source: src, Transport: req.Transport(), Expires: s.now().Add(d)}
		s.reg.mu.Lock()
		_, refresh := s.reg.m[name]
		s.reg.m[name] = b
		s.reg.mu.Unlock()
		if !refresh {
			s.log.Info("phone registered", "user", name, "source", src.Addr().String())
		}
		res.AppendHeader(contactWithExpires(b.Contact, d))
		res.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(d/time.Second))))
	}
	_ = tx.Respond(res)
}

func (s *Server) unbind(name string) {
	s.reg.mu.Lock()
	delete(s.reg.m, name)
	s.reg.mu.Unlock()
}

func contactWithExpires(uri string, d time.Duration) sip.Header {
	return sip.NewHeader("Contact", "<"+uri+">;expires="+strconv.Itoa(int(max(d, 0)/time.Second)))
}
