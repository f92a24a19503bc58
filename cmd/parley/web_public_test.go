package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/auth"
	"parley.dev/parley/internal/testingutil"
)

const publicPassword = "a public password 1"

// codeBox is a fake code sender that keeps the last code sent to each number (the real
// one calls the number and speaks the digits).
type codeBox struct {
	mu    sync.Mutex
	codes map[parley.Number]string
	sent  int
}

func newCodeBox() *codeBox { return &codeBox{codes: map[parley.Number]string{}} }

func (b *codeBox) SendCode(_ context.Context, n parley.Number, code string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.codes[n] = code
	b.sent++
	return nil
}

func (b *codeBox) code(t *testing.T, n parley.Number) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.codes[n]
	if len(c) != 6 {
		t.Fatalf("no code sent to the number (%q)", c)
	}
	return c
}

// wrongCode returns a 6-digit code that is not code.
func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

// publicSignIn signs a public account in through the API.
func publicSignIn(t *testing.T, base, side, name string) *staff {
	t.Helper()
	return publicSignInWith(t, base, side, name, publicPassword)
}

// publicSignInWith signs a public account in through the API with its password.
func publicSignInWith(t *testing.T, base, side, name, password string) *staff {
	t.Helper()
	s := newClient(t, base)
	status, body := s.do("POST", "/api/v1/"+side+"/session", map[string]string{"name": name, "password": password})
	if status != http.StatusCreated {
		t.Fatalf("sign in %s: %d %s", side, status, body)
	}
	var resp struct {
		AccountID string `json:"account_id"`
		CSRFToken string `json:"csrf_token"`
	}
	json.Unmarshal(body, &resp)
	s.csrf, s.userID = resp.CSRFToken, resp.AccountID
	return s
}

func wantStatus(t *testing.T, what string, status int, body []byte, want int) {
	t.Helper()
	if status != want {
		t.Fatalf("%s: %d %s, want %d", what, status, body, want)
	}
}

// TestPublicAttorneyAndFamilyAPI walks both public sides over real HTTP on SQLite.
func TestPublicAttorneyAndFamilyAPI(t *testing.T) { publicWalk(t, newCLI(t)) }

// TestPublicAttorneyAndFamilyAPIPostgres walks them with the database on PostgreSQL.
func TestPublicAttorneyAndFamilyAPIPostgres(t *testing.T) {
	c := newCLI(t)
	c.env["PARLEY_DB"] = testingutil.WithSearchPath(testingutil.PostgresDSN(), testingutil.PostgresSchema(t))
	publicWalk(t, c)
}

// publicWalk: an attorney signs up (pending, cannot claim numbers), an admin verifies the
// bar number by the CLI, the attorney's office number is verified by code and registered,
// and the recording to it is destroyed at once (the store says so; the page's count is 0);
// a family member verifies a number, sees rates and caps, deposits once per key, sees the
// call and blocks calls (policy check then refuses them), and unblocks. Neither side
// reaches staff routes, the other side, or the other's numbers.
func publicWalk(t *testing.T, c *cli) {
	box := newCodeBox()
	c.sender = box
	seed(t, c)
	c.ok("rates", "set", "--facility", "cnty", "--audio", "0.10")
	c.ok("facility", "rules", "--facility", "cnty", "--hours", "daily 08:00-22:00", "--max-call", "15m")
	srv := startWeb(t, c)
	anon := newClient(t, srv.base)

	// Attorney sign-up, pending.
	status, body := anon.do("POST", "/api/v1/attorney/signup", map[string]string{"name": "ada@law.example", "password": publicPassword,
		"full_name": "Ada Okonkwo-Reyes", "bar_number": "NY-4471", "state": "ny"})
	wantStatus(t, "attorney sign-up", status, body, http.StatusCreated)
	if !strings.Contains(string(body), `"pending"`) {
		t.Fatalf("sign-up %s", body)
	}
	att := publicSignIn(t, srv.base, "attorney", "ada@law.example")
	const office = parley.Number("+14155552671")
	status, body = att.do("POST", "/api/v1/attorney/numbers", map[string]string{"number": "(415) 555-2671", "label": "office"})
	wantStatus(t, "pending attorney claims a number", status, body, http.StatusForbidden)

	// An admin verifies the bar number by the CLI (audited).
	var list []attorneyView
	if err := json.Unmarshal([]byte(c.ok("attorney", "list", "--pending", "--json")), &list); err != nil || len(list) != 1 {
		t.Fatalf("attorney list: %v %+v", err, list)
	}
	if list[0].BarNumber != "NY-4471" || list[0].State != "NY" || list[0].Status != "pending" {
		t.Fatalf("attorney list %+v", list)
	}
	c.ok("attorney", "verify", "--id", list[0].ID)
	c.fail(1, "verified already", "attorney", "verify", "--id", list[0].ID)
	c.fail(1, "no attorney", "attorney", "verify", "--id", "nope")
	c.fail(2, "--id", "attorney", "verify")

	// The office number: a code, a wrong try, the right one; the recording is destroyed.
	status, body = att.do("POST", "/api/v1/attorney/numbers", map[string]string{"number": "(415) 555-2671", "label": "office"})
	wantStatus(t, "claim", status, body, http.StatusCreated)
	var claimed struct{ ID string }
	json.Unmarshal(body, &claimed)
	code := box.code(t, office)
	path := "/api/v1/attorney/numbers/" + claimed.ID + "/code"
	status, body = att.do("POST", path, map[string]string{"code": wrongCode(code)})
	wantStatus(t, "wrong code", status, body, http.StatusBadRequest)
	if searchNumber(t, c, string(office))[0].Recording != "stored" {
		t.Fatal("the recording went before the number was verified")
	}
	status, body = att.do("POST", path, map[string]string{"code": code})
	wantStatus(t, "right code", status, body, http.StatusOK)
	if !strings.Contains(string(body), `"destroyed_recordings":1`) || !strings.Contains(string(body), `"registered"`) {
		t.Fatalf("confirm %s", body)
	}
	status, body = att.do("POST", path, map[string]string{"code": code})
	wantStatus(t, "replayed code", status, body, http.StatusConflict)
	if call := searchNumber(t, c, string(office))[0]; call.Recording != "destroyed" || !call.Privileged {
		t.Fatalf("call after registration: %+v", call)
	}
	_, body = att.do("GET", "/api/v1/attorney/numbers", nil)
	if !strings.Contains(string(body), `"stored_recordings":0`) || !strings.Contains(string(body), `"destroyed_recordings":1`) {
		t.Fatalf("numbers %s", body)
	}
	audit := c.ok("audit", "list", "--limit", "1000", "--json")
	for _, want := range []string{`"attorney.verify"`, `"privileged.add"`, `"public:` + att.userID + `"`, `"public.code.check"`} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %s", want)
		}
	}
	if strings.Contains(audit, code) && strings.Contains(audit, `"code":"`+code) {
		t.Error("the code is in the audit log")
	}

	// Family: sign-up, nothing before the number is verified.
	status, body = anon.do("POST", "/api/v1/family/signup", map[string]string{"name": "kin@example.org", "password": publicPassword, "bar_number": "1"})
	wantStatus(t, "family sign-up with bar details", status, body, http.StatusBadRequest)
	status, body = anon.do("POST", "/api/v1/family/signup", map[string]string{"name": "kin@example.org", "password": publicPassword})
	wantStatus(t, "family sign-up", status, body, http.StatusCreated)
	fam := publicSignIn(t, srv.base, "family", "kin@example.org")
	status, body = fam.do("GET", "/api/v1/family/account", nil)
	wantStatus(t, "account before verification", status, body, http.StatusForbidden)
	const home = parley.Number("+12125550199")
	status, body = fam.do("POST", "/api/v1/family/number", map[string]string{"number": "+1 212 555 0199"})
	wantStatus(t, "family number", status, body, http.StatusCreated)
	json.Unmarshal(body, &claimed)
	famCode := box.code(t, home)
	status, body = att.do("POST", "/api/v1/attorney/numbers/"+claimed.ID+"/code", map[string]string{"code": famCode})
	wantStatus(t, "attorney confirms the family's number", status, body, http.StatusNotFound)
	status, body = fam.do("POST", "/api/v1/family/number/"+claimed.ID+"/code", map[string]string{"code": famCode})
	wantStatus(t, "family code", status, body, http.StatusOK)
	status, body = fam.do("POST", "/api/v1/family/number", map[string]string{"number": "+1 212 555 0100"})
	wantStatus(t, "second family number", status, body, http.StatusConflict)

	// Rates and caps, plainly; no fees.
	_, body = fam.do("GET", "/api/v1/family/rates", nil)
	var rs struct {
		Facilities []struct {
			Name     string
			Fees     string
			Services []struct{ Service, PerMinute, Cap, CapSource string } `json:"services"`
		}
	}
	if err := json.Unmarshal(body, &rs); err != nil || len(rs.Facilities) != 1 {
		t.Fatalf("rates %s", body)
	}
	audio := rs.Facilities[0].Services[0]
	if rs.Facilities[0].Name != "County Jail" || !strings.HasPrefix(rs.Facilities[0].Fees, "No fees") || audio.Service != "audio" ||
		!strings.Contains(string(body), `"per_minute":"$0.10"`) || !strings.Contains(string(body), `"cap_source":"FCC`) {
		t.Fatalf("rates %s", body)
	}

	// Deposits: once per key; bad amounts and keys write nothing.
	status, body = fam.do("POST", "/api/v1/family/deposits", map[string]string{"amount": "20.00", "idempotency_key": "r-1"})
	wantStatus(t, "deposit", status, body, http.StatusCreated)
	status, body = fam.do("POST", "/api/v1/family/deposits", map[string]string{"amount": "20.00", "idempotency_key": "r-1"})
	wantStatus(t, "deposit retried", status, body, http.StatusOK)
	if !strings.Contains(string(body), `"applied":false`) || !strings.Contains(string(body), `"balance":"$20.00"`) {
		t.Fatalf("retried deposit %s", body)
	}
	for what, req := range map[string]map[string]string{
		"key reused":     {"amount": "30.00", "idempotency_key": "r-1"},
		"negative":       {"amount": "-5.00", "idempotency_key": "r-2"},
		"not money":      {"amount": "lots", "idempotency_key": "r-3"},
		"too much":       {"amount": "5000.00", "idempotency_key": "r-4"},
		"key injection":  {"amount": "5.00", "idempotency_key": "x'; DROP TABLE ledger_tx; --"},
		"no key":         {"amount": "5.00"},
		"sub-cent":       {"amount": "5.001", "idempotency_key": "r-5"},
		"html in amount": {"amount": "<b>5</b>", "idempotency_key": "r-6"},
	} {
		status, body := fam.do("POST", "/api/v1/family/deposits", req)
		if status != http.StatusBadRequest && status != http.StatusConflict {
			t.Errorf("%s: %d %s", what, status, body)
		}
	}
	_, body = fam.do("GET", "/api/v1/family/account", nil)
	if !strings.Contains(string(body), `"balance":"$20.00"`) || !strings.Contains(string(body), `"deposits":"$20.00"`) {
		t.Fatalf("account %s", body)
	}
	_, body = fam.do("GET", "/api/v1/family/calls", nil)
	if !strings.Contains(string(body), `"facility":"County Jail"`) || !strings.Contains(string(body), `"seconds":120`) ||
		strings.Contains(string(body), "A1001") || strings.Contains(string(body), "Marisol") {
		t.Fatalf("calls %s", body)
	}

	// Blocks, audited; the policy check refuses the call, then allows it again.
	const pin = "73915486"
	c.ok("contact", "allow", "--facility", "cnty", "--inmate", "A1001", "--number", string(home))
	if d := check(t, c, "--pin", pin, "--number", string(home)); !d.Allow {
		t.Fatalf("call before the block: %+v", d)
	}
	status, body = fam.do("POST", "/api/v1/family/blocks", map[string]string{"facility_id": "all"})
	wantStatus(t, "block", status, body, http.StatusCreated)
	status, body = fam.do("POST", "/api/v1/family/blocks", map[string]string{"facility_id": "all"})
	wantStatus(t, "block twice", status, body, http.StatusConflict)
	for _, bad := range []string{"nope", "../cnty", "cnty' OR '1'='1", strings.Repeat("x", 200)} {
		status, body = fam.do("POST", "/api/v1/family/blocks", map[string]string{"facility_id": bad})
		wantStatus(t, "block "+bad, status, body, http.StatusBadRequest)
	}
	if d := check(t, c, "--pin", pin, "--number", string(home)); d.Allow || d.Reason != "blocked_by_called_party" {
		t.Fatalf("call after the block: %+v", d)
	}
	status, body = fam.do("DELETE", "/api/v1/family/blocks?facility=all", nil)
	wantStatus(t, "unblock", status, body, http.StatusNoContent)
	if d := check(t, c, "--pin", pin, "--number", string(home)); !d.Allow {
		t.Fatalf("call after unblocking: %+v", d)
	}
	status, body = fam.do("DELETE", "/api/v1/family/blocks?facility=all", nil)
	wantStatus(t, "unblock again", status, body, http.StatusNotFound)
	audit = c.ok("audit", "list", "--limit", "1000", "--json")
	for _, want := range []string{`"selfblock.add"`, `"selfblock.remove"`, `"account.deposit"`} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %s", want)
		}
	}

	// Sides stay apart.
	for _, r := range []struct {
		who    *staff
		method string
		path   string
	}{
		{att, "GET", "/api/v1/session"}, {att, "GET", "/api/v1/calls?number=%2B14155552671&purpose=x"}, {att, "GET", "/api/v1/family/rates"},
		{fam, "GET", "/api/v1/audit"}, {fam, "GET", "/api/v1/attorney/numbers"}, {fam, "POST", "/api/v1/privileged"},
	} {
		status, body := r.who.do(r.method, r.path, map[string]string{})
		if r.method == "GET" {
			status, body = r.who.do(r.method, r.path, nil)
		}
		wantStatus(t, r.path, status, body, http.StatusForbidden)
	}
	for _, s := range []string{"Ada Okonkwo-Reyes", "NY-4471", "ada@law.example", "kin@example.org", "4155552671", "2125550199", code, famCode} {
		if strings.Contains(c.logs.String()+srv.stderr.String(), s) {
			t.Errorf("the logs hold %q", s)
		}
	}
}

// TestPublicNoCodeSender: without a code sender, serve says number verification is
// unavailable and stores nothing.
func TestPublicNoCodeSender(t *testing.T) {
	c := newCLI(t)
	srv := startWeb(t, c)
	anon := newClient(t, srv.base)
	status, body := anon.do("POST", "/api/v1/family/signup", map[string]string{"name": "kin@example.org", "password": publicPassword})
	wantStatus(t, "sign-up", status, body, http.StatusCreated)
	fam := publicSignIn(t, srv.base, "family", "kin@example.org")
	status, body = fam.do("POST", "/api/v1/family/number", map[string]string{"number": "+12125550199"})
	wantStatus(t, "number without a sender", status, body, http.StatusServiceUnavailable)
	if !strings.Contains(string(body), "not available") {
		t.Fatalf("body %s", body)
	}
	_, body = fam.do("GET", "/api/v1/family/number", nil)
	if strings.Contains(string(body), `"number":{`) || !strings.Contains(string(body), `"verification_available":false`) {
		t.Fatalf("number after refusal %s", body)
	}
}

// TestPublicTOTP: a family account turns on an authenticator through the API: its sessions
// end, the password alone no longer signs in, a code does once, and a bad confirmation
// changes nothing.
func TestPublicTOTP(t *testing.T) {
	c := newCLI(t)
	srv := startWeb(t, c)
	anon := newClient(t, srv.base)
	status, body := anon.do("POST", "/api/v1/family/signup", map[string]string{"name": "kin@example.org", "password": publicPassword})
	wantStatus(t, "sign-up", status, body, http.StatusCreated)
	fam := publicSignIn(t, srv.base, "family", "kin@example.org")
	status, body = fam.do("POST", "/api/v1/family/totp", nil)
	wantStatus(t, "begin", status, body, http.StatusOK)
	var e struct{ Secret, URL string }
	json.Unmarshal(body, &e)
	if len(e.Secret) != 52 || !strings.Contains(e.URL, "algorithm=SHA256") {
		t.Fatalf("totp %s", body)
	}
	code, err := auth.Code(e.Secret, c.now)
	if err != nil {
		t.Fatal(err)
	}
	status, body = fam.do("POST", "/api/v1/family/totp/confirm", map[string]string{"secret": e.Secret, "password": publicPassword, "code": wrongCode(code)})
	wantStatus(t, "wrong code", status, body, http.StatusBadRequest)
	status, body = fam.do("POST", "/api/v1/family/totp/confirm", map[string]string{"secret": e.Secret, "password": publicPassword, "code": code})
	wantStatus(t, "confirm", status, body, http.StatusNoContent)
	status, body = fam.do("GET", "/api/v1/family/session", nil)
	wantStatus(t, "the session that turned it on", status, body, http.StatusUnauthorized)
	status, body = anon.do("POST", "/api/v1/family/session", map[string]string{"name": "kin@example.org", "password": publicPassword})
	wantStatus(t, "password alone", status, body, http.StatusUnauthorized)
	status, body = anon.do("POST", "/api/v1/family/session", map[string]string{"name": "kin@example.org", "password": publicPassword, "code": code})
	wantStatus(t, "the confirmation code again", status, body, http.StatusUnauthorized)
	code, _ = auth.Code(e.Secret, c.now.Add(30*time.Second)) // the next step, within the allowed skew
	status, body = anon.do("POST", "/api/v1/family/session", map[string]string{"name": "kin@example.org", "password": publicPassword, "code": code})
	wantStatus(t, "password and a fresh code", status, body, http.StatusCreated)
	if !strings.Contains(string(body), `"totp":true`) {
		t.Fatalf("session %s", body)
	}
}

// TestCallIDFromMemo: the family's call charges are found by the call id in the charger's
// memos.
func TestCallIDFromMemo(t *testing.T) {
	for memo, want := range map[string]string{
		"hold for call abc123":           "abc123",
		"call abc123: 60 s at $0.10/min": "abc123",
		"call abc123: not connected":     "abc123",
		"deposit":                        "",
		"callback":                       "",
	} {
		if got := callID(memo); got != want {
			t.Errorf("callID(%q) = %q, want %q", memo, got, want)
		}
	}
}
