package auth_test

import (
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/auth"
)

func publicSetup(t *testing.T) (*fixture, *auth.Public) {
	f := setup(t)
	return f, auth.NewPublic(auth.Config{Auditor: f.ev, Now: func() time.Time { return f.now }}, f.store)
}

func signUpFamily(t *testing.T, f *fixture, p *auth.Public, name string) *parley.PublicAccount {
	t.Helper()
	a := &parley.PublicAccount{Name: name, Role: parley.RoleFamily}
	if err := p.SignUp(t.Context(), a, f.pw); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestPublicSignInAndSessions: a public account signs in with its password, its session
// is unknown to the staff side and vice versa, and the idle timeout ends it.
func TestPublicSignInAndSessions(t *testing.T) {
	f, p := publicSetup(t)
	a := signUpFamily(t, f, p, "kin@example.org")
	tok, _, got, err := p.SignIn(t.Context(), parley.RoleFamily, "kin@example.org", f.pw, "")
	if err != nil || got.ID != a.ID {
		t.Fatalf("sign in: %v", err)
	}
	if _, _, err := f.svc.Authenticate(t.Context(), tok); !parley.IsKind(err, parley.KindUnauthorized) {
		t.Fatalf("a public token authenticated as staff: %v", err)
	}
	staffTok := f.signIn(t)
	if _, _, err := p.Authenticate(t.Context(), staffTok); !parley.IsKind(err, parley.KindUnauthorized) {
		t.Fatalf("a staff token authenticated as public: %v", err)
	}
	if _, _, err := p.Authenticate(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	// The staff name is not a public account, and a family account is not an attorney.
	_, _, _, err = p.SignIn(t.Context(), parley.RoleFamily, name, f.pw, "")
	wantUnauthorized(t, "staff name on the public side", err)
	_, _, _, err = p.SignIn(t.Context(), parley.RoleAttorney, "kin@example.org", f.pw, "")
	wantUnauthorized(t, "family account as attorney", err)
	f.now = f.now.Add(auth.DefaultIdleTimeout)
	_, _, err = p.Authenticate(t.Context(), tok)
	wantUnauthorized(t, "idle", err)
}

// TestPublicSignUpBadInput: weak passwords, bad bar details and taken names write nothing.
func TestPublicSignUpBadInput(t *testing.T) {
	f, p := publicSetup(t)
	signUpFamily(t, f, p, "taken@example.org")
	for what, c := range map[string]struct {
		a  parley.PublicAccount
		pw string
	}{
		"short password":  {parley.PublicAccount{Name: "a1", Role: parley.RoleFamily}, "short"},
		"taken name":      {parley.PublicAccount{Name: "taken@example.org", Role: parley.RoleFamily}, f.pw},
		"staff role":      {parley.PublicAccount{Name: "a2", Role: parley.RoleAdmin}, f.pw},
		"bar injection":   {parley.PublicAccount{Name: "a3", Role: parley.RoleAttorney, FullName: "A", BarNumber: "<script>", BarState: "NY"}, f.pw},
		"no state":        {parley.PublicAccount{Name: "a4", Role: parley.RoleAttorney, FullName: "A", BarNumber: "123"}, f.pw},
		"control in name": {parley.PublicAccount{Name: "a\x005", Role: parley.RoleFamily}, f.pw},
	} {
		a := c.a
		if err := p.SignUp(t.Context(), &a, c.pw); err == nil {
			t.Errorf("%s: signed up", what)
		}
	}
	all, err := f.store.ListPublicAccounts(t.Context(), "")
	if err != nil || len(all) != 1 {
		t.Fatalf("%d accounts after bad sign-ups (%v)", len(all), err)
	}
}

// TestPublicLockoutAndTOTP: five wrong passwords lock the account (the right one is then
// refused too); once TOTP is on, the password alone is refused, a code is spent once, and
// turning it on ended the earlier sessions.
func TestPublicLockoutAndTOTP(t *testing.T) {
	f, p := publicSetup(t)
	a := signUpFamily(t, f, p, "kin@example.org")
	for range 5 {
		_, _, _, err := p.SignIn(t.Context(), parley.RoleFamily, "kin@example.org", "wrong password!!", "")
		wantUnauthorized(t, "wrong password", err)
	}
	_, _, _, err := p.SignIn(t.Context(), parley.RoleFamily, "kin@example.org", f.pw, "")
	wantUnauthorized(t, "locked", err)
	f.now = f.now.Add(16 * time.Minute)
	tok, _, _, err := p.SignIn(t.Context(), parley.RoleFamily, "kin@example.org", f.pw, "")
	if err != nil {
		t.Fatalf("after the lockout: %v", err)
	}

	e, err := p.NewTOTP(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := auth.Code(e.TOTPSecret, f.now)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if err := p.EnableTOTP(t.Context(), a.ID, f.pw, e.TOTPSecret, wrong); err == nil {
		t.Fatal("wrong confirmation code accepted")
	}
	if err := p.EnableTOTP(t.Context(), a.ID, f.pw, e.TOTPSecret, code); err != nil {
		t.Fatal(err)
	}
	_, _, err = p.Authenticate(t.Context(), tok)
	wantUnauthorized(t, "session from before TOTP", err)
	_, _, _, err = p.SignIn(t.Context(), parley.RoleFamily, "kin@example.org", f.pw, "")
	wantUnauthorized(t, "password without the code", err)
	_, _, _, err = p.SignIn(t.Context(), parley.RoleFamily, "kin@example.org", f.pw, code)
	wantUnauthorized(t, "the confirmation code replayed", err)
	f.now = f.now.Add(30 * time.Second)
	code, _ = auth.Code(e.TOTPSecret, f.now)
	if _, _, _, err := p.SignIn(t.Context(), parley.RoleFamily, "kin@example.org", f.pw, code); err != nil {
		t.Fatalf("password and code: %v", err)
	}
	if f.ev.count("public.signin", parley.OutcomeDenied, "bad_password") != 5 || f.ev.count("public.totp", parley.OutcomeOK, "") != 1 {
		t.Errorf("audit events %+v", f.ev.all)
	}
}
