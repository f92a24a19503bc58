// Package web is parley's staff surface over HTTP: the JSON API under /api/v1/ (documented
// by the OpenAPI file it serves at /api/v1/openapi.json) and server-rendered pages (html/
// template, embedded, no scripts), both behind the same sign-in (package auth), the same
// authorization function (authz.Decide) and the same audit. Every response carries a strict
// Content-Security-Policy and secure headers; every state-changing request passes the
// cross-origin check and carries the session's CSRF token; every request is counted in
// Prometheus metrics (Config.Registry) and written to the access log without its path or query.
package web

import (
	"context"
	"embed"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"parley.dev/parley"
	"parley.dev/parley/admin"
	"parley.dev/parley/audit"
	"parley.dev/parley/auth"
	"parley.dev/parley/authz"
	"parley.dev/parley/portal"
	"parley.dev/parley/records"
	"parley.dev/parley/vault"
)

//go:embed templates/*.html static/* openapi.json
var assets embed.FS

// Vault opens recordings for playback (vault.Vault); it audits each read itself.
type Vault interface {
	Open(ctx context.Context, id string, a vault.Access) (io.ReadCloser, *parley.Recording, error)
}

// AuditLog appends events and reads them back (audit.Log).
type AuditLog interface {
	parley.Auditor
	Events(ctx context.Context, from, to int64) ([]parley.AuditEvent, error)
}

// Registry registers privileged numbers (privilege.Registry), destroying earlier
// recordings of them.
type Registry interface {
	Register(ctx context.Context, p *parley.PrivilegedNumber) (int, error)
}

// Config wires a Server.
type Config struct {
	Auth        *auth.Service
	Store       parley.Store
	Searcher    *records.Searcher
	Vault       Vault
	Audit       AuditLog
	VerifyAudit func(ctx context.Context) (audit.Report, error)
	Registry    Registry
	Keys        *auth.Keys   // security keys as a second factor; nil: TOTP only
	Logger      *slog.Logger // never receives personal data
	Limits      authz.Limits
	Region      string       // default region of numbers typed without a country code; "US" if empty
	Health      http.Handler // served at /healthz, if set
	// MetricsRegistry receives the web's metrics (a registry of its own if nil); Metrics,
	// if set, is served at /metrics (the caller decides who may read it: see cmd/parley).
	MetricsRegistry *prometheus.Registry
	Metrics         http.Handler
	// Public signs attorneys and families in, and Portal verifies their numbers; nil
	// Public turns the public side off.
	Public *auth.Public
	Portal *portal.Service
	Family Family // a family account's rates, money, calls and self-blocks
	// BehindTLS says browsers reach the server through a TLS-terminating proxy: cookies
	// are Secure and __Host- prefixed, and HSTS is sent, even though requests arrive in clear.
	BehindTLS bool

	// Administration and officers (pages and API under /facilities/{id}).
	Admin *admin.Service   // the audited administrative operations; nil: those routes answer 503
	Live  parley.LiveCalls // the call server's calls in progress; nil: none shown
}

// Server is the staff surface. Create it with New; it is an http.Handler.
type Server struct {
	c       Config
	limiter *authz.Limiter
	signups *authz.Limiter // public sign-ups per client address (see public.go)
	pages   map[string]*pageTemplate
	metrics *metrics
	handler http.Handler
	plays   playbacks // short-lived playback grants (playback.go)
}

// New returns the server with its routes.
func New(c Config) (*Server, error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Region == "" {
		c.Region = "US"
	}
	s := &Server{c: c, limiter: authz.NewLimiter(c.Limits), signups: authz.NewLimiter(signupLimits)}
	var err error
	if s.pages, err = loadPages(); err != nil {
		return nil, err
	}
	reg := c.MetricsRegistry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	s.metrics = newMetrics(reg, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := c.Store.CountSessions(ctx, c.Auth.Now().Add(-c.Auth.IdleTimeout()))
		if err != nil {
			return -1
		}
		return float64(n)
	})
	if c.Live != nil {
		reg.MustRegister(s.liveGauge())
	}
	mux := http.NewServeMux()
	s.routes(mux)
	if c.Metrics != nil {
		mux.Handle("GET /metrics", c.Metrics)
	}
	if c.Health != nil {
		mux.Handle("GET /healthz", c.Health)
	}
	cop := http.NewCrossOriginProtection()
	s.handler = s.metrics.wrap(c.Logger, s.secureHeaders(cop.Handler(mux)))
	return s, nil
}

// ServeHTTP serves every route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) routes(mux *http.ServeMux) {
	// JSON API.
	mux.HandleFunc("GET /api/v1/openapi.json", serveOpenAPI)
	mux.HandleFunc("POST /api/v1/session", s.apiSignIn)
	mux.Handle("GET /api/v1/session", s.api(s.apiSession))
	mux.Handle("DELETE /api/v1/session", s.api(s.apiSignOut))
	mux.Handle("GET /api/v1/calls", s.api(s.apiSearch))
	mux.Handle("GET /api/v1/calls/{id}", s.api(s.apiCall))
	mux.Handle("GET /api/v1/recordings/{id}", s.api(s.apiRecording))
	mux.Handle("GET /api/v1/audit", s.api(s.apiAudit))
	mux.Handle("GET /api/v1/audit/verify", s.api(s.apiAuditVerify))
	mux.Handle("POST /api/v1/privileged", s.api(s.apiPrivileged))
	mux.Handle("GET /api/v1/alerts", s.api(s.apiAlerts))
	mux.Handle("POST /api/v1/keys/register", s.api(s.apiKeyRegisterBegin))
	mux.Handle("POST /api/v1/keys/register/{ceremony}", s.api(s.apiKeyRegisterFinish))
	mux.HandleFunc("POST /api/v1/session/key", s.apiKeySignInBegin)
	mux.HandleFunc("POST /api/v1/session/key/{ceremony}", s.apiKeySignInFinish)
	s.publicRoutes(mux)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeJSONError(w, http.StatusNotFound, "not_found", "no such API route")
	})
	// Pages.
	mux.HandleFunc("GET /signin", s.pageSignInForm)
	mux.HandleFunc("POST /signin", s.pageSignIn)
	mux.Handle("POST /signout", s.page(s.pageSignOut))
	mux.Handle("GET /{$}", s.landingOr(s.page(s.pageHome)))
	mux.Handle("GET /calls", s.page(s.pageCalls))
	mux.Handle("GET /calls/{id}", s.page(s.pageCall))
	mux.Handle("GET /audit", s.page(s.pageAudit))
	mux.Handle("GET /audit.csv", s.page(s.pageAuditCSV))
	mux.Handle("GET /keys", s.page(s.pageKeys))
	mux.Handle("GET /static/", http.FileServerFS(assets))
	s.staffRoutes(mux)
	s.attorneyAdminRoutes(mux)
	s.enrolRoutes(mux)
}
