package web

import (
	"context"
	"crypto/subtle"
	"net/http"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/authz"
)

// Session cookie names: with TLS the __Host- prefix pins it to this origin and Secure.
const (
	cookiePlain = "parley_session"
	cookieTLS   = "__Host-parley_session"
)

// secure reports whether the browser reached us over TLS: directly, or through a
// TLS-terminating proxy (Config.BehindTLS).
func (s *Server) secure(r *http.Request) bool { return r.TLS != nil || s.c.BehindTLS }

func (s *Server) cookieName(r *http.Request) string {
	if s.secure(r) {
		return cookieTLS
	}
	return cookiePlain
}

// setSessionCookie sets the session cookie: HttpOnly, SameSite=Strict, Secure under TLS,
// no Max-Age (it ends with the browser; the server ends it sooner on idle).
func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(r), Value: token, Path: "/", HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteStrictMode})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(r), Value: "", Path: "/", HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteStrictMode, MaxAge: -1, Expires: time.Unix(1, 0)})
}

// principal is the signed-in account behind a request.
type principal struct {
	token string
	sess  *parley.Session
	user  *parley.User
	actor authz.Actor
	now   time.Time
}

// authenticate returns the request's principal, or KindUnauthorized.
func (s *Server) authenticate(r *http.Request) (*principal, error) {
	c, err := r.Cookie(s.cookieName(r))
	if err != nil || c.Value == "" {
		return nil, parley.Errorf("web.authenticate", parley.KindUnauthorized, "sign in first")
	}
	sess, u, err := s.c.Auth.Authenticate(r.Context(), c.Value)
	if parley.IsKind(err, parley.KindUnauthorized) && s.c.Public != nil {
		if _, _, perr := s.c.Public.Authenticate(r.Context(), c.Value); perr == nil {
			return nil, parley.Errorf("web.authenticate", parley.KindForbidden, "this is the staff side; public accounts have their own pages")
		}
	}
	if err != nil {
		return nil, err
	}
	now := s.c.Auth.Now()
	a, err := authz.Load(r.Context(), s.c.Store, u, now)
	if err != nil {
		return nil, err
	}
	return &principal{token: c.Value, sess: sess, user: u, actor: a, now: now}, nil
}

// checkCSRF requires the session's CSRF token on a state-changing request, in the
// X-CSRF-Token header (API) or the csrf form field (pages).
func checkCSRF(r *http.Request, p *principal) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(p.sess.CSRFToken)) != 1 {
		return parley.Errorf("web.csrf", parley.KindForbidden, "missing or wrong CSRF token")
	}
	return nil
}

// ctx returns the request context with the principal as the audit actor.
func (p *principal) ctx(r *http.Request) context.Context {
	return parley.NewContextWithActor(r.Context(), "user:"+p.user.ID)
}
