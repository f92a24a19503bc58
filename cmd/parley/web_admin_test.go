package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"parley.dev/parley"
)

// postForm posts a page form (with the session's CSRF token) and returns status and body.
func (s *staff) postForm(path string, form url.Values) (int, string) {
	s.t.Helper()
	form.Set("csrf", s.csrf)
	req, err := http.NewRequest("POST", s.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	checkPageIDs(s.t, req, resp)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// getJSON fetches an API page into v, failing the test unless it answers 200.
func (s *staff) getJSON(path string, v any) {
	s.t.Helper()
	status, b := s.do("GET", path, nil)
	if status != http.StatusOK {
		s.t.Fatalf("GET %s: %d %s", path, status, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
}

// auditEvents returns the whole audit log as an auditor reads it.
func auditEvents(t *testing.T, aud *staff) []parley.AuditEvent {
	t.Helper()
	var log struct{ Events []parley.AuditEvent }
	aud.getJSON("/api/v1/audit?from=0&limit=1000", &log)
	return log.Events
}

// TestWebAdministration: an admin sets rules, lockdown, rates (the cap shown; above it
// refused with the cap's message and nothing written), adds an inmate with an allowed
// number, resets the PIN, blocks numbers and prefixes, adds an account (its enrolment
// secret shown once) and issues and revokes a grant; an officer blocks a number. Each
// change is one audit event by the account, in the CLI's shape, with no number in clear.
func TestWebAdministration(t *testing.T) {
	w := newMatrixWorld(t)
	adm := w.signIn(t, "admin-plain")
	off := w.signIn(t, "officer-plain")
	aud := w.signIn(t, "auditor-plain")
	before := len(auditEvents(t, aud))

	must := func(s *staff, path string, body any) map[string]any {
		t.Helper()
		status, b := s.do("POST", path, body)
		if status != http.StatusOK {
			t.Fatalf("POST %s: %d %s\n%s", path, status, b, w.srv.stderr.String())
		}
		var out map[string]any
		json.Unmarshal(b, &out)
		return out
	}
	must(adm, "/api/v1/facilities/cnty/rules", map[string]string{"hours": "mon-fri 08:00-22:00,sat-sun 09:00-21:00", "max_call": "15m", "open_dialing": "off"})
	must(adm, "/api/v1/facilities/cnty/lockdown", map[string]string{"lockdown": "on"})
	var fac struct {
		Rules struct {
			Hours    string
			MaxCall  string `json:"max_call"`
			Lockdown bool
		}
		Rates struct {
			Services []struct {
				Service, Rate, Cap, CapSource string
				CapSourceKey                  string `json:"cap_source"`
			}
		}
	}
	adm.getJSON("/api/v1/facilities/cnty", &fac)
	if !fac.Rules.Lockdown || fac.Rules.MaxCall != "15m0s" || !strings.Contains(fac.Rules.Hours, "mon 08:00-22:00") {
		t.Fatalf("rules after setting: %+v", fac.Rules)
	}
	if len(fac.Rates.Services) != 2 || fac.Rates.Services[0].Cap == "" || fac.Rates.Services[0].CapSourceKey == "" || fac.Rates.Services[0].Rate != "" {
		t.Fatalf("rates before setting: %+v", fac.Rates)
	}

	// Above the cap: refused with the cap's message, nothing written.
	status, b := adm.do("POST", "/api/v1/facilities/cnty/rates", map[string]string{"audio": "0.50"})
	if status != http.StatusForbidden || !strings.Contains(string(b), "cap") {
		t.Fatalf("rate above the cap: %d %s", status, b)
	}
	adm.getJSON("/api/v1/facilities/cnty", &fac)
	if fac.Rates.Services[0].Rate != "" {
		t.Fatalf("a refused rate was written: %+v", fac.Rates.Services[0])
	}
	must(adm, "/api/v1/facilities/cnty/rates", map[string]string{"audio": "0.05"})
	adm.getJSON("/api/v1/facilities/cnty", &fac)
	if fac.Rates.Services[0].Rate != "$0.05" {
		t.Fatalf("rate after setting: %+v", fac.Rates.Services[0])
	}

	must(adm, "/api/v1/facilities/cnty/inmates", map[string]string{"inmate": "W7001", "name": "Wilhelmina Osei", "pin": "40417733"})
	must(adm, "/api/v1/facilities/cnty/inmates/W7001/allowed", map[string]string{"op": "add", "number": "(415) 555-0142", "max": "10m"})
	must(adm, "/api/v1/facilities/cnty/inmates/W7001/pin", map[string]string{"pin": "51829374"})
	var inm struct {
		Inmate  struct{ ID, Name string }
		Allowed []struct{ Number, Max string }
	}
	adm.getJSON("/api/v1/facilities/cnty/inmates/W7001", &inm)
	if inm.Inmate.Name != "Wilhelmina Osei" || len(inm.Allowed) != 1 || inm.Allowed[0].Number != "+14155550142" || inm.Allowed[0].Max != "10m0s" {
		t.Fatalf("inmate after adding: %+v", inm)
	}
	_, b = adm.do("GET", "/api/v1/facilities/cnty/inmates", nil)
	if strings.Contains(string(b), "argon2") || strings.Contains(string(b), "51829374") {
		t.Fatalf("inmate list shows a PIN or its hash: %s", b)
	}
	must(off, "/api/v1/facilities/cnty/blocks", map[string]string{"op": "add", "number": "+1 303 555 0199"})
	must(adm, "/api/v1/facilities/cnty/blocks", map[string]string{"op": "add", "prefix": "+1900"})
	var blocks struct{ Numbers, Prefixes []string }
	off.getJSON("/api/v1/facilities/cnty/blocks", &blocks)
	if len(blocks.Numbers) != 1 || blocks.Numbers[0] != "+13035550199" || len(blocks.Prefixes) != 1 || blocks.Prefixes[0] != "+1900" {
		t.Fatalf("blocks: %+v", blocks)
	}
	must(adm, "/api/v1/facilities/cnty/phones", map[string]string{"op": "add", "user": "pod-7", "password": "phone password 7"})
	if _, b := adm.do("GET", "/api/v1/facilities/cnty", nil); !strings.Contains(string(b), `"user":"pod-7","digest":"sha256"`) || strings.Contains(string(b), "phone password 7") || strings.Contains(strings.ToLower(string(b)), "ha1") {
		t.Fatalf("facility phones: %s", b)
	}
	must(adm, "/api/v1/facilities/cnty/phones", map[string]string{"op": "add", "user": "pod-8", "password": "phone password 8", "digest": "md5"})
	must(adm, "/api/v1/facilities/cnty/phones", map[string]string{"op": "password", "user": "pod-7", "password": "phone password 7", "digest": "sha256,md5"})
	if _, b := adm.do("GET", "/api/v1/facilities/cnty", nil); !strings.Contains(string(b), `"user":"pod-8","digest":"md5"`) || !strings.Contains(string(b), `"user":"pod-7","digest":"sha256,md5"`) {
		t.Fatalf("facility phones after digest changes: %s", b)
	}
	added := must(adm, "/api/v1/facilities/cnty/staff", map[string]string{"name": "Nadia Officer", "role": "officer"})
	if s, _ := added["enrolment_secret"].(string); len(s) < 20 {
		t.Fatalf("user add answered %v", added)
	}
	g := must(adm, "/api/v1/facilities/cnty/grants", map[string]string{"op": "issue", "user": "investigator-plain", "hours": "2", "reason": "case M-7"})
	must(adm, "/api/v1/facilities/cnty/grants", map[string]string{"op": "revoke", "grant": g["id"].(string)})
	var st struct{ Grants []struct{ ID string } }
	adm.getJSON("/api/v1/facilities/cnty/staff", &st)
	for _, x := range st.Grants {
		if x.ID == g["id"] {
			t.Fatalf("revoked grant still listed")
		}
	}

	// The audit log: one event per change, by the acting account, in the CLI's shape.
	events := auditEvents(t, aud)[before:]
	want := map[string]string{"facility.rules": "user:" + adm.userID, "rates.set": "user:" + adm.userID,
		"inmate.add": "user:" + adm.userID, "contact.allow": "user:" + adm.userID, "inmate.pin": "user:" + adm.userID,
		"block.add": "", "phone.add": "user:" + adm.userID, "phone.password": "user:" + adm.userID, "user.add": "user:" + adm.userID, "grant.add": "user:" + adm.userID, "grant.revoke": "user:" + adm.userID}
	seen := map[string]int{}
	for _, e := range events {
		if e.Outcome != parley.OutcomeOK {
			continue
		}
		seen[e.Action]++
		if actor, ok := want[e.Action]; ok && actor != "" && e.Actor != actor {
			t.Errorf("%s by %s, want %s", e.Action, e.Actor, actor)
		}
		for _, secret := range []string{"4155550142", "3035550199", "Wilhelmina", "W7001", "51829374", "40417733"} {
			if strings.Contains(fmt.Sprint(e), secret) {
				t.Errorf("audit event shows personal data: %+v", e)
			}
		}
		if e.Action == "block.add" && (e.Detail != "facility cnty" || !strings.HasPrefix(e.Object, "number:#") && e.Object != "prefix:+1900") {
			t.Errorf("block event not in the CLI's shape: %+v", e)
		}
	}
	for action := range want {
		n := seen[action]
		twice := action == "block.add" || action == "facility.rules" || action == "phone.add"
		if twice && n != 2 || !twice && n != 1 {
			t.Errorf("%d %s events, want one per change (%v)", n, action, seen)
		}
	}
	var denied bool
	for _, e := range events {
		denied = denied || e.Action == "rates.set" && e.Outcome != parley.OutcomeOK
	}
	if denied {
		t.Errorf("a refused rate was audited as a change")
	}
}

// TestWebAdminBadInput: every form's bad input gets a clear 4xx and writes nothing (the
// facility, its inmates, the inmate, blocks and staff read back the same).
func TestWebAdminBadInput(t *testing.T) {
	w := newMatrixWorld(t)
	adm := w.signIn(t, "admin-plain")
	adm.do("POST", "/api/v1/facilities/cnty/rules", map[string]string{"hours": "daily 08:00-22:00", "max_call": "15m"})
	snapshot := func() string {
		var all []string
		for _, p := range []string{"", "/inmates", "/inmates/A1001", "/blocks", "/staff"} {
			status, b := adm.do("GET", "/api/v1/facilities/cnty"+p, nil)
			if status != 200 {
				t.Fatalf("GET %s: %d %s", p, status, b)
			}
			all = append(all, string(b))
		}
		return strings.Join(all, "\n")
	}
	before := snapshot()
	type bad struct {
		path   string
		body   any
		status int
		msg    string
	}
	big := strings.Repeat("x", 20<<10)
	cases := []bad{
		{"/rules", map[string]string{"hours": "monday 08:00-22:00"}, 400, "days must be"},
		{"/rules", map[string]string{"hours": "mon-fri 08:00-12:00,mon 11:00-13:00"}, 400, "overlap"},
		{"/rules", map[string]string{"max_call": "48h"}, 400, "maximum call length"},
		{"/rules", map[string]string{"max_call": "soon"}, 400, "duration"},
		{"/rules", map[string]string{"max_concurrent": "-1"}, 400, "whole number"},
		{"/rules", map[string]string{"open_dialing": "maybe"}, 400, "on or off"},
		{"/rules", map[string]string{}, 400, "nothing to change"},
		{"/rules", map[string]string{"hours": "<script>alert(1)</script>"}, 400, "hours"},
		{"/rules", map[string]string{"bogus": "1"}, 400, "unknown field"},
		{"/rules", map[string]any{"hours": map[string]int{"x": 1}}, 400, "must be a string"},
		{"/rules", []byte(`[1,2]`), 400, "JSON"},
		{"/rules", []byte(`{"hours":"daily 08:00-22:00"`), 400, "JSON"},
		{"/rules", map[string]string{"hours": big}, 413, "too large"},
		{"/lockdown", map[string]string{"lockdown": "perhaps"}, 400, "on or off"},
		{"/lockdown", map[string]string{}, 400, "on or off"},
		{"/rates", map[string]string{"audio": "abc"}, 400, "audio rate"},
		{"/rates", map[string]string{"audio": "-1"}, 400, "audio rate"},
		{"/rates", map[string]string{"audio": "0.50"}, 403, "cap"},
		{"/rates", map[string]string{"video": "0.90"}, 403, "cap"},
		{"/rates", map[string]string{}, 400, "audio or a video"},
		{"/rates", map[string]string{"audio": "0.05", "from": "2026-13-01"}, 400, "date"},
		{"/retention", map[string]string{"days": "0"}, 400, "days"},
		{"/retention", map[string]string{"days": "ten"}, 400, "days"},
		{"/retention", map[string]string{"days": "10", "class": "bogus"}, 400, "class"},
		{"/gateways", map[string]string{"op": "add", "addr": "gateway.example"}, 400, "IP address"},
		{"/gateways", map[string]string{"op": "delete", "addr": "10.0.0.1"}, 400, "add or remove"},
		{"/gateways", map[string]string{"op": "remove", "addr": "10.1.1.1"}, 404, "not trusted"},
		{"/devices", map[string]string{"device": "../phone"}, 400, "device id"},
		{"/phones", map[string]string{"op": "add", "user": "p 1", "password": "phone password 1"}, 400, "user name"},
		{"/phones", map[string]string{"op": "add", "user": "p1", "password": "short"}, 400, "password"},
		{"/phones", map[string]string{"op": "remove", "user": "nope"}, 404, ""},
		{"/phones", map[string]string{"op": "add", "user": "p1", "password": "phone password 1", "digest": "sha1"}, 400, "sha256, md5 or sha256,md5"},
		{"/phones", map[string]string{"op": "password", "user": "nope", "password": "phone password 1"}, 404, ""},
		{"/phones", map[string]string{"op": "password", "user": "p1", "digest": "md5"}, 400, "password"},
		{"/phones", map[string]string{"op": "rename", "user": "p1"}, 400, "add or remove or password"},
		{"/devices", map[string]string{}, 400, "required"},
		{"/holds", map[string]string{"op": "hold", "recording": "../../etc/passwd", "reason": "x"}, 400, "malformed"},
		{"/holds", map[string]string{"op": "hold", "recording": w.recs["city"], "reason": "x"}, 404, "not found"},
		{"/holds", map[string]string{"op": "hold", "recording": w.recs["cnty"], "reason": ""}, 400, "reason"},
		{"/inmates", map[string]string{"inmate": "X 1", "name": "N", "pin": "12345678"}, 400, "inmate id"},
		{"/inmates", map[string]string{"inmate": "X1", "name": "N", "pin": "12"}, 400, "PIN"},
		{"/inmates", map[string]string{"inmate": "X1", "name": strings.Repeat("n", 201), "pin": "12345678"}, 400, "name"},
		{"/inmates", map[string]string{"inmate": "A1001", "name": "N", "pin": "12345670"}, 409, ""},
		{"/inmates", map[string]string{"inmate": "X1", "name": "N", "pin": "73915486"}, 409, ""},
		{"/inmates", map[string]string{"inmate": "X1", "name": "Robert'); DROP TABLE inmates;--"}, 400, "PIN"},
		{"/inmates/A1001/pin", map[string]string{"pin": "abcd"}, 400, "PIN"},
		{"/inmates/NOPE/pin", map[string]string{"pin": "12345678"}, 404, ""},
		{"/inmates/A1001/do-not-record", map[string]string{"do_not_record": "sometimes"}, 400, "on or off"},
		{"/inmates/A1001/allowed", map[string]string{"op": "add", "number": "12"}, 400, "phone number"},
		{"/inmates/A1001/allowed", map[string]string{"op": "add", "number": "'; DROP TABLE allowed;--"}, 400, "phone number"},
		{"/inmates/A1001/allowed", map[string]string{"op": "add", "number": "+12025550100", "max": "48h"}, 400, "maximum call length"},
		{"/inmates/A1001/allowed", map[string]string{"op": "remove", "number": "+12025559999"}, 404, ""},
		{"/blocks", map[string]string{"op": "add"}, 400, "exactly one"},
		{"/blocks", map[string]string{"op": "add", "number": "+12025550100", "prefix": "+1900"}, 400, "exactly one"},
		{"/blocks", map[string]string{"op": "add", "prefix": "+0900"}, 400, "prefix"},
		{"/blocks", map[string]string{"op": "add", "prefix": "1900"}, 400, "prefix"},
		{"/blocks", map[string]string{"op": "remove", "number": "+12025559999"}, 404, ""},
		{"/staff", map[string]string{"name": "", "role": "officer"}, 400, "required"},
		{"/staff", map[string]string{"name": "x", "role": "root"}, 400, "role"},
		{"/staff", map[string]string{"name": "a\u0001b", "role": "officer"}, 400, "printable"},
		{"/staff", map[string]string{"name": "admin-plain", "role": "officer"}, 409, ""},
		{"/staff", map[string]string{"name": "agency-wide", "role": "officer", "scope": "agency"}, 403, "not allowed"},
		{"/staff", map[string]string{"name": "x2", "role": "officer", "scope": "planet"}, 400, "scope"},
		{"/grants", map[string]string{"op": "issue", "user": "investigator-plain", "hours": "0", "reason": "r"}, 400, "hours"},
		{"/grants", map[string]string{"op": "issue", "user": "investigator-plain", "hours": "9999", "reason": "r"}, 400, "hours"},
		{"/grants", map[string]string{"op": "issue", "user": "investigator-plain", "hours": "1", "reason": ""}, 400, "required"},
		{"/grants", map[string]string{"op": "issue", "user": "nobody-here", "hours": "1", "reason": "r"}, 404, ""},
		{"/grants", map[string]string{"op": "revoke", "grant": "nope"}, 404, ""},
		{"/grants", map[string]string{"op": "revoke", "grant": "../x"}, 400, "grant id"},
	}
	for _, c := range cases {
		status, b := adm.do("POST", "/api/v1/facilities/cnty"+c.path, c.body)
		if status != c.status || !strings.Contains(strings.ToLower(string(b)), strings.ToLower(c.msg)) {
			t.Errorf("POST %s %v: %d %.300s, want %d with %q", c.path, c.body, status, b, c.status, c.msg)
		}
		if status == 500 || strings.Contains(string(b), "sqldb.") || strings.Contains(string(b), "admin.") {
			t.Errorf("POST %s: leaks internals: %s", c.path, b)
		}
	}
	// The same through the page forms: the page comes back with the message, escaped.
	for _, c := range []struct {
		path string
		form url.Values
		want int
		msg  string
	}{
		{"/rates", url.Values{"audio": {"0.50"}}, 403, "cap"},
		{"/rules", url.Values{"hours": {"<script>alert(1)</script>"}}, 400, "&lt;script&gt;"},
		{"/inmates", url.Values{"inmate": {"X1"}, "name": {"N"}, "pin": {"1"}}, 400, "PIN"},
		{"/inmates/A1001/allowed", url.Values{"op": {"add"}, "number": {"nope"}}, 400, "phone number"},
		{"/blocks", url.Values{"op": {"add"}, "prefix": {"+0"}}, 400, "prefix"},
		{"/staff", url.Values{"name": {"x"}, "role": {"root"}}, 400, "role"},
		{"/grants", url.Values{"op": {"issue"}, "user": {"investigator-plain"}, "hours": {"-3"}, "reason": {"r"}}, 400, "hours"},
	} {
		status, body := adm.postForm("/facilities/cnty"+c.path, c.form)
		if status != c.want || !strings.Contains(body, c.msg) || !strings.Contains(body, `id="error"`) || strings.Contains(body, "<script>alert") {
			t.Errorf("form %s: %d, want %d with %q: %.400s", c.path, status, c.want, c.msg, body)
		}
	}
	// A form without the CSRF token is refused before anything runs.
	req, _ := http.NewRequest("POST", adm.base+"/facilities/cnty/blocks", strings.NewReader("op=add&prefix=%2B1976"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := adm.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("form without CSRF: %d", resp.StatusCode)
	}
	if after := snapshot(); after != before {
		t.Errorf("bad input wrote something:\nbefore %s\nafter  %s", before, after)
	}
}

// TestWebAgencyAccounts: an agency's admin adds an agency-wide account from a facility's
// staff page; it is listed with its agency scope there and its secret is shown once.
func TestWebAgencyAccounts(t *testing.T) {
	c := newCLI(t)
	seed(t, c)
	c.ok("agency", "add", "--id", "county", "--name", "County Sheriff")
	c.ok("agency", "facility", "--agency", "county", "--facility", "cnty")
	secret := addStaff(t, c, "Cora Agency", "admin", "--agency", "county", matrixPassword)
	srv := startWeb(t, c)
	adm := signIn(t, c, srv.base, "Cora Agency", matrixPassword, secret)
	status, b := adm.do("POST", "/api/v1/facilities/cnty/staff", map[string]string{"name": "Ana Auditor", "role": "auditor", "scope": "agency"})
	if status != 200 || !strings.Contains(string(b), "enrolment_secret") {
		t.Fatalf("agency account: %d %s", status, b)
	}
	var st struct {
		Users []struct{ Name, Scope string }
	}
	adm.getJSON("/api/v1/facilities/cnty/staff", &st)
	found := false
	for _, u := range st.Users {
		found = found || u.Name == "Ana Auditor" && u.Scope == "agency:county"
	}
	if !found {
		t.Fatalf("staff list %+v lacks the agency account", st.Users)
	}
	status, page := adm.postForm("/facilities/cnty/staff", url.Values{"name": {"Otis Officer"}, "role": {"officer"}})
	if status != 200 || !strings.Contains(page, "Enrolment secret, shown once: ") {
		t.Fatalf("form add: %d %.300s", status, page)
	}
}
