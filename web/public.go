package web

import (
	"context"
	"net"
	"net/http"
	"strings"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/auth"
	"parley.dev/parley/authz"
)

// The public side: attorneys (/attorney, /api/v1/attorney) and families (/family,
// /api/v1/family). Public accounts sign in with their own service (auth.Public), their
// sessions live apart from staff sessions, and every request is decided by authz.Decide on
// an owned action, so a public account never reaches a staff route, nor staff a public
// one, nor one public account another's things.

// publicPrincipal is the signed-in public account behind a request.
type publicPrincipal struct {
	token string
	sess  *parley.Session
	acct  *parley.PublicAccount
	actor authz.Actor
	now   time.Time
}

func (p *publicPrincipal) ctx(r *http.Request) context.Context {
	return parley.NewContextWithActor(r.Context(), auth.PublicActor(p.acct.ID))
}

// publicSide describes one of the two public sides.
type publicSide struct {
	role   parley.Role
	action authz.Action
	home   string // page path: /attorney or /family
}

var (
	attorneySide = publicSide{role: parley.RoleAttorney, action: authz.ManageOwnNumbers, home: "/attorney"}
	familySide   = publicSide{role: parley.RoleFamily, action: authz.UseFamilyAccount, home: "/family"}
)

// authenticatePublic returns the request's public principal. Without a public session it
// is KindUnauthorized, or KindForbidden when the cookie holds a staff session (staff do
// not use public routes). The side's action is then decided on the account's own
// resources: an account of the other side gets KindForbidden (audited).
func (s *Server) authenticatePublic(r *http.Request, side publicSide) (*publicPrincipal, error) {
	const op = "web.authenticatePublic"
	if s.c.Public == nil {
		return nil, parley.Errorf(op, parley.KindUnavailable, "public accounts are not enabled on this server")
	}
	c, err := r.Cookie(s.cookieName(r))
	if err != nil || c.Value == "" {
		return nil, parley.Errorf(op, parley.KindUnauthorized, "sign in first")
	}
	sess, a, err := s.c.Public.Authenticate(r.Context(), c.Value)
	if parley.IsKind(err, parley.KindUnauthorized) {
		if _, _, serr := s.c.Auth.Authenticate(r.Context(), c.Value); serr == nil {
			return nil, parley.Errorf(op, parley.KindForbidden, "staff accounts do not use this page")
		}
	}
	if err != nil {
		return nil, err
	}
	p := &publicPrincipal{token: c.Value, sess: sess, acct: a, now: s.c.Public.Now(),
		actor: authz.Actor{UserID: a.ID, Role: a.Role}}
	if d := authz.Decide(p.actor, side.action, authz.Resource{OwnerID: a.ID}, p.now); !d.Allow {
		return nil, s.deny(p.ctx(r), string(side.action), auth.PublicActor(a.ID), "", "", d.Rule)
	}
	return p, nil
}

// publicAPI wraps a public API handler: body limit, public session (401 without, 403 for
// staff or the other side), CSRF on state changes, JSON errors.
func (s *Server) publicAPI(side publicSide, fn func(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		p, err := s.authenticatePublic(r, side)
		if err == nil {
			err = checkCSRFToken(r, p.sess)
		}
		if err == nil {
			err = fn(w, r, p)
		}
		if err != nil {
			s.fail(w, r, err)
		}
	})
}

// publicPage wraps a public page handler: as publicAPI, but a GET without a session is
// sent to the side's sign-in page and errors are rendered as a page.
func (s *Server) publicPage(side publicSide, fn func(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		p, err := s.authenticatePublic(r, side)
		if err != nil {
			if parley.IsKind(err, parley.KindUnauthorized) && r.Method == http.MethodGet {
				http.Redirect(w, r, side.home+"/signin", http.StatusSeeOther)
				return
			}
			s.publicError(w, r, side, nil, err)
			return
		}
		if r.Method == http.MethodPost {
			// Handlers read r.PostForm: parse it here, whether or not the CSRF check did.
			if err := r.ParseForm(); err != nil {
				s.publicError(w, r, side, p, parley.Errorf("web.form", parley.KindInvalid, "bad form"))
				return
			}
		}
		if err := checkCSRFToken(r, p.sess); err != nil {
			s.publicError(w, r, side, p, err)
			return
		}
		if err := fn(w, r, p); err != nil {
			s.publicError(w, r, side, p, err)
		}
	})
}

// checkCSRFToken is checkCSRF for any session.
func checkCSRFToken(r *http.Request, sess *parley.Session) error {
	return checkCSRF(r, &principal{sess: sess})
}

func (s *Server) publicBase(side publicSide, p *publicPrincipal, title string) view {
	v := view{Title: title, Home: side.home, Side: string(side.role)}
	if p != nil {
		v.Public, v.CSRF = p.acct, p.sess.CSRFToken
	}
	return v
}

func (s *Server) publicError(w http.ResponseWriter, r *http.Request, side publicSide, p *publicPrincipal, err error) {
	status, _, msg := statusOf(err)
	if status >= 500 {
		s.c.Logger.ErrorContext(r.Context(), "page failed", "route", r.Pattern, "err", err)
	}
	v := s.publicBase(side, p, http.StatusText(status))
	v.Error = msg
	s.render(w, r, status, "error", v)
}

func (s *Server) publicRoutes(mux *http.ServeMux) {
	for _, side := range []publicSide{attorneySide, familySide} {
		api := "/api/v1" + side.home
		mux.HandleFunc("POST "+api+"/signup", s.apiPublicSignUp(side))
		mux.HandleFunc("POST "+api+"/session", s.apiPublicSignIn(side))
		mux.Handle("GET "+api+"/session", s.publicAPI(side, s.apiPublicSession))
		mux.Handle("DELETE "+api+"/session", s.publicAPI(side, s.apiPublicSignOut))
		mux.Handle("POST "+api+"/totp", s.publicAPI(side, s.apiPublicTOTPBegin))
		mux.Handle("POST "+api+"/totp/confirm", s.publicAPI(side, s.apiPublicTOTPConfirm))
		mux.HandleFunc("GET "+side.home+"/signup", s.pagePublicSignUpForm(side))
		mux.HandleFunc("POST "+side.home+"/signup", s.pagePublicSignUp(side))
		mux.HandleFunc("GET "+side.home+"/signin", s.pagePublicSignInForm(side))
		mux.HandleFunc("POST "+side.home+"/signin", s.pagePublicSignIn(side))
		mux.Handle("POST "+side.home+"/signout", s.publicPage(side, s.pagePublicSignOut(side)))
		mux.Handle("GET "+side.home+"/security", s.publicPage(side, s.pagePublicSecurity(side)))
		mux.Handle("POST "+side.home+"/security", s.publicPage(side, s.pagePublicSecurityConfirm(side)))
	}
	s.attorneyRoutes(mux)
	s.familyRoutes(mux)
}

type publicSignUpRequest struct {
	Name      string `json:"name"`
	Password  string `json:"password"`
	FullName  string `json:"full_name"`
	BarNumber string `json:"bar_number"`
	State     string `json:"state"`
}

func (side publicSide) account(req publicSignUpRequest) *parley.PublicAccount {
	a := &parley.PublicAccount{Name: strings.TrimSpace(req.Name), Role: side.role}
	if side.role == parley.RoleAttorney {
		a.FullName, a.BarNumber = strings.TrimSpace(req.FullName), strings.TrimSpace(req.BarNumber)
		a.BarState = strings.ToUpper(strings.TrimSpace(req.State))
	}
	return a
}

type publicSessionResponse struct {
	AccountID string `json:"account_id"`
	Role      string `json:"role"`
	Status    string `json:"status,omitempty"`
	TOTP      bool   `json:"totp"`
	CSRFToken string `json:"csrf_token"`
}

func publicSession(a *parley.PublicAccount, sess *parley.Session) publicSessionResponse {
	return publicSessionResponse{AccountID: a.ID, Role: string(a.Role), Status: string(a.Status), TOTP: a.TOTPSecret != "",
		CSRFToken: sess.CSRFToken}
}

// signupLimits bound public sign-ups per client address (each hashes a password with
// argon2id, and each name taken is an answer): 30 well-formed requests a minute. Behind a
// proxy every client shares the proxy's address, which still bounds the work.
var signupLimits = authz.Limits{PerMinute: 30, DailyRecords: 1 << 30}

// signupAllowed counts a sign-up attempt from the request's address.
func (s *Server) signupAllowed(r *http.Request) error {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if !s.signups.Allow("addr:"+host, s.c.Public.Now()) {
		return &apiError{http.StatusTooManyRequests, "rate_limited", "too many sign-ups from this address; try again in a minute"}
	}
	return nil
}

func (s *Server) publicEnabled(w http.ResponseWriter, r *http.Request) bool {
	if s.c.Public == nil || s.c.Portal == nil {
		s.fail(w, r, parley.Errorf("web.public", parley.KindUnavailable, "public accounts are not enabled on this server"))
		return false
	}
	return true
}

// apiPublicSignUp: POST /api/v1/{attorney,family}/signup.
func (s *Server) apiPublicSignUp(side publicSide) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		if !s.publicEnabled(w, r) {
			return
		}
		var req publicSignUpRequest
		if err := decodeJSON(r, &req); err != nil {
			s.fail(w, r, err)
			return
		}
		if err := s.signupAllowed(r); err != nil {
			s.fail(w, r, err)
			return
		}
		if side.role == parley.RoleFamily && (req.FullName != "" || req.BarNumber != "" || req.State != "") {
			s.fail(w, r, parley.Errorf("web.signup", parley.KindInvalid, "a family account has no bar details"))
			return
		}
		a := side.account(req)
		if err := s.c.Public.SignUp(r.Context(), a, req.Password); err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, map[string]string{"account_id": a.ID, "role": string(a.Role), "status": string(a.Status)})
	}
}

// apiPublicSignIn: POST /api/v1/{attorney,family}/session: name, password and, if the
// account has one, the authenticator code.
func (s *Server) apiPublicSignIn(side publicSide) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		if !s.publicEnabled(w, r) {
			return
		}
		var req signInRequest
		if err := decodeJSON(r, &req); err != nil {
			s.fail(w, r, err)
			return
		}
		token, sess, a, err := s.c.Public.SignIn(r.Context(), side.role, req.Name, req.Password, req.Code)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.setSessionCookie(w, r, token)
		writeJSON(w, http.StatusCreated, publicSession(a, sess))
	}
}

func (s *Server) apiPublicSession(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	writeJSON(w, http.StatusOK, publicSession(p.acct, p.sess))
	return nil
}

func (s *Server) apiPublicSignOut(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	if err := s.c.Public.SignOut(r.Context(), p.token); err != nil {
		return err
	}
	s.clearSessionCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiPublicTOTPBegin: POST …/totp returns a new authenticator secret to confirm.
func (s *Server) apiPublicTOTPBegin(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	if p.acct.TOTPSecret != "" {
		return parley.Errorf("web.totp", parley.KindConflict, "this account has an authenticator already")
	}
	e, err := s.c.Public.NewTOTP(p.acct.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"secret": e.TOTPSecret, "url": e.URL})
	return nil
}

type totpConfirmRequest struct {
	Secret   string `json:"secret"`
	Password string `json:"password"`
	Code     string `json:"code"`
}

// apiPublicTOTPConfirm: POST …/totp/confirm turns the authenticator on; every session of
// the account ends, this one included.
func (s *Server) apiPublicTOTPConfirm(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	var req totpConfirmRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := s.c.Public.EnableTOTP(p.ctx(r), p.acct.ID, req.Password, req.Secret, req.Code); err != nil {
		return err
	}
	s.clearSessionCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Pages.

// openPublicForm limits the body, checks that public accounts are enabled and parses the
// form: what the sign-up and sign-in forms start with. When it reports false it has
// answered the request, and the handler stops.
func (s *Server) openPublicForm(w http.ResponseWriter, r *http.Request, side publicSide, op string) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if s.c.Public == nil {
		s.publicError(w, r, side, nil, parley.Errorf("web.public", parley.KindUnavailable, "public accounts are not enabled on this server"))
		return false
	}
	if err := r.ParseForm(); err != nil {
		s.publicError(w, r, side, nil, parley.Errorf(op, parley.KindInvalid, "bad form"))
		return false
	}
	return true
}

// renderPublicFormError shows a public form page again with err's status and message.
func (s *Server) renderPublicFormError(w http.ResponseWriter, r *http.Request, side publicSide, page, title string, err error) {
	status, _, msg := statusOf(err)
	v := s.publicBase(side, nil, title)
	v.Error = msg
	s.render(w, r, status, page, v)
}

func (s *Server) pagePublicSignUpForm(side publicSide) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusOK, "public_signup", s.publicBase(side, nil, "Create an account"))
	}
}

func (s *Server) pagePublicSignUp(side publicSide) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.openPublicForm(w, r, side, "web.signup") {
			return
		}
		if err := s.signupAllowed(r); err != nil {
			s.publicError(w, r, side, nil, err)
			return
		}
		f := r.PostForm
		req := publicSignUpRequest{Name: f.Get("name"), Password: f.Get("password"), FullName: f.Get("full_name"),
			BarNumber: f.Get("bar_number"), State: f.Get("state")}
		var err error
		if f.Get("password") != f.Get("password2") {
			err = parley.Errorf("web.signup", parley.KindInvalid, "the two passwords differ")
		} else {
			err = s.c.Public.SignUp(r.Context(), side.account(req), req.Password)
		}
		if err != nil {
			s.renderPublicFormError(w, r, side, "public_signup", "Create an account", err)
			return
		}
		v := s.publicBase(side, nil, "Sign in")
		v.Message = "Your account is created. Sign in to continue."
		s.render(w, r, http.StatusOK, "public_signin", v)
	}
}

func (s *Server) pagePublicSignInForm(side publicSide) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusOK, "public_signin", s.publicBase(side, nil, "Sign in"))
	}
}

func (s *Server) pagePublicSignIn(side publicSide) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.openPublicForm(w, r, side, "web.signin") {
			return
		}
		token, _, _, err := s.c.Public.SignIn(r.Context(), side.role, r.PostForm.Get("name"), r.PostForm.Get("password"),
			strings.TrimSpace(r.PostForm.Get("code")))
		if err != nil {
			s.renderPublicFormError(w, r, side, "public_signin", "Sign in", err)
			return
		}
		s.setSessionCookie(w, r, token)
		http.Redirect(w, r, side.home, http.StatusSeeOther)
	}
}

func (s *Server) pagePublicSignOut(side publicSide) func(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	return func(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
		if err := s.c.Public.SignOut(r.Context(), p.token); err != nil {
			return err
		}
		s.clearSessionCookie(w, r)
		http.Redirect(w, r, side.home+"/signin", http.StatusSeeOther)
		return nil
	}
}

// securityPage offers an authenticator: the new secret travels in the form (it is the
// account's own, shown to it once) until a code of it confirms it.
type securityPage struct {
	Enabled bool
	Secret  string
	URL     string
}

func (s *Server) pagePublicSecurity(side publicSide) func(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	return func(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
		data := securityPage{Enabled: p.acct.TOTPSecret != ""}
		if !data.Enabled {
			e, err := s.c.Public.NewTOTP(p.acct.ID)
			if err != nil {
				return err
			}
			data.Secret, data.URL = e.TOTPSecret, e.URL
		}
		v := s.publicBase(side, p, "Sign-in security")
		v.Data = data
		s.render(w, r, http.StatusOK, "public_security", v)
		return nil
	}
}

func (s *Server) pagePublicSecurityConfirm(side publicSide) func(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	return func(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
		f := r.PostForm
		if err := s.c.Public.EnableTOTP(p.ctx(r), p.acct.ID, f.Get("password"), f.Get("secret"), strings.TrimSpace(f.Get("code"))); err != nil {
			status, _, msg := statusOf(err)
			if status >= 500 {
				return err
			}
			v := s.publicBase(side, p, "Sign-in security")
			v.Error = msg
			v.Data = securityPage{Secret: f.Get("secret")}
			s.render(w, r, status, "public_security", v)
			return nil
		}
		s.clearSessionCookie(w, r)
		v := s.publicBase(side, nil, "Sign in")
		v.Message = "Your authenticator is on. Sign in again with your password and its code."
		s.render(w, r, http.StatusOK, "public_signin", v)
		return nil
	}
}
