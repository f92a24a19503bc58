package main

import (
	"context"
	"github.com/prometheus/client_golang/prometheus"
	"net/http"
	"net/url"
	"strconv"

	"parley.dev/parley"
	"parley.dev/parley/audit"
	"parley.dev/parley/auth"
	"parley.dev/parley/authz"
	"parley.dev/parley/web"
)

// auth returns the sign-in service over this environment's store and audit log.
func (e *env) auth() *auth.Service {
	return auth.New(auth.Config{Store: e.store, Auditor: e.audit, Logger: e.logger, Now: e.clock})
}

// httpHandler is everything `serve --http` answers: the staff API and pages (package web),
// /metrics and /healthz. PARLEY_READS_PER_MINUTE and PARLEY_DAILY_READ_CAP override the
// per-account bulk-read limits; PARLEY_WEBAUTHN_ORIGIN (the origin staff browsers see,
// e.g. https://parley.example.org) turns on security keys as a second factor;
// PARLEY_BEHIND_TLS=true says a TLS-terminating proxy is in front (Secure cookies, HSTS).
// live lists the SIP server's calls in progress for officers (nil without SIP); sender
// delivers phone verification codes to the public side (nil: verification is unavailable).
func (m *Main) httpHandler(e *env, live parley.LiveCalls, sender parley.CodeSender) (http.Handler, error) {
	limits := authz.DefaultLimits
	for env, dst := range map[string]*int{"PARLEY_READS_PER_MINUTE": &limits.PerMinute, "PARLEY_DAILY_READ_CAP": &limits.DailyRecords} {
		if n, err := strconv.Atoi(m.setting(env)); err == nil && n > 0 {
			*dst = n
		}
	}
	signIn := e.auth()
	var keys *auth.Keys
	if origin := m.setting("PARLEY_WEBAUTHN_ORIGIN"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" || u.Path != "" {
			return nil, usageError("PARLEY_WEBAUTHN_ORIGIN must be an origin like https://parley.example.org")
		}
		if keys, err = auth.NewKeys(signIn, origin, u.Hostname()); err != nil {
			return nil, err
		}
	}
	caps, err := m.caps()
	if err != nil {
		return nil, err
	}
	public := auth.NewPublic(auth.Config{Auditor: e.audit, Logger: e.logger, Now: e.clock}, e.store)
	return web.New(web.Config{
		Public: public, Portal: e.portal(sender, isSIPSender(sender)), Family: e.family(caps),
		Auth: signIn, Keys: keys, Store: e.store, Searcher: e.searcher, Vault: e.vault, Audit: e.audit,
		VerifyAudit: e.verifyAudit, Registry: e.registry, Logger: e.logger, Limits: limits,
		Health: e.healthHandler(), BehindTLS: m.setting("PARLEY_BEHIND_TLS") == "true",
		Admin: e.admin(caps), Live: live, MetricsRegistry: e.metricsRegistry(), Metrics: e.httpMetrics(m.setting("PARLEY_METRICS_TOKEN")),
	})
}

// verifyAudit checks the whole audit log against its stored checkpoint and the copies kept
// outside the database (key directory, witnesses), like `audit verify`.
func (e *env) verifyAudit(ctx context.Context) (audit.Report, error) {
	trusted, err := e.trustedCheckpoints(ctx)
	if err != nil {
		return audit.Report{}, err
	}
	return audit.VerifyTrusted(ctx, e.store, e.verifier, trusted)
}

func (e *env) metricsRegistry() *prometheus.Registry {
	if e.metrics == nil {
		return nil
	}
	return e.metrics.reg
}

// httpMetrics is /metrics on --http: only behind a bearer token, for the portals' listener
// faces the public; without a token, metrics are on --metrics alone.
func (e *env) httpMetrics(token string) http.Handler {
	if e.metrics == nil || token == "" {
		return nil
	}
	return e.metrics.handler(token)
}
