package sip_test

import (
	"bytes"
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/icholy/digest"

	sipgo "github.com/emiago/sipgo/sip"

	"parley.dev/parley"
	"parley.dev/parley/sip"
	"parley.dev/parley/sip/siptest"
)

var phoneIP = netip.MustParseAddr("127.0.0.2") // not a gateway

const (
	shaUser     = "dev-sha" // secret stored as both hashes
	md5User     = "dev-md5" // secret stored as an MD5 HA1 only
	phonePass   = "s3cret-pass"
	phoneFacil  = "fac-2"
	realm       = "parley"
	lockoutFail = 3
)

// withPhones gives the server two registering phones of facility fac-2.
func withPhones(c *sipConfig, h *harness) {
	h.phones = &siptest.Phones{}
	h.phones.Add(shaUser, sip.Phone{FacilityID: phoneFacil, DeviceID: shaUser,
		HA1: sip.HA1(shaUser, realm, phonePass), HA1SHA256: sip.HA1SHA256(shaUser, realm, phonePass)})
	h.phones.Add(md5User, sip.Phone{FacilityID: phoneFacil, DeviceID: md5User, HA1: sip.HA1(md5User, realm, phonePass)})
	c.AuthMaxFailures = lockoutFail
	c.AuthLockout = time.Hour
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newPhoneAt(t *testing.T, ip netip.Addr) *siptest.Phone {
	t.Helper()
	p, err := siptest.NewPhone(ip)
	if err != nil {
		t.Skipf("cannot bind %v: %v", ip, err)
	}
	t.Cleanup(p.Close)
	return p
}

func ctxGuard(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	t.Cleanup(cancel)
	return ctx
}

func challenges(res *sipgo.Response, name string) []*digest.Challenge {
	var out []*digest.Challenge
	for _, h := range res.GetHeaders(name) {
		if c, err := digest.ParseChallenge(h.Value()); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// authorized returns a REGISTER carrying credentials for chal with nonce-count nc.
func authorized(t *testing.T, p *siptest.Phone, h *harness, chal *digest.Challenge, user, pass string, nc int) *sipgo.Request {
	t.Helper()
	req := p.NewRegister(h.srv.UDPAddr(), user, 600)
	cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: req.Recipient.Addr(),
		Username: user, Password: pass, Count: nc})
	if err != nil {
		t.Fatal(err)
	}
	req.AppendHeader(sipgo.NewHeader("Authorization", cred.String()))
	return req
}

func TestRegister(t *testing.T) {
	logs := &syncBuffer{}
	h := newHarness(t, withPhones, func(_ *sipConfig, h *harness) { h.logw = logs })
	p := newPhoneAt(t, phoneIP)
	ctx := ctxGuard(t)
	srv := h.srv.UDPAddr()

	// No credentials: 401, SHA-256 offered before MD5, one fresh nonce.
	res, err := p.Do(ctx, p.NewRegister(srv, shaUser, 600))
	if err != nil || res.StatusCode != 401 {
		t.Fatalf("REGISTER without credentials: %v %v", res, err)
	}
	ch := challenges(res, "WWW-Authenticate")
	if len(ch) != 2 || ch[0].Algorithm != "SHA-256" || ch[1].Algorithm != "MD5" || ch[0].Nonce == "" ||
		ch[0].Nonce != ch[1].Nonce || ch[0].Realm != realm || !ch[0].SupportsQOP("auth") {
		t.Fatalf("challenges %+v", ch)
	}
	res2, _ := p.Do(ctx, p.NewRegister(srv, shaUser, 600))
	if c2 := challenges(res2, "WWW-Authenticate"); len(c2) == 0 || c2[0].Nonce == ch[0].Nonce {
		t.Error("the nonce was not fresh")
	}

	// SHA-256 (sipgo answers the first challenge).
	res, err = p.Register(ctx, srv, shaUser, phonePass, 600)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("register: %v %v", res, err)
	}
	if e := res.GetHeader("Expires"); e == nil || e.Value() != "600" {
		t.Errorf("Expires %v", e)
	}
	b, ok := h.srv.Binding(shaUser)
	if !ok || b.FacilityID != phoneFacil || b.DeviceID != shaUser || b.Source.Addr() != phoneIP ||
		!strings.Contains(b.Contact, p.Addr().String()) {
		t.Fatalf("binding %+v %v", b, ok)
	}

	// Re-register: the binding is refreshed.
	sip.AdvanceClock(h.srv, 500*time.Second)
	if res, err = p.Register(ctx, srv, shaUser, phonePass, 600); err != nil || res.StatusCode != 200 {
		t.Fatalf("re-register: %v %v", res, err)
	}
	if b2, ok := h.srv.Binding(shaUser); !ok || !b2.Expires.After(b.Expires) {
		t.Errorf("binding not refreshed: %+v", b2)
	}

	// MD5 only: the server offers MD5 alone to a phone it can only check with MD5.
	res, _ = p.Do(ctx, p.NewRegister(srv, md5User, 600))
	if ch := challenges(res, "WWW-Authenticate"); len(ch) != 1 || ch[0].Algorithm != "MD5" {
		t.Fatalf("MD5-only challenges %+v", ch)
	}
	if res, err = p.Register(ctx, srv, md5User, phonePass, 3600*24); err != nil || res.StatusCode != 200 {
		t.Fatalf("MD5 register: %v %v", res, err)
	}
	if e := res.GetHeader("Expires"); e == nil || e.Value() != "3600" {
		t.Errorf("Expires above the maximum not lowered: %v", e)
	}

	// Wrong password: challenged again, no binding.
	if res, err = p.Register(ctx, srv, "dev-unknown", phonePass, 600); err != nil || res.StatusCode != 401 {
		t.Fatalf("unknown user: %v %v", res, err)
	}
	if res, err = p.Register(ctx, srv, md5User+"x", "wrong", 600); err != nil || res.StatusCode != 401 {
		t.Fatalf("wrong password: %v %v", res, err)
	}

	// Too brief: 423 with Min-Expires.
	if res, err = p.Register(ctx, srv, shaUser, phonePass, 5); err != nil || res.StatusCode != 423 ||
		res.GetHeader("Min-Expires") == nil {
		t.Fatalf("brief expiry: %v %v", res, err)
	}

	// Expiry is honoured.
	sip.AdvanceClock(h.srv, 601*time.Second)
	if _, ok := h.srv.Binding(shaUser); ok {
		t.Error("the binding outlived its Expires")
	}
	if _, ok := h.srv.Binding(md5User); !ok {
		t.Error("the one-hour binding expired early")
	}
	// Expires: 0 removes the binding.
	if res, err = p.Register(ctx, srv, md5User, phonePass, 0); err != nil || res.StatusCode != 200 {
		t.Fatalf("unregister: %v %v", res, err)
	}
	if _, ok := h.srv.Binding(md5User); ok {
		t.Error("Expires 0 left the binding")
	}
	if strings.Contains(logs.String(), phonePass) || strings.Contains(logs.String(), "wrong") {
		t.Error("a password reached the logs")
	}
	if !strings.Contains(logs.String(), "authentication failed") {
		t.Error("failed authentications are not logged")
	}
}

func TestRegisterForAnotherUser(t *testing.T) {
	h := newHarness(t, withPhones)
	p := newPhoneAt(t, phoneIP)
	ctx := ctxGuard(t)
	// Credentials of shaUser for the address of record of md5User.
	req := p.NewRegister(h.srv.UDPAddr(), md5User, 600)
	res, err := p.Do(ctx, req)
	if err != nil || res.StatusCode != 401 {
		t.Fatalf("%v %v", res, err)
	}
	if res, err = p.DoDigest(ctx, req, res, shaUser, phonePass); err != nil || res.StatusCode != 403 {
		t.Fatalf("REGISTER for another user: %v %v", res, err)
	}
	if _, ok := h.srv.Binding(md5User); ok {
		t.Error("bound")
	}
}

func TestDigestNonces(t *testing.T) {
	h := newHarness(t, withPhones)
	p := newPhoneAt(t, phoneIP)
	ctx := ctxGuard(t)
	srv := h.srv.UDPAddr()
	challenge := func() *digest.Challenge {
		res, err := p.Do(ctx, p.NewRegister(srv, md5User, 600))
		if err != nil || res.StatusCode != 401 {
			t.Fatalf("%v %v", res, err)
		}
		return challenges(res, "WWW-Authenticate")[0]
	}
	chal := challenge()
	do := func(req *sipgo.Request) *sipgo.Response {
		res, err := p.Do(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// nc 1 then 2 on one nonce are fine; nc 2 again is a replay.
	for i, tt := range []struct {
		nc   int
		want int
	}{{1, 200}, {2, 200}, {2, 401}, {1, 401}, {5, 200}} {
		res := do(authorized(t, p, h, chal, md5User, phonePass, tt.nc))
		if res.StatusCode != tt.want {
			t.Errorf("#%d nc %d: %d, want %d", i, tt.nc, res.StatusCode, tt.want)
		}
		if tt.want == 401 {
			if c := challenges(res, "WWW-Authenticate"); len(c) == 0 || !c[0].Stale {
				t.Errorf("#%d: replay not answered with a stale challenge: %+v", i, c)
			}
		}
	}
	// A nonce past its lifetime is stale.
	chal = challenge()
	sip.AdvanceClock(h.srv, 6*time.Minute)
	res := do(authorized(t, p, h, chal, md5User, phonePass, 1))
	if c := challenges(res, "WWW-Authenticate"); res.StatusCode != 401 || len(c) == 0 || !c[0].Stale {
		t.Errorf("expired nonce: %d %+v", res.StatusCode, c)
	}
	// A nonce the server never issued.
	chal.Nonce = "00112233445566778899aabbccddeeff"
	if res := do(authorized(t, p, h, chal, md5User, phonePass, 1)); res.StatusCode != 401 {
		t.Errorf("forged nonce: %d", res.StatusCode)
	}
	// None of this locked the phone out.
	if res, err := p.Register(ctx, srv, md5User, phonePass, 600); err != nil || res.StatusCode != 200 {
		t.Fatalf("register after stale nonces: %v %v", res, err)
	}
}

func TestAuthLockout(t *testing.T) {
	h := newHarness(t, withPhones)
	p := newPhoneAt(t, phoneIP)
	ctx := ctxGuard(t)
	srv := h.srv.UDPAddr()
	for i := range lockoutFail {
		res, err := p.Register(ctx, srv, shaUser, "guess", 600)
		if err != nil {
			t.Fatal(err)
		}
		want := 401
		if i == lockoutFail-1 {
			want = 403
		}
		if res.StatusCode != want {
			t.Fatalf("attempt %d: %d, want %d", i, res.StatusCode, want)
		}
	}
	// Locked out: even the right password is refused, without a challenge.
	if res, err := p.Do(ctx, p.NewRegister(srv, shaUser, 600)); err != nil || res.StatusCode != 403 {
		t.Fatalf("locked out: %v %v", res, err)
	}
	code, err := callWith(ctx, p, h, shaUser, phonePass)
	if err != nil || code != 403 {
		t.Fatalf("INVITE while locked out: %d %v", code, err)
	}
	// Another source is not affected.
	other := newPhoneAt(t, netip.MustParseAddr("127.0.0.3"))
	if res, err := other.Register(ctx, srv, shaUser, phonePass, 600); err != nil || res.StatusCode != 200 {
		t.Fatalf("other source: %v %v", res, err)
	}
	// The lockout ends.
	sip.AdvanceClock(h.srv, time.Hour+time.Second)
	if res, err := p.Register(ctx, srv, shaUser, phonePass, 600); err != nil || res.StatusCode != 200 {
		t.Fatalf("after the lockout: %v %v", res, err)
	}
	if recs, _ := h.calls.All(); len(recs) != 0 {
		t.Errorf("call records: %+v", recs)
	}
}

// callWith places a call from p with credentials and returns the final status.
func callWith(ctx context.Context, p *siptest.Phone, h *harness, user, pass string) (int, error) {
	p.Username, p.Password = user, pass
	return p.Call(ctx, h.srv.UDPAddr(), user, nil)
}

func TestRegisteredPhoneCall(t *testing.T) {
	h := newHarness(t, withPhones)
	p := newPhoneAt(t, phoneIP)
	ctx := ctxGuard(t)
	if res, err := p.Register(ctx, h.srv.UDPAddr(), md5User, phonePass, 600); err != nil || res.StatusCode != 200 {
		t.Fatalf("register: %v %v", res, err)
	}
	// Without credentials: 407. With wrong ones: 407 again.
	if code, err := callWith(ctx, p, h, "", ""); err != nil || code != 407 {
		t.Fatalf("INVITE without credentials: %d %v", code, err)
	}
	if code, err := callWith(ctx, p, h, md5User, "nope"); err != nil || code != 407 {
		t.Fatalf("INVITE with a wrong password: %d %v", code, err)
	}
	if recs, _ := h.calls.All(); len(recs) != 0 {
		t.Fatalf("call records for unauthenticated INVITEs: %+v", recs)
	}
	if code, err := callWith(ctx, p, h, md5User, phonePass); err != nil || code != 200 {
		t.Fatalf("INVITE with credentials: %d %v", code, err)
	}
	tc := bridgedCall(t, h, p)
	if err := p.Hangup(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, "the trunk leg to end", tc.Ended())
	rec, hist := h.final()
	if !sameStatuses(hist, parley.CallAttempted, parley.CallDialing, parley.CallAccepted, parley.CallCompleted) {
		t.Errorf("statuses %v", hist)
	}
	if rec.FacilityID != phoneFacil || rec.DeviceID != md5User || rec.InmateID != inmateID {
		t.Errorf("record %+v", rec)
	}
}
