package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"parley.dev/parley"
)

// auditSize reads the audit log's size through the API (that read adds one event).
func auditSize(t *testing.T, aud *staff) int64 {
	t.Helper()
	status, b := aud.do("GET", "/api/v1/audit?limit=1", nil)
	var r struct{ Size int64 }
	if status != 200 || json.Unmarshal(b, &r) != nil {
		t.Fatalf("audit read: %d %s", status, b)
	}
	return r.Size
}

// TestWebBadInput: oversized bodies, bad JSON, bad dates, injection attempts and path
// tricks get clear JSON errors with stable codes, and write nothing.
func TestWebBadInput(t *testing.T) {
	w := newMatrixWorld(t)
	inv, admin, aud := w.signIn(t, "investigator-plain"), w.signIn(t, "admin-plain"), w.signIn(t, "auditor-plain")
	anon := newClient(t, w.srv.base)
	before := auditSize(t, aud)
	cases := []struct {
		who    *staff
		method string
		path   string
		body   any
		status int
		code   string
		says   string
	}{
		{anon, "POST", "/api/v1/session", []byte(`{"name":"` + strings.Repeat("x", 20000) + `"}`), 413, "too_large", "too large"},
		{anon, "POST", "/api/v1/session", []byte(`not json`), 400, "invalid", "JSON"},
		{anon, "POST", "/api/v1/session", []byte(`{"name":"a","password":"b","code":"1","admin":true}`), 400, "invalid", "JSON"},
		{anon, "POST", "/api/v1/session", []byte(`{"name":"a"}{"name":"b"}`), 400, "invalid", "more than one"},
		{inv, "GET", "/api/v1/calls?facility=cnty&purpose=p&from=yesterday", nil, 400, "invalid", "from must be a date"},
		{inv, "GET", "/api/v1/calls?facility=cnty&purpose=p&to=2026-13-45", nil, 400, "invalid", "to must be a date"},
		{inv, "GET", "/api/v1/calls?facility=cnty&purpose=p&from=2026-11-23&to=2026-11-01", nil, 400, "invalid", "before"},
		{inv, "GET", "/api/v1/calls?facility=cnty", nil, 400, "invalid", "purpose is required"},
		{inv, "GET", "/api/v1/calls?purpose=p", nil, 400, "invalid", "give a number"},
		{inv, "GET", "/api/v1/calls?purpose=p&number=%27%3B%20DROP%20TABLE%20calls%3B--", nil, 400, "invalid", "not a phone number"},
		{inv, "GET", "/api/v1/calls?purpose=p&number=" + url.QueryEscape("(415) 555-2671 x12"), nil, 400, "invalid", "has an extension"},
		{admin, "POST", "/api/v1/privileged", map[string]string{"number": "+1 212 555 0111 ext. 4", "kind": "attorney"}, 400, "invalid", "has an extension"},
		{inv, "GET", "/api/v1/calls?purpose=p&facility=cnty%27%20OR%20%271%27%3D%271", nil, 400, "invalid", "facility id"},
		{inv, "GET", "/api/v1/calls?purpose=p&facility=cnty&inmate=%3Cscript%3E", nil, 400, "invalid", "inmate id"},
		{inv, "GET", "/api/v1/calls?purpose=p&facility=cnty&limit=0", nil, 400, "invalid", "limit"},
		{inv, "GET", "/api/v1/calls?purpose=" + strings.Repeat("p", 300) + "&facility=cnty", nil, 400, "invalid", "too long"},
		{inv, "GET", "/api/v1/recordings/..%2F..%2Fkeys%2Fkek?purpose=p", nil, 400, "invalid", "malformed id"},
		{inv, "GET", "/api/v1/recordings/.hidden?purpose=p", nil, 400, "invalid", "malformed id"},
		{inv, "GET", "/api/v1/recordings/a%00b?purpose=p", nil, 400, "invalid", "malformed id"},
		{inv, "GET", "/api/v1/recordings/0123456789abcdef0123456789abcdef?purpose=p", nil, 404, "not_found", "not found"},
		{inv, "GET", "/api/v1/calls/x%27--?purpose=p", nil, 400, "invalid", "malformed id"},
		{inv, "GET", "/api/v1/nope", nil, 404, "not_found", "no such"},
		{admin, "POST", "/api/v1/privileged", map[string]string{"number": "+12125550111", "kind": "friend"}, 400, "invalid", "kind must be"},
		{admin, "POST", "/api/v1/privileged", map[string]string{"number": "<b>1</b>", "kind": "attorney"}, 400, "invalid", ""},
		{admin, "POST", "/api/v1/privileged", []byte(`{"number":"+12125550111","kind":"attorney","name":"` + strings.Repeat("n", 17000) + `"}`), 413, "too_large", ""},
		{admin, "POST", "/api/v1/privileged", []byte(`[1,2,3]`), 400, "invalid", "JSON"},
	}
	for _, c := range cases {
		status, b := c.who.do(c.method, c.path, c.body)
		if status != c.status || errorCode(b) != c.code || !strings.Contains(string(b), c.says) {
			t.Errorf("%s %.80s: %d %.300s, want %d %s %q", c.method, c.path, status, b, c.status, c.code, c.says)
		}
		if strings.Contains(string(b), "<script>") || strings.Contains(string(b), "DROP TABLE") {
			t.Errorf("%s %.80s: the error echoes the input: %s", c.method, c.path, b)
		}
		assertNoOp(t, c.method+" "+c.path, string(b))
	}
	// CSRF: a state change without the session's token, or from another origin, is refused.
	noToken := *admin
	noToken.csrf = ""
	status, b := noToken.do("POST", "/api/v1/privileged", map[string]string{"number": "+12125550112", "kind": "attorney"})
	if status != http.StatusForbidden || !strings.Contains(string(b), "CSRF") {
		t.Errorf("POST without CSRF token: %d %s", status, b)
	}
	resp := admin.raw("POST", "/api/v1/privileged", map[string]string{"number": "+12125550113", "kind": "attorney"},
		http.Header{"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin POST: %d", resp.StatusCode)
	}
	if after := auditSize(t, aud); after != before+1 {
		t.Errorf("bad input wrote %d audit events", after-before-1)
	}
	out := w.c.ok("privileged", "list", "--json")
	for _, n := range []string{"+12125550111", "+12125550112", "+12125550113"} {
		if strings.Contains(out, n) {
			t.Errorf("a refused request registered %s", n)
		}
	}

	// HTML injection in a page is escaped; the CSP forbids scripts anyway.
	resp = inv.raw("GET", "/calls?facility=cnty&case=%3Cscript%3Ealert(1)%3C/script%3E&purpose=%22%3E%3Cimg%20src=x%3E", nil, nil)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.Contains(string(page), "<script>alert") || strings.Contains(string(page), `"><img`) ||
		!strings.Contains(string(page), "&lt;script&gt;") {
		t.Errorf("injected page: %d %s", resp.StatusCode, page)
	}
}

// TestWebHeadersAndSessions: secure headers on every response, cookie flags, sign-out,
// and the metrics.
func TestWebHeadersAndSessions(t *testing.T) {
	w := newMatrixWorld(t)
	inv := w.signIn(t, "investigator-plain")
	anon := newClient(t, w.srv.base)
	for _, c := range []struct {
		who  *staff
		path string
	}{{anon, "/signin"}, {anon, "/api/v1/calls"}, {anon, "/nope"}, {anon, "/healthz"}, {anon, "/metrics"},
		{anon, "/static/style.css"}, {anon, "/api/v1/openapi.json"}, {inv, "/calls"}, {inv, "/audit"}, {anon, "/"}} {
		resp := c.who.raw("GET", c.path, nil, nil)
		resp.Body.Close()
		h := resp.Header
		if !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") || strings.Contains(h.Get("Content-Security-Policy"), "unsafe") ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" ||
			h.Get("Referrer-Policy") != "no-referrer" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s (%d): headers %v", c.path, resp.StatusCode, h)
		}
	}
	resp := newClient(t, w.srv.base).raw("POST", "/api/v1/session", map[string]string{"name": "x", "password": "y", "code": "1"}, nil)
	resp.Body.Close()
	if resp.StatusCode != 401 || len(resp.Cookies()) != 0 {
		t.Errorf("failed sign-in: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	// The cookie of a real sign-in.
	ck := w.signIn(t, "auditor-plain")
	var cookie *http.Cookie
	for _, c := range ck.client.Jar.Cookies(mustURL(t, w.srv.base)) {
		cookie = c
	}
	if cookie == nil || len(cookie.Value) < 40 {
		t.Fatalf("session cookie %v", cookie)
	}
	r2 := signInRaw(t, w, "prosecutor-plain")
	sc := r2.Header.Get("Set-Cookie")
	if !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Strict") || strings.Contains(sc, "Max-Age") {
		t.Errorf("Set-Cookie %q", sc)
	}
	// Sign-out ends the session.
	if status, b := inv.do("DELETE", "/api/v1/session", nil); status != http.StatusNoContent {
		t.Fatalf("sign out: %d %s", status, b)
	}
	if status, _ := inv.do("GET", "/api/v1/session", nil); status != http.StatusUnauthorized {
		t.Errorf("after sign-out: %d", status)
	}
	// Metrics: request counts by route pattern, active sessions; only with the token.
	m := scrapeMetrics(t, anon)
	for _, want := range []string{`parley_http_requests_total{code="204",route="DELETE /api/v1/session"} 1`, "parley_sessions_active", "parley_http_request_duration_seconds"} {
		if !strings.Contains(string(m), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(string(m), w.calls["cnty"]) {
		t.Error("metrics carry an id from a path")
	}
	raw := w.c.ok("audit", "list", "--limit", "10000", "--json")
	for _, a := range []string{`"session.signin"`, `"session.signout"`} {
		if !strings.Contains(raw, a) {
			t.Errorf("no %s event", a)
		}
	}
	for _, secret := range []string{"Marisol", "A1001", "investigator-plain", "4155552671"} {
		if strings.Contains(w.c.logs.String(), secret) {
			t.Errorf("logs contain %q", secret)
		}
	}
}

// signInRaw signs in through the API and returns the raw response (for its headers).
func signInRaw(t *testing.T, w *matrixWorld, name string) *http.Response {
	t.Helper()
	code := totpNow(t, w, name)
	resp := newClient(t, w.srv.base).raw("POST", "/api/v1/session", map[string]string{"name": name, "password": matrixPassword, "code": code}, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("sign in %s: %d", name, resp.StatusCode)
	}
	return resp
}

// TestWebBulkCap: reaching the daily read cap refuses further reads (429) and raises an
// alert that the agency's admins and auditors see, and an audit event.
func TestWebBulkCap(t *testing.T) {
	c := newCLI(t)
	c.env["PARLEY_DAILY_READ_CAP"] = "3"
	seed(t, c)
	c.ok("agency", "add", "--id", "county", "--name", "County Sheriff")
	c.ok("agency", "facility", "--agency", "county", "--facility", "cnty")
	w := &matrixWorld{c: c, secrets: map[string]string{}, clients: map[string]*staff{}}
	for _, u := range []struct{ name, role string }{{"inv", "investigator"}, {"adm", "admin"}, {"aud", "auditor"}} {
		w.secrets[u.name] = addStaff(t, c, u.name, u.role, "--agency", "county", matrixPassword)
	}
	w.srv = startWeb(t, c)
	inv := w.signIn(t, "inv")
	status, b := inv.do("GET", "/api/v1/calls?facility=cnty&purpose=p", nil) // 2 records
	var res struct{ Calls []callView }
	if json.Unmarshal(b, &res); status != 200 || len(res.Calls) != 2 {
		t.Fatalf("search: %d %s", status, b)
	}
	if status, b := inv.do("GET", "/api/v1/calls/"+res.Calls[0].ID+"?purpose=p", nil); status != 200 { // the third
		t.Fatalf("read: %d %s", status, b)
	}
	status, b = inv.do("GET", "/api/v1/calls?facility=cnty&purpose=p", nil)
	if status != http.StatusTooManyRequests || errorCode(b) != "rate_limited" {
		t.Fatalf("past the cap: %d %s", status, b)
	}
	for _, who := range []string{"adm", "aud"} {
		_, b := w.signIn(t, who).do("GET", "/api/v1/alerts", nil)
		var al struct {
			Alerts []struct {
				Scope, Kind string
				UserID      string `json:"user_id"`
			}
		}
		json.Unmarshal(b, &al)
		if len(al.Alerts) != 1 || al.Alerts[0].Kind != "bulk_read_cap" || al.Alerts[0].Scope != "agency:county" || al.Alerts[0].UserID != inv.userID {
			t.Errorf("%s sees alerts %s", who, b)
		}
	}
	raw := c.ok("audit", "list", "--limit", "1000", "--json")
	if !strings.Contains(raw, `"bulk.cap"`) {
		t.Error("no bulk.cap audit event")
	}
	var events []parley.AuditEvent
	json.Unmarshal([]byte(raw), &events)
	refused := 0
	for _, e := range events {
		if e.Actor == "user:"+inv.userID && e.Action == "calls.search" && e.Outcome == parley.OutcomeDenied && e.Purpose == "p" {
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("%d denied searches audited, want the 1 refused past the cap", refused)
	}
}

// TestWebBehindTLS: behind a TLS-terminating proxy the session cookie is __Host- prefixed
// and Secure, and HSTS is sent; in clear without the setting, neither.
func TestWebBehindTLS(t *testing.T) {
	for _, behind := range []bool{true, false} {
		c := newCLI(t)
		if behind {
			c.env["PARLEY_BEHIND_TLS"] = "true"
		}
		c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
		w := &matrixWorld{c: c, secrets: map[string]string{}, clients: map[string]*staff{}}
		w.secrets["tls-user"] = addStaff(t, c, "tls-user", "auditor", "--facility", "cnty", matrixPassword)
		w.srv = startWeb(t, c)
		resp := signInRaw(t, w, "tls-user")
		sc := resp.Header.Get("Set-Cookie")
		hsts := resp.Header.Get("Strict-Transport-Security")
		secure := strings.HasPrefix(sc, "__Host-parley_session=") && strings.Contains(sc, "; Secure")
		if secure != behind || (hsts != "") != behind {
			t.Errorf("behind TLS %v: Set-Cookie %q, HSTS %q", behind, sc, hsts)
		}
	}
}
