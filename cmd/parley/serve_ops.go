package main

import (
	"errors"
	"flag"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"parley.dev/parley/authz"
)

// opsFlags are serve's operational settings: the config file, logs, metrics, the drain
// and the settings of the staff surface that once were environment variables only.
type opsFlags struct {
	metrics *string
	token   *string
	drain   *time.Duration
}

// addOpsFlags defines them on serve's flags (see settings.go for their layers).
func addOpsFlags(fs *flag.FlagSet) *opsFlags {
	o := &opsFlags{}
	fs.String("config", "", "TOML file of settings, keys named as these flags (env PARLEY_CONFIG)")
	fs.Var(&choiceFlag{value: "info", choices: []string{"debug", "info", "warn", "error"}}, "log-level", "log level: debug, info, warn or error")
	fs.Var(&choiceFlag{value: "text", choices: []string{"text", "json"}}, "log-format", "log format: text or json")
	o.metrics = fs.String("metrics", "", "listen address of /metrics alone, e.g. 127.0.0.1:9090 (empty: /metrics only on --http, with --metrics-token)")
	o.token = fs.String("metrics-token", "", "bearer token that /metrics on --http requires; unset, --http serves no /metrics")
	o.drain = fs.Duration("drain", 2*time.Minute, "on SIGTERM or SIGINT: how long calls in progress may go on (new calls get 503) before they are ended")
	fs.Int("reads-per-minute", authz.DefaultLimits.PerMinute, "bulk reads (searches, playbacks) per staff account per minute")
	fs.Int("daily-read-cap", authz.DefaultLimits.DailyRecords, "records read per staff account per UTC day")
	fs.String("webauthn-origin", "", "origin staff browsers see, e.g. https://parley.example.org: turns on security keys")
	fs.Bool("behind-tls", false, "a TLS-terminating proxy is in front: Secure cookies and HSTS")
	fs.String("caps", "", "FCC rate caps file to use instead of the built-in one")
	return o
}

// check validates the operational settings that flag parsing alone does not.
func (o *opsFlags) check() error {
	if *o.metrics != "" {
		if _, _, err := net.SplitHostPort(*o.metrics); err != nil {
			return usageError("--metrics must be HOST:PORT")
		}
	}
	if *o.drain < 0 {
		return usageError("--drain must not be negative")
	}
	return nil
}

// checkHTTPSettings validates the staff surface's settings before anything is opened, so
// `config check` finds their mistakes too.
func (m *Main) checkHTTPSettings() error {
	for _, env := range []string{"PARLEY_READS_PER_MINUTE", "PARLEY_DAILY_READ_CAP"} {
		if n, err := strconv.Atoi(m.setting(env)); err != nil || n < 1 {
			return usageError("%s must be a positive number", env)
		}
	}
	if origin := m.setting("PARLEY_WEBAUTHN_ORIGIN"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" || u.Path != "" {
			return usageError("PARLEY_WEBAUTHN_ORIGIN must be an origin like https://parley.example.org")
		}
	}
	return nil
}

// serveMetrics serves /metrics alone on addr (none if addr is empty), behind the token if
// one is set. A failure of its listener after the start is sent to errc.
func (e *env) serveMetrics(addr, token string, errc chan<- error) (*http.Server, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", e.metrics.handler(token))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	e.logger.Info("parley serving metrics", "addr", ln.Addr().String())
	return srv, nil
}
