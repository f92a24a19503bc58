package portal_test

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/fieldcrypt"
	"parley.dev/parley/portal"
	"parley.dev/parley/sqlite"
)

// sender captures codes instead of calling (a fake, for these unit tests).
type sender struct {
	mu    sync.Mutex
	codes map[parley.Number][]string
	fail  bool
}

func (s *sender) SendCode(_ context.Context, n parley.Number, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return parley.Errorf("test.send", parley.KindUnavailable, "trunk down")
	}
	s.codes[n] = append(s.codes[n], code)
	return nil
}

func (s *sender) last(n parley.Number) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.codes[n]
	if len(c) == 0 {
		return ""
	}
	return c[len(c)-1]
}

// registry records registrations (a fake; the real one is exercised by cmd/parley tests).
type registry struct {
	mu      sync.Mutex
	entries []*parley.PrivilegedNumber
}

func (r *registry) Register(_ context.Context, p *parley.PrivilegedNumber) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p.ID = "priv-1"
	r.entries = append(r.entries, p)
	return 2, nil
}

func (r *registry) Unregister(context.Context, string, parley.PrivilegeClaim) (bool, error) {
	return true, nil
}

type nopAuditor struct{}

func (nopAuditor) Audit(context.Context, parley.AuditEvent) error { return nil }

type world struct {
	store parley.Store
	snd   *sender
	reg   *registry
	svc   *portal.Service
	now   time.Time
}

func newWorld(t *testing.T, withSender bool) *world {
	k1, k2 := make([]byte, 32), make([]byte, 32)
	rand.Read(k1)
	rand.Read(k2)
	fc, err := fieldcrypt.New(k1, k2)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "p.db"), fc, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := &world{store: st, snd: &sender{codes: map[parley.Number][]string{}}, reg: &registry{},
		now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	c := portal.Config{Store: st, Auditor: nopAuditor{}, Registry: w.reg, Now: func() time.Time { return w.now }}
	if withSender {
		c.Sender = w.snd
	}
	w.svc = portal.New(c)
	return w
}

func (w *world) account(t *testing.T, role parley.Role, name string, verified bool) *parley.PublicAccount {
	a := &parley.PublicAccount{Name: name, Role: role, PasswordHash: "h"}
	if role == parley.RoleAttorney {
		a.FullName, a.BarNumber, a.BarState, a.Status = "Ada Counsel", "123456", "NY", parley.AttorneyPending
	}
	if err := w.store.CreatePublicAccount(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	if verified {
		if err := w.svc.VerifyAttorney(parley.NewContextWithActor(t.Context(), "cli:admin"), a.ID); err != nil {
			t.Fatal(err)
		}
		a, _ = w.store.FindPublicAccount(t.Context(), a.ID)
	}
	return a
}

func wantKind(t *testing.T, what string, err error, k parley.Kind) {
	t.Helper()
	if !parley.IsKind(err, k) {
		t.Fatalf("%s: got %v, want %v", what, err, k)
	}
}

const office = parley.Number("+12125550100")

// TestNoSenderNoVerification: without a code sender, claiming a number says verification
// is unavailable and stores nothing.
func TestNoSenderNoVerification(t *testing.T) {
	w := newWorld(t, false)
	a := w.account(t, parley.RoleFamily, "kin", false)
	_, err := w.svc.AddNumber(t.Context(), a, office, parley.LabelHome)
	wantKind(t, "no sender", err, parley.KindUnavailable)
	if ns, _ := w.store.ListPublicNumbers(t.Context(), a.ID); len(ns) != 0 {
		t.Fatalf("stored %d numbers", len(ns))
	}
	if w.svc.CanVerify() {
		t.Fatal("CanVerify without a sender")
	}
}

// TestAttorneyRegistersNumber: a pending attorney cannot claim numbers; once verified, the
// code sent to the number verifies it and registers it as privileged (attorney, self
// registration); the code does not pass twice.
func TestAttorneyRegistersNumber(t *testing.T) {
	w := newWorld(t, true)
	pending := w.account(t, parley.RoleAttorney, "pending", false)
	_, err := w.svc.AddNumber(t.Context(), pending, office, parley.LabelOffice)
	wantKind(t, "pending attorney", err, parley.KindForbidden)

	a := w.account(t, parley.RoleAttorney, "ada", true)
	ctx := parley.NewContextWithActor(t.Context(), "public:"+a.ID)
	pn, err := w.svc.AddNumber(ctx, a, office, parley.LabelOffice)
	if err != nil {
		t.Fatal(err)
	}
	code := w.snd.last(office)
	if len(code) != 6 {
		t.Fatalf("code %q", code)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	_, err = w.svc.ConfirmCode(ctx, a, pn.ID, wrong)
	wantKind(t, "wrong code", err, parley.KindInvalid)
	for _, bad := range []string{"", "12345", "1234567", "12a456", "' OR 1=1", "１２３４５６"} {
		_, err = w.svc.ConfirmCode(ctx, a, pn.ID, bad)
		wantKind(t, "malformed code "+bad, err, parley.KindInvalid)
	}
	got, err := w.svc.ConfirmCode(ctx, a, pn.ID, code)
	if err != nil {
		t.Fatal(err)
	}
	if got.Destroyed != 2 || got.Number.State != parley.NumberRegistered || got.Number.PrivilegedID != "priv-1" {
		t.Fatalf("confirmed %+v %+v", got, got.Number)
	}
	e := w.reg.entries[0]
	if e.Number != office || e.Kind != parley.PrivilegeAttorney || e.Source != parley.SourceSelfRegistration || e.BarNumber != "123456" {
		t.Fatalf("registered %+v", e)
	}
	_, err = w.svc.ConfirmCode(ctx, a, pn.ID, code)
	wantKind(t, "replayed code", err, parley.KindConflict)
	st, err := w.svc.Numbers(ctx, a)
	if err != nil || len(st) != 1 || st[0].StoredRecordings != 0 {
		t.Fatalf("numbers %+v %v", st, err)
	}
}

// TestCodeLimits: five tries, then even the right code is refused; a code expires after
// ten minutes; sends are rate-limited per number; another account's number is not found.
func TestCodeLimits(t *testing.T) {
	w := newWorld(t, true)
	a := w.account(t, parley.RoleFamily, "kin", false)
	other := w.account(t, parley.RoleFamily, "other", false)
	pn, err := w.svc.AddNumber(t.Context(), a, office, parley.LabelHome)
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.svc.AddNumber(t.Context(), a, "+12125550101", parley.LabelHome)
	wantKind(t, "second family number", err, parley.KindConflict)
	_, err = w.svc.ConfirmCode(t.Context(), other, pn.ID, w.snd.last(office))
	wantKind(t, "other account's number", err, parley.KindNotFound)
	code := w.snd.last(office)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for range 5 {
		_, err = w.svc.ConfirmCode(t.Context(), a, pn.ID, wrong)
		wantKind(t, "wrong", err, parley.KindInvalid)
	}
	_, err = w.svc.ConfirmCode(t.Context(), a, pn.ID, code)
	wantKind(t, "right code after five tries", err, parley.KindInvalid)

	if err := w.svc.ResendCode(t.Context(), a, pn.ID); err != nil {
		t.Fatal(err)
	}
	w.now = w.now.Add(10 * time.Minute)
	_, err = w.svc.ConfirmCode(t.Context(), a, pn.ID, w.snd.last(office))
	wantKind(t, "expired", err, parley.KindInvalid)
	if err := w.svc.ResendCode(t.Context(), a, pn.ID); err != nil {
		t.Fatal(err)
	}
	err = w.svc.ResendCode(t.Context(), a, pn.ID)
	wantKind(t, "fourth code within the hour", err, parley.KindUnavailable)
	_, err = w.svc.AddNumber(t.Context(), other, office, parley.LabelHome)
	wantKind(t, "another account asking the same number", err, parley.KindUnavailable)
	if ns, _ := w.store.ListPublicNumbers(t.Context(), other.ID); len(ns) != 0 {
		t.Fatal("a refused claim was stored")
	}
	if _, err := w.svc.ConfirmCode(t.Context(), a, pn.ID, w.snd.last(office)); err != nil {
		t.Fatalf("latest code: %v", err)
	}
	w.snd.fail = true
	_, err = w.svc.AddNumber(t.Context(), other, "+12125550109", parley.LabelHome)
	wantKind(t, "sender down", err, parley.KindUnavailable)
}

// slowSender holds each delivery until released (a fake for the async test).
type slowSender struct {
	release chan struct{}
	got     chan string
}

func (s *slowSender) SendCode(ctx context.Context, _ parley.Number, code string) error {
	select {
	case <-s.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.got <- code
	return nil
}

// TestAsyncDelivery: with Async, claiming a number returns before the code is delivered,
// and the code delivered later verifies it.
func TestAsyncDelivery(t *testing.T) {
	w := newWorld(t, false)
	snd := &slowSender{release: make(chan struct{}), got: make(chan string, 1)}
	w.svc = portal.New(portal.Config{Store: w.store, Auditor: nopAuditor{}, Registry: w.reg, Sender: snd, Async: true,
		Now: func() time.Time { return w.now }})
	a := w.account(t, parley.RoleFamily, "kin", false)
	pn, err := w.svc.AddNumber(t.Context(), a, office, parley.LabelHome)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-snd.got:
		t.Fatal("delivered before release")
	default:
	}
	close(snd.release)
	var code string
	select {
	case code = <-snd.got:
	case <-time.After(20 * time.Second): // a guard only
		t.Fatal("never delivered")
	}
	if _, err := w.svc.ConfirmCode(t.Context(), a, pn.ID, code); err != nil {
		t.Fatal(err)
	}
}
