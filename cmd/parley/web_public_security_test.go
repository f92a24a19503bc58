package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestPublicBadInput: every public route refuses oversized bodies, bad JSON, bad numbers,
// bad or malformed codes, injection attempts and path tricks with a clear JSON error and a
// stable code, and writes nothing (no account, number, deposit or block; no audit event
// but the refusal of a cross-account read). CSRF and cross-origin checks hold as for staff,
// and HTML in a public name is escaped.
func TestPublicBadInput(t *testing.T) {
	w := newMatrixWorld(t)
	clients := publicClients(t, w)
	att, fam := clients["attorney"], clients["family"]
	aud := w.signIn(t, "auditor-plain")
	anon := newClient(t, w.srv.base)
	// A pending number of the attorney, for malformed codes.
	status, body := att.do("POST", "/api/v1/attorney/numbers", map[string]string{"number": "+12025550177", "label": "cell"})
	wantStatus(t, "claim", status, body, http.StatusCreated)
	var claimed struct{ ID string }
	json.Unmarshal(body, &claimed)
	_, body = fam.do("GET", "/api/v1/family/number", nil)
	var famNum struct{ Number struct{ ID string } }
	json.Unmarshal(body, &famNum)

	before := auditSize(t, aud)
	big := strings.Repeat("x", 20000)
	code := "/api/v1/attorney/numbers/" + claimed.ID + "/code"
	cases := []struct {
		who    *staff
		method string
		path   string
		body   any
		status int
		code   string
		says   string
	}{
		{anon, "POST", "/api/v1/attorney/signup", []byte(`{"name":"` + big + `"}`), 413, "too_large", "too large"},
		{anon, "POST", "/api/v1/attorney/signup", []byte(`not json`), 400, "invalid", "JSON"},
		{anon, "POST", "/api/v1/attorney/signup", []byte(`{"name":"a","password":"bbbbbbbbbbbbbb","role":"admin"}`), 400, "invalid", "JSON"},
		{anon, "POST", "/api/v1/family/signup", []byte(`{"name":"a","password":"bbbbbbbbbbbbbb"}{"name":"b"}`), 400, "invalid", "more than one"},
		{anon, "POST", "/api/v1/family/signup", map[string]string{"name": "short@pw.example", "password": "short"}, 400, "invalid", "password must be"},
		{anon, "POST", "/api/v1/family/signup", map[string]string{"name": "nul\u0000name", "password": publicPassword}, 400, "invalid", "name must be"},
		{anon, "POST", "/api/v1/family/signup", map[string]string{"name": strings.Repeat("n", 101), "password": publicPassword}, 400, "invalid", "name must be"},
		{anon, "POST", "/api/v1/family/signup", map[string]string{"name": "fam@bar.example", "password": publicPassword, "full_name": "X"}, 400, "invalid", "no bar details"},
		{anon, "POST", "/api/v1/attorney/signup", map[string]string{"name": "b1@law.example", "password": publicPassword, "full_name": "B", "bar_number": "1' OR '1'='1", "state": "NY"}, 400, "invalid", "bar number"},
		{anon, "POST", "/api/v1/attorney/signup", map[string]string{"name": "b2@law.example", "password": publicPassword, "full_name": "B", "bar_number": "123", "state": "New York"}, 400, "invalid", "state"},
		{anon, "POST", "/api/v1/attorney/signup", map[string]string{"name": "attorney@matrix.example", "password": publicPassword, "full_name": "B", "bar_number": "123", "state": "NY"}, 409, "conflict", "exists"},
		{anon, "GET", "/api/v1/attorney/numbers", nil, 401, "unauthorized", "sign in"},
		{att, "POST", "/api/v1/attorney/numbers", map[string]string{"number": "'; DROP TABLE public_numbers;--", "label": "office"}, 400, "invalid", "not a phone number"},
		{att, "POST", "/api/v1/attorney/numbers", map[string]string{"number": "+1 555 0", "label": "office"}, 400, "invalid", "not a phone number"},
		{att, "POST", "/api/v1/attorney/numbers", map[string]string{"number": "(415) 555-2671 x12", "label": "office"}, 400, "invalid", "has an extension"},
		{att, "POST", "/api/v1/attorney/numbers", map[string]string{"number": strings.Repeat("1", 50), "label": "office"}, 400, "invalid", "too long"},
		{att, "POST", "/api/v1/attorney/numbers", map[string]string{"number": "+12025550178", "label": "yacht"}, 400, "invalid", "label"},
		{att, "POST", "/api/v1/attorney/numbers", map[string]string{"number": "+12025550177", "label": "cell"}, 409, "conflict", "already"},
		{att, "POST", code, map[string]string{"code": "12345"}, 400, "invalid", "6 digits"},
		{att, "POST", code, map[string]string{"code": "1234567"}, 400, "invalid", "6 digits"},
		{att, "POST", code, map[string]string{"code": "12a456"}, 400, "invalid", "6 digits"},
		{att, "POST", code, map[string]string{"code": "' OR 1=1"}, 400, "invalid", "6 digits"},
		{att, "POST", code, map[string]string{"code": big[:100]}, 400, "invalid", "6 digits"},
		{att, "POST", code, []byte(`{"code":123456}`), 400, "invalid", "JSON"},
		{att, "POST", "/api/v1/attorney/numbers/..%2F..%2Fkeys/code", map[string]string{"code": "123456"}, 404, "not_found", "not found"},
		{att, "POST", "/api/v1/attorney/numbers/0123456789abcdef0123456789abcdef/code", map[string]string{"code": "123456"}, 404, "not_found", "not found"},
		{att, "POST", "/api/v1/attorney/numbers/" + famNum.Number.ID + "/code", map[string]string{"code": "123456"}, 404, "not_found", "not found"},
		{fam, "POST", "/api/v1/family/number/" + famNum.Number.ID + "/code", map[string]string{"code": "123456"}, 409, "conflict", "verified already"},
		{fam, "POST", "/api/v1/family/number", map[string]string{"number": "+12025550179"}, 409, "conflict", "already"},
		{fam, "GET", "/api/v1/family/account?from=yesterday", nil, 400, "invalid", "from must be a date"},
		{fam, "GET", "/api/v1/family/account?from=2026-11-23&to=2026-11-01", nil, 400, "invalid", "before"},
		{fam, "POST", "/api/v1/family/deposits", map[string]string{"amount": "-5.00", "idempotency_key": "k1"}, 400, "invalid", "dollars and cents"},
		{fam, "POST", "/api/v1/family/deposits", map[string]string{"amount": "0.00", "idempotency_key": "k1"}, 400, "invalid", "dollars and cents"},
		{fam, "POST", "/api/v1/family/deposits", map[string]string{"amount": "1e3", "idempotency_key": "k1"}, 400, "invalid", "dollars and cents"},
		{fam, "POST", "/api/v1/family/deposits", map[string]string{"amount": "5000.00", "idempotency_key": "k1"}, 400, "invalid", "between"},
		{fam, "POST", "/api/v1/family/deposits", map[string]string{"amount": "5.00", "idempotency_key": "<script>"}, 400, "invalid", "idempotency key"},
		{fam, "POST", "/api/v1/family/deposits", map[string]string{"amount": "5.00"}, 400, "invalid", "idempotency key"},
		{fam, "POST", "/api/v1/family/deposits", []byte(`{"amount":"5.00","idempotency_key":"k1","card":"4111111111111111"}`), 400, "invalid", "JSON"},
		{fam, "POST", "/api/v1/family/deposits", []byte(`{"amount":"` + big + `"}`), 413, "too_large", "too large"},
		{fam, "POST", "/api/v1/family/blocks", map[string]string{"facility_id": "nope"}, 400, "invalid", "no such facility"},
		{fam, "POST", "/api/v1/family/blocks", map[string]string{"facility_id": "../cnty"}, 400, "invalid", "facility must be"},
		{fam, "POST", "/api/v1/family/blocks", map[string]string{"facility_id": "cnty' OR '1'='1"}, 400, "invalid", "facility must be"},
		{fam, "DELETE", "/api/v1/family/blocks?facility=cnty", nil, 404, "not_found", "no such block"},
		{fam, "POST", "/api/v1/family/totp/confirm", map[string]string{"secret": "x", "password": publicPassword, "code": "123456"}, 400, "invalid", "start again"},
	}
	for _, c := range cases {
		status, b := c.who.do(c.method, c.path, c.body)
		if status != c.status || errorCode(b) != c.code || !strings.Contains(string(b), c.says) {
			t.Errorf("%s %.80s: %d %.300s, want %d %s %q", c.method, c.path, status, b, c.status, c.code, c.says)
		}
		if strings.Contains(string(b), "<script>") || strings.Contains(string(b), "DROP TABLE") || strings.Contains(string(b), "OR '1'") {
			t.Errorf("%s %.80s: the error echoes the input: %s", c.method, c.path, b)
		}
		assertNoOp(t, c.method+" "+c.path, string(b))
	}
	// CSRF and origin, on the API and on a page form.
	noToken := *fam
	noToken.csrf = ""
	status, body = noToken.do("POST", "/api/v1/family/deposits", map[string]string{"amount": "5.00", "idempotency_key": "k2"})
	if status != http.StatusForbidden || !strings.Contains(string(body), "CSRF") {
		t.Errorf("deposit without CSRF token: %d %s", status, body)
	}
	resp := fam.raw("POST", "/api/v1/family/blocks", map[string]string{"facility_id": "all"},
		http.Header{"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin block: %d", resp.StatusCode)
	}
	resp = noToken.raw("POST", "/family/blocks", []byte("facility=all"), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("page form without CSRF: %d", resp.StatusCode)
	}

	// Nothing was written: one audit event for the refused cross-account read, one for
	// the auditor's read; no deposit, block, account or number.
	if after := auditSize(t, aud); after != before+2 {
		t.Errorf("bad input wrote %d audit events, want 1 (the refusal)", after-before-1)
	}
	_, body = fam.do("GET", "/api/v1/family/account", nil)
	if !strings.Contains(string(body), `"balance":"$0.00"`) {
		t.Errorf("account after bad deposits: %s", body)
	}
	_, body = fam.do("GET", "/api/v1/family/blocks", nil)
	if !strings.Contains(string(body), `"blocks":[]`) {
		t.Errorf("blocks after bad input: %s", body)
	}
	var list []attorneyView
	json.Unmarshal([]byte(w.c.ok("attorney", "list", "--json")), &list)
	if len(list) != 1 {
		t.Errorf("%d attorneys after bad sign-ups", len(list))
	}
	_, body = att.do("GET", "/api/v1/attorney/numbers", nil)
	if strings.Count(string(body), `"id"`) != 1 {
		t.Errorf("attorney numbers after bad input: %s", body)
	}

	// HTML in a public name is escaped on the page.
	status, body = anon.do("POST", "/api/v1/family/signup", map[string]string{"name": `<img src=x onerror=alert(1)>`, "password": publicPassword})
	wantStatus(t, "sign-up with markup in the name", status, body, http.StatusCreated)
	odd := publicSignIn(t, w.srv.base, "family", `<img src=x onerror=alert(1)>`)
	resp = odd.raw("GET", "/family", nil, nil)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.Contains(string(page), "<img src=x") || !strings.Contains(string(page), "&lt;img src=x") {
		t.Errorf("page with markup in the name: %d %s", resp.StatusCode, page)
	}
}

// postForm sends a page form with the session's CSRF token in the csrf field.
func postForm(t *testing.T, s *staff, path string, v url.Values) (int, string) {
	t.Helper()
	if s.csrf != "" {
		v.Set("csrf", s.csrf)
	}
	resp := s.raw("POST", path, []byte(v.Encode()), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestPublicPagesBadInput: the public page forms answer bad input with the page and a
// clear error, escape what was typed, and write nothing.
func TestPublicPagesBadInput(t *testing.T) {
	w := newMatrixWorld(t)
	clients := publicClients(t, w)
	att, fam := clients["attorney"], clients["family"]
	anon := newClient(t, w.srv.base)
	aud := w.signIn(t, "auditor-plain")
	before := auditSize(t, aud)
	cases := []struct {
		who    *staff
		path   string
		form   url.Values
		status int
		says   string
	}{
		{anon, "/attorney/signup", url.Values{"name": {"x@law.example"}, "password": {publicPassword}, "password2": {publicPassword + "!"},
			"full_name": {"X"}, "bar_number": {"1"}, "state": {"NY"}}, 400, "the two passwords differ"},
		{anon, "/attorney/signup", url.Values{"name": {"x@law.example"}, "password": {publicPassword}, "password2": {publicPassword},
			"full_name": {"X"}, "bar_number": {"<script>"}, "state": {"NY"}}, 400, "bar number must be"},
		{anon, "/family/signup", url.Values{"name": {"y@example.org"}, "password": {"short"}, "password2": {"short"}}, 400, "password must be"},
		{anon, "/family/signin", url.Values{"name": {"family@matrix.example"}, "password": {"wrong password here"}}, 401, "name, password or code is wrong"},
		{anon, "/attorney/signin", url.Values{"name": {"family@matrix.example"}, "password": {publicPassword}}, 401, "name, password or code is wrong"},
		{att, "/attorney/numbers", url.Values{"number": {"<script>alert(1)</script>"}, "label": {"office"}}, 400, "not a phone number"},
		{att, "/attorney/numbers", url.Values{"number": {"(415) 555-2671 x12"}, "label": {"office"}}, 400, "has an extension"},
		{att, "/attorney/numbers", url.Values{"number": {"+12025550190"}, "label": {"yacht"}}, 400, "label must be"},
		{att, "/attorney/numbers/..%2Fx/code", url.Values{"code": {"123456"}}, 404, "not found"},
		{att, "/attorney/numbers/0123456789abcdef0123456789abcdef/resend", url.Values{}, 404, "not found"},
		{fam, "/family/number", url.Values{"number": {"+12025550191"}}, 409, "already"},
		{fam, "/family/deposits", url.Values{"amount": {"ten dollars"}, "key": {"k1"}}, 400, "dollars and cents"},
		{fam, "/family/deposits", url.Values{"amount": {"10.00"}, "key": {"../../etc"}}, 400, "idempotency key"},
		{fam, "/family/blocks", url.Values{"facility": {"<b>x</b>"}}, 400, "facility must be"},
		{fam, "/family/blocks/remove", url.Values{"facility": {"cnty"}}, 404, "no such block"},
		{fam, "/family/security", url.Values{"secret": {"<i>x</i>"}, "password": {publicPassword}, "code": {"123456"}}, 400, "start again"},
	}
	for _, c := range cases {
		status, page := postForm(t, c.who, c.path, c.form)
		if status != c.status || !strings.Contains(page, c.says) {
			t.Errorf("POST %s: %d, want %d with %q (%.300s)", c.path, status, c.status, c.says, page)
		}
		if strings.Contains(page, "<script>alert") || strings.Contains(page, "<b>x</b>") || strings.Contains(page, "<i>x</i>") {
			t.Errorf("POST %s: the page shows the input unescaped", c.path)
		}
		assertNoOp(t, "POST "+c.path, page)
	}
	// The only events: the failed sign-in, the refused sign-in to the wrong side, and the
	// auditor's read.
	if after := auditSize(t, aud); after != before+3 {
		t.Errorf("bad forms wrote %d audit events, want 2 (the refused sign-ins)", after-before-1)
	}
	var list []attorneyView
	json.Unmarshal([]byte(w.c.ok("attorney", "list", "--json")), &list)
	if len(list) != 1 {
		t.Errorf("%d attorneys after bad sign-ups", len(list))
	}
	_, body := fam.do("GET", "/api/v1/family/account", nil)
	if !strings.Contains(string(body), `"balance":"$0.00"`) {
		t.Errorf("account after bad deposits: %s", body)
	}
}

// TestPublicHeadersAndSessions: the public side has the staff side's headers, cookie flags
// and sign-out, its sign-ins are audited, and its pages carry a strict CSP.
func TestPublicHeadersAndSessions(t *testing.T) {
	c := newCLI(t)
	srv := startWeb(t, c)
	anon := newClient(t, srv.base)
	status, body := anon.do("POST", "/api/v1/family/signup", map[string]string{"name": "kin@example.org", "password": publicPassword})
	wantStatus(t, "sign-up", status, body, http.StatusCreated)
	fam := publicSignIn(t, srv.base, "family", "kin@example.org")
	for _, cl := range []struct {
		who  *staff
		path string
	}{{anon, "/attorney/signin"}, {anon, "/family/signup"}, {anon, "/api/v1/family/rates"}, {fam, "/family"}, {fam, "/family/security"}, {fam, "/"}} {
		resp := cl.who.raw("GET", cl.path, nil, nil)
		resp.Body.Close()
		h := resp.Header
		if !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") || strings.Contains(h.Get("Content-Security-Policy"), "unsafe") ||
			h.Get("X-Frame-Options") != "DENY" || h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s (%d): headers %v", cl.path, resp.StatusCode, h)
		}
	}
	resp := newClient(t, srv.base).raw("POST", "/api/v1/family/session", map[string]string{"name": "kin@example.org", "password": publicPassword}, nil)
	resp.Body.Close()
	if sc := resp.Header.Get("Set-Cookie"); !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Strict") || strings.Contains(sc, "Max-Age") {
		t.Errorf("Set-Cookie %q", sc)
	}
	resp = newClient(t, srv.base).raw("POST", "/api/v1/family/session", map[string]string{"name": "kin@example.org", "password": "wrong password 1"}, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 {
		t.Errorf("failed sign-in: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	if status, b := fam.do("DELETE", "/api/v1/family/session", nil); status != http.StatusNoContent {
		t.Fatalf("sign out: %d %s", status, b)
	}
	if status, _ := fam.do("GET", "/api/v1/family/session", nil); status != http.StatusUnauthorized {
		t.Errorf("after sign-out: %d", status)
	}
	raw := c.ok("audit", "list", "--limit", "10000", "--json")
	for _, a := range []string{`"public.signup"`, `"public.signin"`, `"public.signout"`} {
		if !strings.Contains(raw, a) {
			t.Errorf("no %s event", a)
		}
	}
	if strings.Contains(raw, "kin@example.org") || strings.Contains(c.logs.String()+srv.stderr.String(), "kin@example.org") {
		t.Error("a public sign-in name is in the audit log or the logs")
	}
}

// TestPublicSignupRateLimit: well-formed sign-ups from one address are limited to 30 a
// minute; the 31st is refused with 429 and creates nothing.
func TestPublicSignupRateLimit(t *testing.T) {
	c := newCLI(t)
	srv := startWeb(t, c)
	anon := newClient(t, srv.base)
	for i := range 31 {
		status, body := anon.do("POST", "/api/v1/family/signup", map[string]string{"name": fmt.Sprintf("bulk%d@example.org", i), "password": "short"})
		want := http.StatusBadRequest
		if i == 30 {
			want = http.StatusTooManyRequests
		}
		wantStatus(t, fmt.Sprintf("sign-up %d", i), status, body, want)
	}
	status, body := anon.do("POST", "/api/v1/family/signup", map[string]string{"name": "late@example.org", "password": publicPassword})
	wantStatus(t, "a good sign-up over the limit", status, body, http.StatusTooManyRequests)
	if errorCode(body) != "rate_limited" {
		t.Errorf("body %s", body)
	}
}
