package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"parley.dev/parley"
	"parley.dev/parley/sip/siptest"
)

// TestServeDemo: `serve --demo` seeds the demo, prints how to call with a softphone, and a
// phone that follows the instructions (registers, PIN, number) completes a call with the
// built-in called party, which accepts and plays a tone. A second run seeds nothing twice.
func TestServeDemo(t *testing.T) {
	c := newCLI(t)
	srv := startServeArgs(t, c, "--demo")
	sipWaitFor(t, "the retention run", func() bool { return strings.Contains(srv.stderr.String(), "retention run done") })
	out := srv.stdout.String()
	for _, want := range []string{srv.sip.String(), demoPhoneUser, demoPhonePass, demoPIN, demoAllowed[2:],
		demoPrivileged[2:], "Linphone", "seeded facility demo", "seeded phone demo-phone (digest sha256,md5)",
		"seeded phone demo-phone-md5 (digest md5)", "sipp, baresip",
		"SIP server / domain:  " + srv.sip.Addr().String() + "\n", fmt.Sprintf("port:                 %d\n", srv.sip.Port()),
		"transport:            UDP or TCP", "password:             " + demoPhonePass, "realm:                " + sipRealm,
		"Web: " + srv.http + "/", srv.http + "/signin", demoStaffPassword,
		srv.http + "/attorney/signin as " + demoAttorneyName, srv.http + "/family/signin as " + demoFamilyName, demoPublicPassword,
		"prepaid balance $20.00", "seeded a deposit of $20.00", "the verification code for the number ending"} {
		if !strings.Contains(out, want) {
			t.Errorf("the instructions lack %q:\n%s", want, out)
		}
	}
	secrets := demoSecrets(t, out)
	demoTryEverySide(t, c, srv, secrets)

	p, err := siptest.NewPhone(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	ctx, cancel := context.WithTimeout(context.Background(), sipGuard)
	defer cancel()
	if res, err := p.Register(ctx, srv.sip, demoPhoneUser, demoPhonePass, 300); err != nil || res.StatusCode != 200 {
		t.Fatalf("REGISTER: %v %v", res, err)
	}
	// The MD5 phone is challenged with MD5 alone (sipgo answers the first challenge).
	res, err := p.Do(ctx, p.NewRegister(srv.sip, demoPhoneMD5, 300))
	if err != nil || res.StatusCode != 401 || len(res.GetHeaders("WWW-Authenticate")) != 1 ||
		!strings.Contains(res.GetHeader("WWW-Authenticate").Value(), "algorithm=MD5") {
		t.Fatalf("the MD5 demo phone's challenge: %v %v", res, err)
	}
	if res, err := p.Register(ctx, srv.sip, demoPhoneMD5, demoPhonePass, 300); err != nil || res.StatusCode != 200 {
		t.Fatalf("REGISTER the MD5 demo phone: %v %v", res, err)
	}
	p.Username, p.Password = demoPhoneUser, demoPhonePass
	if code, err := p.Call(ctx, srv.sip, demoPhoneUser, nil); err != nil || code != 200 {
		t.Fatalf("call: %d %v\n%s", code, err, srv.stderr.String())
	}
	sipWaitFor(t, "the welcome", func() bool { return siptest.LoudFrames(p.Media.Received()) >= 3 })
	p.Media.SendDigits("1" + demoPIN + "#" + demoAllowed[2:] + "#")
	p.Media.SetTone(sipToneIn)
	sipWaitFor(t, "the called party's tone", func() bool {
		return siptest.ToneFrames(p.Media.Received(), demoToneHz) >= sipHeardMany
	})
	if err := p.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	// The BYE's 200 comes before the server has written the call's end: stopping serve at
	// once can end the call as a shutdown instead (a CI run did). Wait for the record.
	sipWaitFor(t, "the call's end recorded", func() bool {
		calls := searchNumber(t, c, demoAllowed)
		return len(calls) == 1 && (calls[0].Status == "completed" || calls[0].Status == "dropped" || calls[0].Status == "declined")
	})
	srv.stop(t)
	calls := searchNumber(t, c, demoAllowed)
	if len(calls) != 1 || calls[0].Status != "completed" || calls[0].InmateID != demoInmate ||
		calls[0].DeviceID != demoPhoneUser || calls[0].Recording != "stored" {
		t.Fatalf("calls %+v", calls)
	}

	again := startServeArgs(t, c, "--demo")
	// The retention job's audit event must be in before shutdown cancels it between
	// appending and checkpointing (see the report: an audit package race).
	sipWaitFor(t, "the retention run", func() bool { return strings.Contains(again.stderr.String(), "retention run done") })
	if out := again.stdout.String(); !strings.Contains(out, "already seeded") || strings.Contains(out, "seeded facility") {
		t.Errorf("second run:\n%s", out)
	} else if again := demoSecrets(t, out); fmt.Sprint(again) != fmt.Sprint(secrets) {
		t.Errorf("the second run prints the TOTP secrets %v, the first %v", again, secrets)
	}
	again.stop(t)
	if out := c.ok("facility", "list"); strings.Count(out, "demo") != 1 {
		t.Errorf("facility list:\n%s", out)
	}
	var phones []phoneView
	if err := json.Unmarshal([]byte(c.ok("phone", "list", "--json")), &phones); err != nil {
		t.Fatal(err)
	}
	if len(phones) != 2 || phones[0].User != demoPhoneUser || phones[0].Digest != "sha256,md5" ||
		phones[1].User != demoPhoneMD5 || phones[1].Digest != "md5" {
		t.Errorf("phone list: %+v", phones)
	}
	var events []parley.AuditEvent
	if err := json.Unmarshal([]byte(c.ok("audit", "list", "--limit", "1000", "--json")), &events); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, ev := range events {
		seen[ev.Action]++
	}
	for _, action := range []string{"facility.add", "facility.rules", "inmate.add", "phone.add", "user.add", "user.enrol",
		"public.signup", "attorney.verify"} {
		want := map[string]int{"user.add": 5, "user.enrol": 5, "public.signup": 2, "phone.add": 2}[action]
		if want == 0 {
			want = 1
		}
		if seen[action] != want {
			t.Errorf("%s audited %d times, want %d", action, seen[action], want)
		}
	}
	if seen["contact.allow"] != 2 {
		t.Errorf("contact.allow audited %d times, want 2", seen["contact.allow"])
	}
	c.ok("audit", "verify")
}

// demoSecretRE matches a staff account's line in the banner.
var demoSecretRE = regexp.MustCompile(`(?m)^  (demo-[a-z]+) +([a-z]+) +TOTP secret ([A-Z2-7]+)$`)

// demoSecrets returns each demo staff account's TOTP secret as the banner prints it, and
// checks that each has a QR code.
func demoSecrets(t *testing.T, out string) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, m := range demoSecretRE.FindAllStringSubmatch(out, -1) {
		if m[1] != "demo-"+m[2] {
			t.Errorf("account %s has the role %s", m[1], m[2])
		}
		got[m[1]] = m[3]
		qr, err := terminalQR(totpURL(m[1], m[3]))
		if err != nil || !strings.Contains(out, m[1]+" ("+totpURL(m[1], m[3])+"):\n"+qr) {
			t.Errorf("no QR code of %s's TOTP URL in the banner (%v)", m[1], err)
		}
	}
	for _, role := range demoRoles {
		if got["demo-"+string(role)] == "" {
			t.Errorf("the banner has no %s account:\n%s", role, out)
		}
	}
	return got
}

// demoTryEverySide follows the banner on every side: each staff account signs in with its
// password and a code from its TOTP secret and reaches its start page; the attorney finds
// the number registered and adds another, confirmed with the code the terminal shows (and
// the log never does); the family finds the number verified and the balance.
func demoTryEverySide(t *testing.T, c *cli, srv *serving, secrets map[string]string) {
	t.Helper()
	for name, secret := range secrets {
		s := signIn(t, c, srv.http, name, demoStaffPassword, secret)
		if status, body := s.do("GET", "/api/v1/session", nil); status != http.StatusOK || !strings.Contains(string(body), `"role":"`+strings.TrimPrefix(name, "demo-")+`"`) {
			t.Errorf("%s's session: %d %s", name, status, body)
		}
	}
	att := publicSignInWith(t, srv.http, "attorney", demoAttorneyName, demoPublicPassword)
	var nums struct {
		Status  string
		Numbers []struct{ ID, Number, Label, State string }
	}
	status, body := att.do("GET", "/api/v1/attorney/numbers", nil)
	json.Unmarshal(body, &nums)
	if status != http.StatusOK || nums.Status != "verified" || len(nums.Numbers) != 1 ||
		nums.Numbers[0].Number != demoPrivileged || nums.Numbers[0].State != "registered" {
		t.Errorf("the demo attorney: %d %s", status, body)
	}
	const cell = "+12025550177"
	status, body = att.do("POST", "/api/v1/attorney/numbers", map[string]string{"number": cell, "label": "cell"})
	wantStatus(t, "the attorney's cell", status, body, http.StatusCreated)
	var added struct{ ID string }
	json.Unmarshal(body, &added)
	codeRE := regexp.MustCompile(`parley demo: the verification code for the number ending 77 is ([0-9]{6})\n`)
	var code string
	sipWaitFor(t, "the code on the terminal", func() bool {
		m := codeRE.FindStringSubmatch(srv.stdout.String())
		if m != nil {
			code = m[1]
		}
		return m != nil
	})
	if strings.Contains(srv.stderr.String(), code) {
		t.Error("the verification code is in the log")
	}
	status, body = att.do("POST", "/api/v1/attorney/numbers/"+added.ID+"/code", map[string]string{"code": code})
	wantStatus(t, "the cell's code", status, body, http.StatusOK)

	fam := publicSignInWith(t, srv.http, "family", demoFamilyName, demoPublicPassword)
	var num struct {
		Number struct{ Number, State string }
	}
	status, body = fam.do("GET", "/api/v1/family/number", nil)
	json.Unmarshal(body, &num)
	if status != http.StatusOK || num.Number.Number != demoAllowed || num.Number.State != "verified" {
		t.Errorf("the demo family's number: %d %s", status, body)
	}
	var acct struct{ Balance string }
	status, body = fam.do("GET", "/api/v1/family/account", nil)
	json.Unmarshal(body, &acct)
	if status != http.StatusOK || acct.Balance != "$20.00" {
		t.Errorf("the demo family's account: %d %s", status, body)
	}
}
