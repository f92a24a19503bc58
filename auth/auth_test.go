package auth_test

import (
	"context"
	"crypto/rand"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/auth"
	"parley.dev/parley/fieldcrypt"
	"parley.dev/parley/sqlite"
)

// events is an in-memory auditor for these unit tests.
type events struct {
	mu  sync.Mutex
	all []parley.AuditEvent
}

func (e *events) Audit(_ context.Context, ev parley.AuditEvent) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
	return nil
}

func (e *events) count(action, outcome, detail string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.all {
		if ev.Action == action && ev.Outcome == outcome && strings.HasPrefix(ev.Detail, detail) {
			n++
		}
	}
	return n
}

type fixture struct {
	svc    *auth.Service
	store  parley.Store
	ev     *events
	now    time.Time
	secret string // TOTP secret of "Dana Reyes"
	pw     string
}

const name = "Dana Reyes"

func setup(t *testing.T) *fixture {
	t.Helper()
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
	f := &fixture{store: st, ev: &events{}, now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), pw: "correct horse battery"}
	f.svc = auth.New(auth.Config{Store: st, Auditor: f.ev, Now: func() time.Time { return f.now }})
	if err := st.CreateFacility(t.Context(), &parley.Facility{ID: "f1", Name: "F", Type: parley.FacilityJail}); err != nil {
		t.Fatal(err)
	}
	enrol, err := f.svc.AddUser(t.Context(), &parley.User{Name: name, Role: parley.RoleInvestigator, FacilityID: "f1"})
	if err != nil {
		t.Fatal(err)
	}
	e, err := f.svc.Enrol(t.Context(), name, enrol, f.pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.URL, "algorithm=SHA256") {
		t.Fatalf("otpauth URL %q does not ask for SHA-256", e.URL)
	}
	f.secret = e.TOTPSecret
	return f
}

func (f *fixture) code(t *testing.T) string {
	t.Helper()
	c, err := auth.Code(f.secret, f.now)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) signIn(t *testing.T) string {
	t.Helper()
	tok, _, _, err := f.svc.SignIn(t.Context(), name, f.pw, f.code(t))
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	return tok
}

func wantUnauthorized(t *testing.T, what string, err error) {
	t.Helper()
	if !parley.IsKind(err, parley.KindUnauthorized) {
		t.Fatalf("%s: got %v, want unauthorized", what, err)
	}
}

// TestPasswordWithoutSecondFactorRefused: the right password alone, or with a wrong code,
// never yields a session.
func TestPasswordWithoutSecondFactorRefused(t *testing.T) {
	f := setup(t)
	for _, code := range []string{"", "000000", "12345", "abcdef"} {
		tok, sess, _, err := f.svc.SignIn(t.Context(), name, f.pw, code)
		wantUnauthorized(t, "code "+code, err)
		if tok != "" || sess != nil {
			t.Fatal("a refused sign-in returned a session")
		}
	}
	if n, _ := f.store.CountSessions(t.Context(), time.Time{}); n != 0 {
		t.Fatalf("%d sessions stored after refused sign-ins", n)
	}
	if f.ev.count("session.signin", parley.OutcomeDenied, "no_second_factor") != 1 {
		t.Fatal("the password-only attempt was not audited as such")
	}
}

// TestReplayedCodeRefused: a code that signed in once is refused the second time, even
// within its validity window; the next step's code works.
func TestReplayedCodeRefused(t *testing.T) {
	f := setup(t)
	code := f.code(t)
	if _, _, _, err := f.svc.SignIn(t.Context(), name, f.pw, code); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(5 * time.Second)
	_, _, _, err := f.svc.SignIn(t.Context(), name, f.pw, code)
	wantUnauthorized(t, "replay", err)
	if f.ev.count("session.signin", parley.OutcomeDenied, "replayed_code") != 1 {
		t.Fatal("replay not audited")
	}
	f.now = f.now.Add(30 * time.Second)
	f.signIn(t)
}

// TestLockout: five failures lock the account for at least ten minutes, during which even
// the right factors are refused; afterwards it signs in.
func TestLockout(t *testing.T) {
	f := setup(t)
	for i := 0; i < 5; i++ {
		_, _, _, err := f.svc.SignIn(t.Context(), name, "wrong password!!", f.code(t))
		wantUnauthorized(t, "wrong password", err)
	}
	_, _, _, err := f.svc.SignIn(t.Context(), name, f.pw, f.code(t))
	if err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("right factors during lockout: %v, want locked", err)
	}
	f.now = f.now.Add(10 * time.Minute)
	_, _, _, err = f.svc.SignIn(t.Context(), name, f.pw, f.code(t))
	wantUnauthorized(t, "after 10 minutes", err)
	f.now = f.now.Add(6 * time.Minute)
	f.signIn(t)
}

// TestUnknownNameLooksLikeWrongPassword: same error, and the audit log names no one.
func TestUnknownNameLooksLikeWrongPassword(t *testing.T) {
	f := setup(t)
	_, _, _, err1 := f.svc.SignIn(t.Context(), "Nobody Here", f.pw, f.code(t))
	_, _, _, err2 := f.svc.SignIn(t.Context(), name, "wrong password!!", f.code(t))
	if err1 == nil || err2 == nil || err1.Error() != err2.Error() {
		t.Fatalf("errors differ: %v / %v", err1, err2)
	}
	for _, ev := range f.ev.all {
		if strings.Contains(ev.Object+ev.Actor+ev.Detail, "Dana") || strings.Contains(ev.Object+ev.Detail, "Nobody") {
			t.Fatalf("audit event names a person: %+v", ev)
		}
	}
}

// TestIdleTimeout: a session unused for 30 minutes is dead; one used every 29 is alive.
func TestIdleTimeout(t *testing.T) {
	f := setup(t)
	tok := f.signIn(t)
	for i := 0; i < 3; i++ {
		f.now = f.now.Add(29 * time.Minute)
		if _, _, err := f.svc.Authenticate(t.Context(), tok); err != nil {
			t.Fatalf("active session refused: %v", err)
		}
	}
	f.now = f.now.Add(30 * time.Minute)
	_, _, err := f.svc.Authenticate(t.Context(), tok)
	wantUnauthorized(t, "idle", err)
	f.now = f.now.Add(-29 * time.Minute)
	_, _, err = f.svc.Authenticate(t.Context(), tok)
	wantUnauthorized(t, "idle session is gone for good", err)
}

// TestAbsoluteTimeout: even a busy session ends 12 hours after sign-in.
func TestAbsoluteTimeout(t *testing.T) {
	f := setup(t)
	tok := f.signIn(t)
	for i := 0; i < 12*3-1; i++ {
		f.now = f.now.Add(20 * time.Minute)
		if _, _, err := f.svc.Authenticate(t.Context(), tok); err != nil {
			t.Fatalf("after %d×20min: %v", i+1, err)
		}
	}
	f.now = f.now.Add(20 * time.Minute)
	_, _, err := f.svc.Authenticate(t.Context(), tok)
	wantUnauthorized(t, "absolute", err)
}

// TestFactorChangeEndsSessions: changing the password or resetting enrolment ends every
// session of the account.
func TestFactorChangeEndsSessions(t *testing.T) {
	f := setup(t)
	a, b := f.signIn(t), ""
	f.now = f.now.Add(31 * time.Second)
	b = f.signIn(t)
	f.now = f.now.Add(31 * time.Second)
	sess, u, err := f.svc.Authenticate(t.Context(), a)
	if err != nil || sess.UserID != u.ID {
		t.Fatal(err)
	}
	if err := f.svc.ChangePassword(t.Context(), u.ID, f.pw, f.code(t), "a brand new passphrase"); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{a, b} {
		_, _, err := f.svc.Authenticate(t.Context(), tok)
		wantUnauthorized(t, "after password change", err)
	}
	f.pw = "a brand new passphrase"
	f.now = f.now.Add(31 * time.Second)
	c := f.signIn(t)
	if _, err := f.svc.ResetEnrolment(t.Context(), name); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.svc.Authenticate(t.Context(), c)
	wantUnauthorized(t, "after reset", err)
	f.now = f.now.Add(31 * time.Second)
	_, _, _, err = f.svc.SignIn(t.Context(), name, f.pw, f.code(t))
	wantUnauthorized(t, "sign in after reset, before enrolment", err)
}

// TestEnrolment: the secret is single-use, a wrong one is refused, weak passwords too.
func TestEnrolment(t *testing.T) {
	f := setup(t)
	secret, err := f.svc.AddUser(t.Context(), &parley.User{Name: "Sam Auditor", Role: parley.RoleAuditor, FacilityID: "f1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Enrol(t.Context(), "Sam Auditor", secret, "short"); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("short password: %v", err)
	}
	if _, err := f.svc.Enrol(t.Context(), "Sam Auditor", "WRONG", "long enough password"); !parley.IsKind(err, parley.KindUnauthorized) {
		t.Fatalf("wrong secret: %v", err)
	}
	if _, err := f.svc.Enrol(t.Context(), "Sam Auditor", secret, "long enough password"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Enrol(t.Context(), "Sam Auditor", secret, "another long password"); !parley.IsKind(err, parley.KindUnauthorized) {
		t.Fatalf("second use of the secret: %v", err)
	}
	if _, err := f.svc.AddUser(t.Context(), &parley.User{Name: "X", Role: "root", FacilityID: "f1"}); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("bad role: %v", err)
	}
}

// TestPasswordHash: round trip, wrong password, malformed and hostile encodings.
func TestPasswordHash(t *testing.T) {
	h, err := auth.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !auth.VerifyPassword(h, "correct horse battery") || auth.VerifyPassword(h, "correct horse batterx") {
		t.Fatal("verify is wrong")
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=9999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "$bcrypt$x", strings.Replace(h, "argon2id", "argon2i", 1)} {
		if auth.VerifyPassword(bad, "correct horse battery") {
			t.Fatalf("%q verified", bad)
		}
	}
}

// TestConcurrentSameCode: many simultaneous sign-ins with one code yield one session.
func TestConcurrentSameCode(t *testing.T) {
	f := setup(t)
	code := f.code(t)
	const n = 8
	var wg sync.WaitGroup
	wins := make(chan string, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if tok, _, _, err := f.svc.SignIn(context.Background(), name, f.pw, code); err == nil {
				wins <- tok
			}
		}()
	}
	wg.Wait()
	close(wins)
	if len(wins) != 1 {
		t.Fatalf("%d sign-ins with one code succeeded, want 1", len(wins))
	}
}

// TestSecurityKeyRefusals: the parts of the security key flow that need no authenticator:
// an account without a key is refused (and it counts as a failure), a wrong password never
// starts a ceremony, ceremonies are single-use, expire, and belong to one account.
func TestSecurityKeyRefusals(t *testing.T) {
	f := setup(t)
	keys, err := auth.NewKeys(f.svc, "https://parley.example.org", "parley.example.org")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := keys.BeginSignIn(t.Context(), name, f.pw); !parley.IsKind(err, parley.KindUnauthorized) {
		t.Fatalf("sign-in with a key on an account without one: %v", err)
	}
	if f.ev.count("session.signin", parley.OutcomeDenied, "no_security_key") != 1 {
		t.Fatal("not audited")
	}
	if _, _, err := keys.BeginSignIn(t.Context(), name, "wrong password!!"); !parley.IsKind(err, parley.KindUnauthorized) {
		t.Fatalf("wrong password: %v", err)
	}
	u, err := f.store.FindUserByName(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	id, opts, err := keys.BeginRegistration(t.Context(), u.ID)
	if err != nil || id == "" || opts == nil || len(opts.Response.Challenge) < 16 {
		t.Fatalf("begin registration: %v %v", err, opts)
	}
	if err := keys.FinishRegistration(t.Context(), "someone-else", id, strings.NewReader("{}")); !parley.IsKind(err, parley.KindForbidden) {
		t.Fatalf("another account's ceremony: %v", err)
	}
	if err := keys.FinishRegistration(t.Context(), u.ID, id, strings.NewReader("{}")); !parley.IsKind(err, parley.KindUnauthorized) {
		t.Fatalf("a spent ceremony: %v", err)
	}
	id, _, _ = keys.BeginRegistration(t.Context(), u.ID)
	if err := keys.FinishRegistration(t.Context(), u.ID, id, strings.NewReader(`{"id":"x"}`)); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("a malformed answer: %v", err)
	}
	id, _, _ = keys.BeginRegistration(t.Context(), u.ID)
	f.now = f.now.Add(6 * time.Minute)
	if err := keys.FinishRegistration(t.Context(), u.ID, id, strings.NewReader("{}")); !parley.IsKind(err, parley.KindUnauthorized) {
		t.Fatalf("an expired ceremony: %v", err)
	}
	if _, _, _, err := keys.FinishSignIn(t.Context(), "made-up", strings.NewReader("{}")); !parley.IsKind(err, parley.KindUnauthorized) {
		t.Fatalf("an unknown sign-in ceremony: %v", err)
	}
	if n, _ := f.store.CountSessions(t.Context(), time.Time{}); n != 0 {
		t.Fatalf("%d sessions after refusals", n)
	}
}

// TestEnrolmentExpiresAndLabels: an enrolment secret is spendable for 72 hours and refused
// after (audited as denied, nothing changed; a new one from a reset works); a changed expiry
// does not authenticate; the otpauth URL is labelled "parley:NAME" and asks for SHA-256.
func TestEnrolmentExpiresAndLabels(t *testing.T) {
	f := setup(t)
	secret, err := f.svc.AddUser(t.Context(), &parley.User{Name: "Sam Auditor", Role: parley.RoleAuditor, FacilityID: "f1"})
	if err != nil {
		t.Fatal(err)
	}
	i := strings.LastIndexByte(secret, '-')
	if i < 0 || secret[i+1:] != strconv.FormatInt(f.now.Add(auth.EnrolValidity).Unix(), 10) {
		t.Fatalf("secret %q does not carry its expiry", secret)
	}
	forged := secret[:i+1] + strconv.FormatInt(f.now.Add(1000*time.Hour).Unix(), 10)
	f.now = f.now.Add(auth.EnrolValidity)
	if _, err := f.svc.Enrol(t.Context(), "Sam Auditor", secret, "long enough password"); !parley.IsKind(err, parley.KindUnauthorized) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired secret: %v", err)
	}
	if f.ev.count("user.enrol", parley.OutcomeDenied, "enrolment_expired") != 1 {
		t.Fatal("the expired enrolment is not audited")
	}
	if _, err := f.svc.Enrol(t.Context(), "Sam Auditor", forged, "long enough password"); !parley.IsKind(err, parley.KindUnauthorized) || strings.Contains(err.Error(), "expired") {
		t.Fatalf("secret with a changed expiry: %v", err)
	}
	fresh, err := f.svc.ResetEnrolment(t.Context(), "Sam Auditor")
	if err != nil {
		t.Fatal(err)
	}
	e, err := f.svc.Enrol(t.Context(), "Sam Auditor", fresh, "long enough password")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(e.URL)
	if err != nil || u.Scheme != "otpauth" || u.Path != "/parley:Sam Auditor" || u.Query().Get("algorithm") != "SHA256" || u.Query().Get("issuer") != "parley" {
		t.Fatalf("otpauth URL %q: want label parley:Sam Auditor, SHA256, issuer parley", e.URL)
	}
}
