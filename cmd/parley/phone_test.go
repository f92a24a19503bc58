package main

import (
	"context"
	"crypto/fips140"
	"encoding/json"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	sipgo "github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"parley.dev/parley/sip/siptest"
)

const (
	phoneUser     = "pod-b-phone-3"
	phonePassword = "Tr0ub4dor&3-horse"
)

// TestPhoneCommands: add, list and remove registering phones, and their bad input.
func TestPhoneCommands(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("phone", "add", "--facility", "cnty", "--user", phoneUser, "--password", phonePassword)
	c.fail(1, "already exists", "phone", "add", "--facility", "cnty", "--user", phoneUser, "--password", phonePassword+"x")
	c.fail(2, "at least 10 characters", "phone", "add", "--facility", "cnty", "--user", "p2", "--password", "short")
	c.fail(2, "--user must be", "phone", "add", "--facility", "cnty", "--user", "bad user", "--password", phonePassword)
	c.fail(2, "-password", "phone", "add", "--facility", "cnty", "--user", "p2")
	c.fail(1, "not found", "phone", "add", "--facility", "nowhere", "--user", "p2", "--password", phonePassword)

	var list []phoneView
	out := c.ok("phone", "list", "--json")
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].User != phoneUser || list[0].Facility != "cnty" || list[0].Realm != "parley" ||
		list[0].Digest != "sha256" {
		t.Fatalf("phone list: %s", out)
	}
	// Neither the password nor anything derived from it is shown or stored in clear.
	if strings.Contains(out, phonePassword) || strings.Contains(c.ok("phone", "list"), phonePassword) {
		t.Fatal("phone list shows the password")
	}
	assertNotOnDisk(t, c.data, phonePassword)

	testPhoneDigest(t, c)

	c.ok("phone", "remove", "--user", phoneUser)
	c.fail(1, "not found", "phone", "remove", "--user", phoneUser)
	if out := c.ok("phone", "list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("after remove: %s", out)
	}
	audit := c.ok("audit", "list", "--json")
	for _, action := range []string{"phone.add", "phone.password", "phone.remove"} {
		if !strings.Contains(audit, action) {
			t.Errorf("no %s audit event", action)
		}
	}
}

// testPhoneDigest: --digest on add and on password (which needs the password), shown by
// phone list, and its bad input.
func testPhoneDigest(t *testing.T, c *cli) {
	t.Helper()
	c.ok("phone", "add", "--facility", "cnty", "--user", "pod-md5", "--password", phonePassword, "--digest", "md5")
	c.ok("phone", "add", "--facility", "cnty", "--user", "pod-both", "--password", phonePassword, "--digest", "md5,sha256")
	for _, bad := range []string{"", "sha1", "md5,md5", "sha256,", "MD5-sess", "sha256 md5"} {
		c.fail(2, "--digest must be sha256, md5 or sha256,md5", "phone", "add", "--facility", "cnty", "--user", "p3",
			"--password", phonePassword, "--digest", bad)
	}
	digests := func() map[string]string {
		var list []phoneView
		if err := json.Unmarshal([]byte(c.ok("phone", "list", "--json")), &list); err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, p := range list {
			m[p.User] = p.Digest
		}
		return m
	}
	if d := digests(); d[phoneUser] != "sha256" || d["pod-md5"] != "md5" || d["pod-both"] != "sha256,md5" || len(d) != 3 {
		t.Fatalf("digests %v", d)
	}
	if out := c.ok("phone", "list"); !strings.Contains(out, "DIGEST") || !strings.Contains(out, "sha256,md5") {
		t.Errorf("phone list:\n%s", out)
	}
	// Changing the algorithms needs the password; the digest alone is kept otherwise.
	c.fail(2, "-password", "phone", "password", "--user", "pod-md5", "--digest", "sha256")
	c.fail(2, "at least 10 characters", "phone", "password", "--user", "pod-md5", "--password", "short")
	c.fail(2, "--digest must be", "phone", "password", "--user", "pod-md5", "--password", phonePassword, "--digest", "sha512")
	c.fail(1, "not found", "phone", "password", "--user", "pod-none", "--password", phonePassword)
	c.ok("phone", "password", "--user", "pod-md5", "--password", phonePassword+"-2", "--digest", "sha256,md5")
	c.ok("phone", "password", "--user", "pod-both", "--password", phonePassword+"-3")
	if d := digests(); d["pod-md5"] != "sha256,md5" || d["pod-both"] != "sha256,md5" {
		t.Fatalf("after phone password: %v", d)
	}
	assertNotOnDisk(t, c.data, phonePassword+"-2")
	c.ok("phone", "remove", "--user", "pod-md5")
	c.ok("phone", "remove", "--user", "pod-both")
}

// assertNotOnDisk fails if any file under dir contains secret.
func assertNotOnDisk(t *testing.T, dir, secret string) {
	t.Helper()
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), secret) {
			t.Errorf("%s holds the secret", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestServeSIPRegisteredPhone: a phone added by the CLI registers to serve with digest
// authentication and places a call through it; a wrong password and a removed phone are
// refused.
func TestServeSIPRegisteredPhone(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", sipPIN)
	c.ok("facility", "rules", "--facility", "cnty", "--hours", "daily 00:00-24:00", "--max-call", "15m")
	c.ok("contact", "allow", "--facility", "cnty", "--inmate", "A1001", "--number", sipDialed)
	c.ok("phone", "add", "--facility", "cnty", "--user", phoneUser, "--password", phonePassword)
	trunk, err := siptest.NewTrunk(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(trunk.Close)
	srv := startServe(t, c, trunk.URI()) // no gateway: only registered phones may call

	p, err := siptest.NewPhone(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	ctx, cancel := context.WithTimeout(context.Background(), sipGuard)
	defer cancel()
	res, err := p.Register(ctx, srv.sip, phoneUser, "not-the-password", 300)
	if err != nil || res.StatusCode == 200 {
		t.Fatalf("REGISTER with a wrong password: %v %v", res, err)
	}
	res, err = p.Register(ctx, srv.sip, phoneUser, phonePassword, 300)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("REGISTER: %v %v\n%s", res, err, srv.stderr.String())
	}
	p.Username, p.Password = phoneUser, phonePassword
	if code, err := p.Call(ctx, srv.sip, phoneUser, nil); err != nil || code != 200 {
		t.Fatalf("call: %d %v\n%s", code, err, srv.stderr.String())
	}
	sipWaitFor(t, "the PIN prompt", func() bool { return siptest.LoudFrames(p.Media.Received()) >= 3 })
	p.Media.SendDigits("1" + sipPIN + "#" + sipDialed + "#")
	tc := answerTrunk(t, srv, trunk, "1")
	p.Media.SetTone(sipToneIn)
	tc.Media.SetTone(sipToneOut)
	sipWaitFor(t, "both sides to hear each other", func() bool {
		return siptest.ToneFrames(p.Media.Received(), sipToneOut) >= sipHeardMany &&
			siptest.ToneFrames(tc.Media.Received(), sipToneIn) >= sipHeardMany
	})
	if err := p.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	sipWaitClosed(t, "the trunk leg to end", tc.Ended())

	// A removed phone can no longer call (the store is read at each challenge).
	c.ok("phone", "remove", "--user", phoneUser)
	p2, err := siptest.NewPhone(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p2.Close)
	p2.Username, p2.Password = phoneUser, phonePassword
	if code, err := p2.Call(ctx, srv.sip, phoneUser, nil); err == nil && code == 200 {
		t.Fatal("a removed phone placed a call")
	}
	srv.stop(t)
	if strings.Contains(srv.stderr.String(), phonePassword) {
		t.Error("serve logged the password")
	}

	calls := searchNumber(t, c, sipNumber)
	if len(calls) != 1 || calls[0].Status != "completed" || calls[0].DeviceID != phoneUser || calls[0].FacilityID != "cnty" {
		t.Fatalf("calls %+v", calls)
	}
}

// TestPhoneDigestFIPS: under GODEBUG=fips140=only (a child test process), phone add and
// phone password refuse MD5 with a clear reason and add SHA-256 phones; serve --demo
// seeds one SHA-256 phone and no MD5 one.
func TestPhoneDigestFIPS(t *testing.T) {
	if !fips140.Enabled() {
		// Phones set to md5 and sha256,md5, stored before FIPS mode was turned on.
		stored := newCLI(t)
		stored.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
		stored.ok("phone", "add", "--facility", "cnty", "--user", "pod-md5", "--password", phonePassword, "--digest", "md5")
		stored.ok("phone", "add", "--facility", "cnty", "--user", "pod-both", "--password", phonePassword, "--digest", "sha256,md5")
		cmd := exec.Command(os.Args[0], "-test.run=^TestPhoneDigestFIPS$", "-test.v")
		cmd.Env = append(os.Environ(), "GODEBUG=fips140=only", "PARLEY_TEST_FIPS_DATA="+stored.data, "PARLEY_TEST_FIPS_KEYS="+stored.keys)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestPhoneDigestFIPS") {
			t.Fatalf("under GODEBUG=fips140=only: %v\n%s", err, out)
		}
		return
	}
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	for _, d := range []string{"md5", "sha256,md5"} {
		c.fail(2, "MD5 digest is not allowed while parley runs in FIPS mode", "phone", "add", "--facility", "cnty",
			"--user", phoneUser, "--password", phonePassword, "--digest", d)
	}
	c.ok("phone", "add", "--facility", "cnty", "--user", phoneUser, "--password", phonePassword)
	c.fail(2, "MD5 digest is not allowed", "phone", "password", "--user", phoneUser, "--password", phonePassword, "--digest", "md5")
	c.ok("phone", "password", "--user", phoneUser, "--password", phonePassword, "--digest", "sha256")
	if out := c.ok("phone", "list", "--json"); !strings.Contains(out, `"digest": "sha256"`) || strings.Contains(out, "md5") {
		t.Errorf("phone list: %s", out)
	}

	testServeStoredMD5UnderFIPS(t)

	demo := newCLI(t)
	srv := startServeArgs(t, demo, "--demo")
	sipWaitFor(t, "the demo's instructions", func() bool { return strings.Contains(srv.stdout.String(), "Hang up to end the call") })
	srv.stop(t)
	out := srv.stdout.String()
	if !strings.Contains(out, "seeded phone "+demoPhoneUser+" (digest sha256)") || strings.Contains(out, demoPhoneMD5) ||
		!strings.Contains(out, "MD5 is refused in FIPS mode") {
		t.Errorf("the demo in FIPS mode:\n%s", out)
	}
}

// testServeStoredMD5UnderFIPS: serve in FIPS mode over phones stored before it: it warns
// at start with counts, refuses the md5 phone with 403 and a warning naming its device
// id, offers the sha256,md5 phone SHA-256 alone, and that phone registers.
func testServeStoredMD5UnderFIPS(t *testing.T) {
	stored := newCLI(t)
	stored.data, stored.keys = os.Getenv("PARLEY_TEST_FIPS_DATA"), os.Getenv("PARLEY_TEST_FIPS_KEYS")
	if stored.data == "" {
		t.Fatal("no stored phones from the parent test")
	}
	srv := startServe(t, stored, "sip:127.0.0.1:9")
	p, err := siptest.NewPhone(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	ctx, cancel := context.WithTimeout(context.Background(), sipGuard)
	defer cancel()
	if res, err := p.Do(ctx, p.NewRegister(srv.sip, "pod-md5", 300)); err != nil || res.StatusCode != 403 {
		t.Fatalf("the md5 phone in FIPS mode: %v %v, want 403", res, err)
	}
	res, err := p.Do(ctx, p.NewRegister(srv.sip, "pod-both", 300))
	if err != nil || res.StatusCode != 401 || len(res.GetHeaders("WWW-Authenticate")) != 1 ||
		!strings.Contains(res.GetHeader("WWW-Authenticate").Value(), "algorithm=SHA-256") {
		t.Fatalf("the sha256,md5 phone in FIPS mode: %v %v, want SHA-256 alone", res, err)
	}
	if res, err := p.Register(ctx, srv.sip, "pod-both", phonePassword, 300); err != nil || res.StatusCode != 200 {
		t.Fatalf("SHA-256 register in FIPS mode: %v %v", res, err)
	}
	srv.stop(t)
	logs := srv.stderr.String()
	for _, want := range []string{"md5_only=1 md5_also_offered_sha256_only=1", "digest is MD5 only, not allowed in FIPS mode", "user=pod-md5"} {
		if !strings.Contains(logs, want) {
			t.Errorf("serve's log lacks %q:\n%s", want, logs)
		}
	}
}

// TestServePhoneDigestChange: a running serve challenges each phone with its stored
// algorithms, read at each challenge: after 'phone password --digest md5' the phone is
// offered MD5 alone and registers with the new password only; back to sha256 it is
// offered SHA-256 alone and an MD5 answer is refused.
func TestServePhoneDigestChange(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("phone", "add", "--facility", "cnty", "--user", phoneUser, "--password", phonePassword)
	srv := startServe(t, c, "sip:127.0.0.1:9")
	p, err := siptest.NewPhone(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	ctx, cancel := context.WithTimeout(context.Background(), sipGuard)
	defer cancel()
	offered := func() []string {
		res, err := p.Do(ctx, p.NewRegister(srv.sip, phoneUser, 300))
		if err != nil || res.StatusCode != 401 {
			t.Fatalf("REGISTER: %v %v", res, err)
		}
		var algs []string
		for _, h := range res.GetHeaders("WWW-Authenticate") {
			c, err := digest.ParseChallenge(h.Value())
			if err != nil {
				t.Fatal(err)
			}
			algs = append(algs, c.Algorithm)
		}
		return algs
	}
	register := func(password string) int {
		res, err := p.Register(ctx, srv.sip, phoneUser, password, 300)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode
	}
	if got := offered(); len(got) != 1 || got[0] != "SHA-256" {
		t.Fatalf("a default phone is offered %v, want SHA-256 alone", got)
	}
	c.ok("phone", "password", "--user", phoneUser, "--password", phonePassword+"-md5", "--digest", "md5")
	if got := offered(); len(got) != 1 || got[0] != "MD5" {
		t.Fatalf("after --digest md5: offered %v", got)
	}
	if code := register(phonePassword); code == 200 {
		t.Error("the old password still registers")
	}
	if code := register(phonePassword + "-md5"); code != 200 {
		t.Fatalf("MD5 register with the new password: %d\n%s", code, srv.stderr.String())
	}
	c.ok("phone", "password", "--user", phoneUser, "--password", phonePassword+"-md5", "--digest", "sha256")
	if got := offered(); len(got) != 1 || got[0] != "SHA-256" {
		t.Fatalf("after --digest sha256: offered %v", got)
	}
	// An MD5 answer to that challenge (a phone that ignores the algorithm) is refused.
	req := p.NewRegister(srv.sip, phoneUser, 300)
	res, err := p.Do(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	chal, err := digest.ParseChallenge(res.GetHeader("WWW-Authenticate").Value())
	if err != nil {
		t.Fatal(err)
	}
	chal.Algorithm = "MD5"
	cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: req.Recipient.Addr(), Username: phoneUser,
		Password: phonePassword + "-md5", Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	req = p.NewRegister(srv.sip, phoneUser, 300)
	req.AppendHeader(sipgo.NewHeader("Authorization", cred.String()))
	if res, err := p.Do(ctx, req); err != nil || res.StatusCode != 401 {
		t.Fatalf("an MD5 answer from a SHA-256 phone: %v %v, want 401", res, err)
	}
	if code := register(phonePassword + "-md5"); code != 200 {
		t.Fatalf("SHA-256 register: %d", code)
	}
	srv.stop(t)
	if strings.Contains(srv.stderr.String(), phonePassword) {
		t.Error("serve logged a password")
	}
}
