package web

import (
	"bytes"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/audit"
	"parley.dev/parley/authz"
)

// pageTemplate is one page parsed with the shared layout.
type pageTemplate struct{ t *template.Template }

var funcs = template.FuncMap{
	"time":     func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"duration": func(d time.Duration) string { return d.Round(time.Second).String() },
}

// loadPages parses every page template with the layout.
func loadPages() (map[string]*pageTemplate, error) {
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*pageTemplate{}
	for _, n := range names {
		if strings.HasSuffix(n, "/layout.html") {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", n)
		if err != nil {
			return nil, parley.WrapError("web.loadPages", parley.KindInternal, err)
		}
		out[strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")] = &pageTemplate{t: t}
	}
	return out, nil
}

// view is what every page template receives.
type view struct {
	Title   string
	User    *parley.User
	CSRF    string
	Nav     navLinks
	Error   string
	Data    any
	Message string
	Script  bool // load the security key script
	Keys    bool // security keys are configured
	// The public side (attorneys, families): the signed-in account, its home page and role.
	Public *parley.PublicAccount
	Home   string
	Side   string
	// Lang and T: the page's language and its catalog lookup (portal pages; see i18n.go).
	Lang string
	T    func(string) string
}

// navLinks says which sections the account's role opens.
type navLinks struct{ Calls, Audit, Facilities, Attorneys bool }

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	t, ok := s.pages[name]
	if !ok {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	v.Lang = "en"
	if v.Side != "" {
		v.Lang = s.publicLang(w, r)
	}
	v.T = translator(v.Lang)
	var buf bytes.Buffer
	if err := t.t.Execute(&buf, v); err != nil {
		s.c.Logger.ErrorContext(r.Context(), "page render failed", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// page wraps a page handler: body limit, session (redirect to sign-in without), CSRF on
// state changes, errors rendered as a page.
func (s *Server) page(fn func(w http.ResponseWriter, r *http.Request, p *principal) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		p, err := s.authenticate(r)
		if err != nil {
			if parley.IsKind(err, parley.KindUnauthorized) && r.Method == http.MethodGet {
				http.Redirect(w, r, "/signin", http.StatusSeeOther)
				return
			}
			s.pageError(w, r, nil, err)
			return
		}
		if err := checkCSRF(r, p); err != nil {
			s.pageError(w, r, p, err)
			return
		}
		if err := fn(w, r, p); err != nil {
			s.pageError(w, r, p, err)
		}
	})
}

func (s *Server) base(p *principal, title string) view {
	v := view{Title: title, Keys: s.c.Keys != nil}
	if p != nil {
		v.User, v.CSRF = p.user, p.sess.CSRFToken
		v.Nav = navLinks{Calls: authz.RoleMay(p.actor, authz.SearchCalls), Audit: authz.RoleMay(p.actor, authz.ReadAudit),
			Facilities: authz.RoleMay(p.actor, authz.ManageBlocks), Attorneys: authz.RoleMay(p.actor, authz.VerifyAttorney)}
	}
	return v
}

func (s *Server) pageError(w http.ResponseWriter, r *http.Request, p *principal, err error) {
	status, _, msg := statusOf(err)
	if status >= 500 {
		s.c.Logger.ErrorContext(r.Context(), "page failed", "route", r.Pattern, "err", err)
	}
	v := s.base(p, http.StatusText(status))
	v.Error = msg
	s.render(w, r, status, "error", v)
}

func (s *Server) pageSignInForm(w http.ResponseWriter, r *http.Request) {
	v := s.base(nil, "Sign in")
	v.Script = v.Keys
	s.render(w, r, http.StatusOK, "signin", v)
}

// pageSignIn takes the sign-in form: name, password and TOTP code.
func (s *Server) pageSignIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, nil, parley.Errorf("web.signin", parley.KindInvalid, "bad form"))
		return
	}
	token, _, _, err := s.c.Auth.SignIn(r.Context(), r.PostForm.Get("name"), r.PostForm.Get("password"), strings.TrimSpace(r.PostForm.Get("code")))
	if err != nil {
		status, _, msg := statusOf(err)
		v := s.base(nil, "Sign in")
		v.Error = msg
		s.render(w, r, status, "signin", v)
		return
	}
	s.setSessionCookie(w, r, token)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) pageSignOut(w http.ResponseWriter, r *http.Request, p *principal) error {
	if err := s.c.Auth.SignOut(r.Context(), p.token); err != nil {
		return err
	}
	s.clearSessionCookie(w, r)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
	return nil
}

// landingOr serves "/": the landing page (where staff, attorneys and families sign in) to
// anyone without a staff session, and home, the staff's start page, to staff.
func (s *Server) landingOr(home http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := s.authenticate(r)
		switch {
		case err == nil:
			home.ServeHTTP(w, r)
		case parley.IsKind(err, parley.KindUnauthorized), parley.IsKind(err, parley.KindForbidden): // none, or a public session
			v := s.base(nil, "Welcome")
			v.Data = struct{ Portals bool }{Portals: s.c.Public != nil}
			s.render(w, r, http.StatusOK, "landing", v)
		default:
			s.pageError(w, r, nil, err)
		}
	})
}

func (s *Server) pageHome(w http.ResponseWriter, r *http.Request, p *principal) error {
	v := s.base(p, "parley")
	if authz.RoleMay(p.actor, authz.ReadAlerts) {
		as, err := s.alerts(p.ctx(r), p)
		if err != nil {
			return err
		}
		v.Data = as
	}
	s.render(w, r, http.StatusOK, "home", v)
	return nil
}

// callsPage is the search form's values and the results.
type callsPage struct {
	Q        url.Values
	Searched bool
	Calls    []*parley.CallRecord
	Purpose  string // carried to the detail links
	Case     string
}

func (s *Server) pageCalls(w http.ResponseWriter, r *http.Request, p *principal) error {
	q := r.URL.Query()
	if !authz.RoleMay(p.actor, authz.SearchCalls) {
		return s.deny(p.ctx(r), "calls.search", "page", clip(q.Get("purpose"), 200), clip(q.Get("case"), 64), "role")
	}
	data := callsPage{Q: q}
	v := s.base(p, "Call search")
	if submitted(q, "number", "inmate", "facility", "purpose", "case", "from", "to") {
		// A submitted form is searched or answered with why not: with only a purpose, a case
		// and dates it used to come back empty without a word.
		sq, err := parseSearch(q, s.c.Region)
		if err == nil {
			data.Calls, err = s.search(p.ctx(r), p, sq)
		}
		if err != nil {
			status, _, msg := statusOf(err)
			if status >= 500 {
				return err
			}
			v.Error = msg
			v.Data = data
			s.render(w, r, status, "calls", v)
			return nil
		}
		data.Searched = true
		data.Purpose, data.Case = sq.why.Purpose, sq.why.Case
	}
	v.Data = data
	s.render(w, r, http.StatusOK, "calls", v)
	return nil
}

// submitted reports whether any of the fields has a value.
func submitted(q url.Values, fields ...string) bool {
	for _, f := range fields {
		if strings.TrimSpace(q.Get(f)) != "" {
			return true
		}
	}
	return false
}

// callPage is one call and the reason it is read, carried to the audio's URL.
type callPage struct {
	Call     *parley.CallRecord
	Reason   string
	Purpose  string
	Case     string
	AudioURL string
}

func (s *Server) pageCall(w http.ResponseWriter, r *http.Request, p *principal) error {
	why, err := parseReason(r.URL.Query())
	if err != nil {
		return err
	}
	c, err := s.readCall(p.ctx(r), p, r.PathValue("id"), why)
	if err != nil {
		return err
	}
	rs := url.Values{"purpose": {why.Purpose}, "case": {why.Case}}.Encode()
	data := callPage{Call: c, Reason: rs, Purpose: why.Purpose, Case: why.Case}
	if c.Recording == parley.RecordingStored && c.RecordingID != "" {
		data.AudioURL = "/api/v1/recordings/" + url.PathEscape(c.RecordingID) + "?" + rs
	}
	v := s.base(p, "Call")
	v.Data = data
	s.render(w, r, http.StatusOK, "call", v)
	return nil
}

// auditPage is a page of the audit log (or the events a filter selects) and the
// verification result.
type auditPage struct {
	Size     int64
	From     int64
	Events   []auditRow
	Report   *audit.Report
	VerifyOK bool
	Problem  string
	Prev     int64
	HasPrev  bool
	Q        url.Values // the filter form
	Filtered bool
	Capped   bool   // the filter's scan stopped before the start of the log
	Export   string // the CSV export's address, with the filter
}

// auditRow is an event with the staff names of its actor and object, for the page only.
type auditRow struct {
	parley.AuditEvent
	ActorName, ObjectName string
}

func (s *Server) pageAudit(w http.ResponseWriter, r *http.Request, p *principal) error {
	ctx := p.ctx(r)
	q := r.URL.Query()
	size, events, from, err := s.readAudit(ctx, p, q)
	if err != nil {
		return err
	}
	names, err := s.staffNames(ctx)
	if err != nil {
		return err
	}
	data := auditPage{Size: size, From: from, Prev: max(0, from-100), HasPrev: from > 0, Q: q}
	fq := url.Values{}
	for _, k := range []string{"actor", "action", "object", "since", "until"} {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			fq.Set(k, v)
		}
	}
	data.Export = "/audit.csv?" + fq.Encode()
	f, ferr := parseAuditFilter(fq, names)
	v := s.base(p, "Audit log")
	status := http.StatusOK
	switch {
	case ferr != nil:
		st, _, msg := statusOf(ferr)
		if st >= 500 {
			return ferr
		}
		status, v.Error, events = st, msg, nil
	case !f.empty():
		if events, data.Capped, err = s.filterAudit(ctx, p, f, 100); err != nil {
			return err
		}
		data.Filtered = true
	default:
		slices.Reverse(events) // newest first on screen
	}
	for _, e := range events {
		data.Events = append(data.Events, auditRow{AuditEvent: e, ActorName: names[e.Actor], ObjectName: names[e.Object]})
	}
	if rep, verr := s.verifyAudit(ctx, p); verr != nil {
		data.Problem = publicMessage(verr)
	} else {
		data.Report, data.VerifyOK = &rep, true
	}
	v.Data = data
	s.render(w, r, status, "audit", v)
	return nil
}

// clip bounds a value copied into an audit event from an unchecked query.
func clip(s string, n int) string {
	if len(s) > n || !printable(s) {
		return ""
	}
	return s
}
