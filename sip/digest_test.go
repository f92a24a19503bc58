package sip_test

import (
	"context"
	"crypto/fips140"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/icholy/digest"

	sipgo "github.com/emiago/sipgo/sip"

	"parley.dev/parley/sip"
	"parley.dev/parley/sip/siptest"
)

// Phones set to each choice of digest algorithms (parley phone add --digest), each holding
// only the hashes its choice needs.
const (
	digestSHA  = "dig-sha"  // sha256
	digestMD5  = "dig-md5"  // md5
	digestBoth = "dig-both" // sha256,md5
)

func withDigestPhones(c *sipConfig, h *harness) {
	var ha1Both, ha1MD5 string
	fips140.WithoutEnforcement(func() { // stored before FIPS mode was turned on
		ha1Both, ha1MD5 = sip.HA1(digestBoth, realm, phonePass), sip.HA1(digestMD5, realm, phonePass)
	})
	h.phones = &siptest.Phones{}
	h.phones.Add(digestSHA, sip.Phone{FacilityID: phoneFacil, DeviceID: digestSHA, Digest: "sha256",
		HA1SHA256: sip.HA1SHA256(digestSHA, realm, phonePass)})
	h.phones.Add(digestMD5, sip.Phone{FacilityID: phoneFacil, DeviceID: digestMD5, Digest: "md5",
		HA1: ha1MD5})
	h.phones.Add(digestBoth, sip.Phone{FacilityID: phoneFacil, DeviceID: digestBoth, Digest: "sha256,md5",
		HA1: ha1Both, HA1SHA256: sip.HA1SHA256(digestBoth, realm, phonePass)})
	c.AuthMaxFailures = 100
}

// algorithmsOf returns the algorithms of a response's challenges in order, checking that
// they share one nonce.
func algorithmsOf(t *testing.T, res *sipgo.Response, header string) []string {
	t.Helper()
	var algs []string
	ch := challenges(res, header)
	for _, c := range ch {
		if c.Nonce != ch[0].Nonce || c.Realm != realm {
			t.Errorf("challenge %+v: another nonce or realm than %+v", c, ch[0])
		}
		algs = append(algs, c.Algorithm)
	}
	return algs
}

// inviteFrom is an INVITE from device with no credentials.
func inviteFrom(p *siptest.Phone, server netip.AddrPort, device string) *sipgo.Request {
	uri := sipgo.Uri{Scheme: "sip", User: "parley", Host: server.Addr().String(), Port: int(server.Port())}
	req := sipgo.NewRequest(sipgo.INVITE, uri)
	req.SetBody(siptest.OfferSDP(p.Media.Addr(), "0 101", 20))
	req.AppendHeader(sipgo.NewHeader("Content-Type", "application/sdp"))
	from := &sipgo.FromHeader{Address: sipgo.Uri{Scheme: "sip", User: device, Host: p.Addr().Addr().String()}}
	from.Params.Add("tag", sipgo.GenerateTagN(12))
	req.AppendHeader(from)
	return req
}

// answerWith registers user answering the challenge chal as if it named alg instead.
func answerWith(t *testing.T, ctx context.Context, p *siptest.Phone, h *harness, chal *digest.Challenge, alg, user string) int {
	t.Helper()
	c := *chal
	c.Algorithm = alg
	var req *sipgo.Request
	fips140.WithoutEnforcement(func() { req = authorized(t, p, h, &c, user, phonePass, 1) }) // a phone is not bound by FIPS mode
	res, err := p.Do(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode
}

// TestDigestPerPhone: REGISTER (401) and INVITE (407) are challenged with exactly the
// phone's algorithms, SHA-256 first; the phone registers with each of them and is refused
// with an algorithm it is not set to.
func TestDigestPerPhone(t *testing.T) {
	h := newHarness(t, withDigestPhones)
	p := newPhoneAt(t, phoneIP)
	ctx := ctxGuard(t)
	srv := h.srv.UDPAddr()
	for _, tt := range []struct {
		user string
		want []string
	}{
		{digestSHA, []string{"SHA-256"}},
		{digestMD5, []string{"MD5"}},
		{digestBoth, []string{"SHA-256", "MD5"}},
		{"dig-unknown", []string{"SHA-256", "MD5"}}, // as any phone might be
	} {
		res, err := p.Do(ctx, p.NewRegister(srv, tt.user, 600))
		if err != nil || res.StatusCode != 401 {
			t.Fatalf("%s REGISTER: %v %v", tt.user, res, err)
		}
		if got := algorithmsOf(t, res, "WWW-Authenticate"); strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s REGISTER challenged with %v, want %v", tt.user, got, tt.want)
		}
		res, err = p.Do(ctx, inviteFrom(p, srv, tt.user))
		if err != nil || res.StatusCode != 407 {
			t.Fatalf("%s INVITE: %v %v", tt.user, res, err)
		}
		if got := algorithmsOf(t, res, "Proxy-Authenticate"); strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s INVITE challenged with %v, want %v", tt.user, got, tt.want)
		}
	}

	fresh := func(user string) *digest.Challenge {
		res, err := p.Do(ctx, p.NewRegister(srv, user, 600))
		if err != nil || res.StatusCode != 401 {
			t.Fatalf("%v %v", res, err)
		}
		return challenges(res, "WWW-Authenticate")[0]
	}
	for _, tt := range []struct {
		user, alg string
		want      int
	}{
		{digestSHA, "SHA-256", 200}, {digestSHA, "MD5", 401},
		{digestMD5, "MD5", 200}, {digestMD5, "SHA-256", 401},
		{digestBoth, "SHA-256", 200}, {digestBoth, "MD5", 200},
	} {
		if got := answerWith(t, ctx, p, h, fresh(tt.user), tt.alg, tt.user); got != tt.want {
			t.Errorf("%s answering %s: %d, want %d", tt.user, tt.alg, got, tt.want)
		}
	}
	// The MD5 phone places a call (407 answered with MD5 by sipgo).
	if code, err := callWith(ctx, p, h, digestMD5, phonePass); err != nil || code != 200 {
		t.Fatalf("INVITE from the MD5 phone: %d %v", code, err)
	}
}

// TestDigestMD5RefusedInFIPSMode: with MD5 not allowed (as under GODEBUG=fips140=only),
// nobody is offered MD5 and an MD5 answer is refused; a phone set to MD5 alone is
// refused with 403 and a log line naming its device id and the reason.
func TestDigestMD5RefusedInFIPSMode(t *testing.T) {
	logs := &syncBuffer{}
	h := newHarness(t, withDigestPhones, func(_ *sipConfig, h *harness) { h.logw = logs })
	sip.SetMD5Allowed(h.srv, false)
	checkFIPSDigest(t, h, logs)
}

// TestDigestUnderFIPSOnly runs the same checks in a child test process under
// GODEBUG=fips140=only, where MD5 is not merely refused but panics if used: the server
// must never reach it.
func TestDigestUnderFIPSOnly(t *testing.T) {
	if fips140.Enabled() {
		logs := &syncBuffer{}
		h := newHarness(t, withDigestPhones, func(_ *sipConfig, h *harness) { h.logw = logs })
		if sip.MD5Allowed() {
			t.Fatal("MD5Allowed in FIPS mode")
		}
		checkFIPSDigest(t, h, logs)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDigestUnderFIPSOnly$", "-test.v")
	cmd.Env = append(os.Environ(), "GODEBUG=fips140=only")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestDigestUnderFIPSOnly") {
		t.Fatalf("under GODEBUG=fips140=only: %v\n%s", err, out)
	}
}

func checkFIPSDigest(t *testing.T, h *harness, logs *syncBuffer) {
	t.Helper()
	p := newPhoneAt(t, phoneIP)
	ctx := ctxGuard(t)
	srv := h.srv.UDPAddr()
	for _, user := range []string{digestBoth, "dig-unknown"} {
		res, err := p.Do(ctx, p.NewRegister(srv, user, 600))
		if err != nil || res.StatusCode != 401 {
			t.Fatalf("%s: %v %v", user, res, err)
		}
		if got := algorithmsOf(t, res, "WWW-Authenticate"); strings.Join(got, ",") != "SHA-256" {
			t.Errorf("%s challenged with %v in FIPS mode, want SHA-256 alone", user, got)
		}
		chal := challenges(res, "WWW-Authenticate")[0]
		if user == digestBoth {
			if got := answerWith(t, ctx, p, h, chal, "MD5", user); got != 401 {
				t.Errorf("an MD5 answer in FIPS mode: %d, want 401", got)
			}
		}
	}
	if res, err := p.Register(ctx, srv, digestBoth, phonePass, 600); err != nil || res.StatusCode != 200 {
		t.Fatalf("SHA-256 register in FIPS mode: %v %v", res, err)
	}
	res, err := p.Do(ctx, p.NewRegister(srv, digestMD5, 600))
	if err != nil || res.StatusCode != 403 || len(challenges(res, "WWW-Authenticate")) != 0 {
		t.Fatalf("an MD5-only phone in FIPS mode: %v %v, want 403 without a challenge", res, err)
	}
	if code, err := callWith(ctx, p, h, digestMD5, phonePass); err != nil || code != 403 {
		t.Fatalf("INVITE from an MD5-only phone in FIPS mode: %d %v, want 403", code, err)
	}
	l := logs.String()
	if !strings.Contains(l, "digest is MD5 only, not allowed in FIPS mode") || !strings.Contains(l, "user="+digestMD5) {
		t.Errorf("no log of the refused MD5-only phone:\n%s", l)
	}
	if strings.Contains(l, phonePass) {
		t.Error("a password reached the logs")
	}
}
