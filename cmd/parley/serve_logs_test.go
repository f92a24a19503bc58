package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// TestLoggerLevels: PARLEY_LOG_LEVEL takes every level (warn was ignored before: only
// debug was looked for), PARLEY_LOG_FORMAT=json writes JSON, and an unknown level is info.
func TestLoggerLevels(t *testing.T) {
	for _, tc := range []struct {
		level, format string
		want          []slog.Level
	}{
		{"debug", "", []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError}},
		{"", "", []slog.Level{slog.LevelInfo, slog.LevelWarn, slog.LevelError}},
		{"warn", "json", []slog.Level{slog.LevelWarn, slog.LevelError}},
		{"WARN", "", []slog.Level{slog.LevelWarn, slog.LevelError}},
		{"error", "text", []slog.Level{slog.LevelError}},
		{"loud", "", []slog.Level{slog.LevelInfo, slog.LevelWarn, slog.LevelError}},
	} {
		var b bytes.Buffer
		env := map[string]string{"PARLEY_LOG_LEVEL": tc.level, "PARLEY_LOG_FORMAT": tc.format}
		m := &Main{Stderr: &b, Getenv: func(k string) string { return env[k] }}
		log := m.logger()
		for _, l := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
			log.Log(t.Context(), l, "message at "+l.String())
		}
		var got []slog.Level
		for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
			if line == "" {
				continue
			}
			if tc.format == "json" {
				var rec struct{ Level slog.Level }
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatalf("level %q format json: %q is not JSON: %v", tc.level, line, err)
				}
				got = append(got, rec.Level)
				continue
			}
			for _, l := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
				if strings.Contains(line, "level="+l.String()+" ") {
					got = append(got, l)
				}
			}
		}
		if len(got) != len(tc.want) {
			t.Errorf("level %q: logged %v, want %v", tc.level, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("level %q: logged %v, want %v", tc.level, got, tc.want)
			}
		}
	}
}

// TestServeAccessLog: serve in JSON at info level logs each HTTP request with its route
// pattern, status, bytes and duration, and never its path, query, address or cookie: a
// phone number in a query string or a path is nowhere in the log.
func TestServeAccessLog(t *testing.T) {
	c := newCLI(t)
	c.env["PARLEY_LOG_LEVEL"] = "info"
	c.env["PARLEY_LOG_FORMAT"] = "json"
	srv := startWeb(t, c)
	anon := newClient(t, srv.base)
	const number = "4155552671"
	paths := []string{"/calls?number=" + number, "/api/v1/calls?number=%2B1" + number + "&inmate=A1001",
		"/api/v1/calls/" + number + "?q=" + number, "/nope/" + number, "/signin?next=" + number}
	for _, p := range paths {
		anon.do("GET", p, nil)
	}
	var reqs []map[string]any
	sipWaitFor(t, "the access log lines", func() bool {
		reqs = nil
		for _, line := range strings.Split(strings.TrimSpace(srv.stderr.String()), "\n") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("a log line is not JSON: %q", line)
			}
			if rec["msg"] == "http request" {
				reqs = append(reqs, rec)
			}
		}
		return len(reqs) >= len(paths)
	})
	routes := map[string]bool{}
	for _, r := range reqs {
		routes[r["route"].(string)] = true
		if _, ok := r["status"].(float64); !ok {
			t.Errorf("no status: %v", r)
		}
		if _, ok := r["bytes"].(float64); !ok {
			t.Errorf("no bytes: %v", r)
		}
		if _, ok := r["duration"].(float64); !ok {
			t.Errorf("no duration: %v", r)
		}
		for k := range r {
			if k != "time" && k != "level" && k != "msg" && k != "route" && k != "status" && k != "bytes" && k != "duration" {
				t.Errorf("access log has %q: %v", k, r)
			}
		}
	}
	for _, want := range []string{"GET /calls", "GET /api/v1/calls", "GET /api/v1/calls/{id}", "GET /signin"} {
		if !routes[want] {
			t.Errorf("no access log line for route %q: %v", want, routes)
		}
	}
	logs := srv.stderr.String()
	for _, leak := range []string{number, "A1001", "?", "127.0.0.1:"} {
		if leak == "127.0.0.1:" {
			// serve logs its own listening address once; a client's address would be another line.
			logs = strings.Replace(logs, srv.base[len("http://"):], "", -1)
		}
		if strings.Contains(logs, leak) {
			t.Errorf("the log contains %q:\n%s", leak, logs)
		}
	}
}

// TestServeLogLevelWarn: PARLEY_LOG_LEVEL=warn reaches serve (it was ignored: only
// "debug" was looked for): serving requests writes no info line, where info writes some.
func TestServeLogLevelWarn(t *testing.T) {
	for _, level := range []string{"warn", "info"} {
		c := newCLI(t)
		c.env["PARLEY_LOG_LEVEL"] = level
		srv := startWeb(t, c)
		newClient(t, srv.base).do("GET", "/signin", nil)
		srv.cancel()
		code := <-srv.done
		srv.done <- code // for the cleanup's check
		infos := strings.Count(srv.stderr.String(), "level=INFO")
		if level == "warn" && infos != 0 {
			t.Errorf("at warn, serve wrote %d info lines:\n%s", infos, srv.stderr.String())
		}
		if level == "info" && infos == 0 {
			t.Errorf("at info, serve wrote no info line")
		}
	}
}
