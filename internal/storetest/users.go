package storetest

import (
	"bytes"
	"crypto/sha256"
	"testing"
	"time"

	"parley.dev/parley"
)

// testUsers: accounts round-trip (name and secrets sealed), names are unique, scope is
// checked, sign-in state updates, and bad accounts write nothing.
func testUsers(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	ok(t, "agency", s.CreateAgency(ctx(t), &parley.Agency{ID: "county", Name: "County", CreatedAt: base}))
	ok(t, "agency facility", s.AddAgencyFacility(ctx(t), "county", "f1"))
	wantKind(t, "facility in two agencies", s.AddAgencyFacility(ctx(t), "county", "f1"), parley.KindConflict)
	wantKind(t, "missing agency", s.AddAgencyFacility(ctx(t), "nope", "f1"), parley.KindNotFound)
	a, err := s.FindAgency(ctx(t), "county")
	ok(t, "find agency", err)
	equal(t, "agency facilities", a.Facilities, []string{"f1"})
	ag, err := s.FacilityAgency(ctx(t), "f1")
	ok(t, "facility agency", err)
	equal(t, "facility agency", ag, "county")

	u := &parley.User{Name: "Dana Investigator", Role: parley.RoleInvestigator, FacilityID: "f1",
		EnrolHash: "abc", CreatedAt: base}
	ok(t, "create", s.CreateUser(ctx(t), u))
	if u.ID == "" {
		t.Fatal("CreateUser set no id")
	}
	got, err := s.FindUserByName(ctx(t), "Dana Investigator")
	ok(t, "by name", err)
	want := *u
	want.CreatedAt = us(base)
	equal(t, "user", *got, want)
	wantKind(t, "duplicate name", s.CreateUser(ctx(t), &parley.User{Name: "Dana Investigator", Role: parley.RoleAdmin, AgencyID: "county"}), parley.KindConflict)
	wantKind(t, "both scopes", s.CreateUser(ctx(t), &parley.User{Name: "X", Role: parley.RoleAdmin, AgencyID: "county", FacilityID: "f1"}), parley.KindInvalid)
	wantKind(t, "bad role", s.CreateUser(ctx(t), &parley.User{Name: "X", Role: "janitor", FacilityID: "f1"}), parley.KindInvalid)
	wantKind(t, "unknown facility", s.CreateUser(ctx(t), &parley.User{Name: "X", Role: parley.RoleAdmin, FacilityID: "zz"}), parley.KindNotFound)
	wantKind(t, "unknown agency", s.CreateUser(ctx(t), &parley.User{Name: "X", Role: parley.RoleAdmin, AgencyID: "zz"}), parley.KindNotFound)
	if _, err := s.FindUserByName(ctx(t), "X"); parley.ErrorKind(err) != parley.KindNotFound {
		t.Fatalf("a refused account was stored: %v", err)
	}

	got.PasswordHash, got.TOTPSecret, got.EnrolHash = "$argon2id$x", "SECRET", ""
	got.FactorVersion, got.FailedSignIns, got.LastTOTPStep = 2, 3, 99
	got.LockedUntil = us(base.Add(10 * time.Minute))
	ok(t, "update auth", s.UpdateUserAuth(ctx(t), got))
	again, err := s.FindUser(ctx(t), u.ID)
	ok(t, "find", err)
	equal(t, "updated", *again, *got)
	wantKind(t, "update missing", s.UpdateUserAuth(ctx(t), &parley.User{ID: "nope", Name: "N"}), parley.KindNotFound)
	// TOTP steps only move forward, atomically.
	for _, c := range []struct {
		step int64
		want bool
	}{{99, false}, {98, false}, {100, true}, {100, false}, {102, true}} {
		moved, err := s.AdvanceTOTPStep(ctx(t), u.ID, c.step)
		ok(t, "advance", err)
		if moved != c.want {
			t.Fatalf("AdvanceTOTPStep(%d) = %v, want %v", c.step, moved, c.want)
		}
	}
	_, err = s.AdvanceTOTPStep(ctx(t), "nope", 1)
	wantKind(t, "advance missing", err, parley.KindNotFound)
	stale := *again
	stale.LastTOTPStep = 5
	ok(t, "stale update", s.UpdateUserAuth(ctx(t), &stale))
	again, _ = s.FindUser(ctx(t), u.ID)
	equal(t, "step after a stale update", again.LastTOTPStep, int64(102))
	all, err := s.ListUsers(ctx(t))
	ok(t, "list", err)
	equal(t, "list", len(all), 1)
}

// testSessions: sessions found by token hash only, touched, ended one by one or per user.
func testSessions(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	u := &parley.User{Name: "Sam", Role: parley.RoleAuditor, FacilityID: "f1"}
	ok(t, "user", s.CreateUser(ctx(t), u))
	h1, h2 := sha256.Sum256([]byte("t1")), sha256.Sum256([]byte("t2"))
	s1 := &parley.Session{TokenHash: h1[:], UserID: u.ID, CSRFToken: "c1", FactorVersion: 1, CreatedAt: base, LastSeen: base}
	ok(t, "create", s.CreateSession(ctx(t), s1))
	ok(t, "create 2", s.CreateSession(ctx(t), &parley.Session{TokenHash: h2[:], UserID: u.ID, CSRFToken: "c2", CreatedAt: base, LastSeen: base}))
	wantKind(t, "duplicate", s.CreateSession(ctx(t), s1), parley.KindConflict)
	wantKind(t, "short hash", s.CreateSession(ctx(t), &parley.Session{TokenHash: []byte("x"), UserID: u.ID, CSRFToken: "c"}), parley.KindInvalid)
	got, err := s.FindSession(ctx(t), h1[:])
	ok(t, "find", err)
	if !bytes.Equal(got.TokenHash, h1[:]) || got.CSRFToken != "c1" || got.FactorVersion != 1 || !got.LastSeen.Equal(us(base)) {
		t.Fatalf("session = %+v", got)
	}
	ok(t, "touch", s.TouchSession(ctx(t), h1[:], base.Add(time.Minute)))
	got, _ = s.FindSession(ctx(t), h1[:])
	equal(t, "last seen", got.LastSeen, us(base.Add(time.Minute)))
	n, err := s.CountSessions(ctx(t), base.Add(30*time.Second))
	ok(t, "count", err)
	equal(t, "active sessions", n, 1)
	ok(t, "delete", s.DeleteSession(ctx(t), h1[:]))
	wantKind(t, "deleted", func() error { _, err := s.FindSession(ctx(t), h1[:]); return err }(), parley.KindNotFound)
	wantKind(t, "touch deleted", s.TouchSession(ctx(t), h1[:], base), parley.KindNotFound)
	n, err = s.DeleteUserSessions(ctx(t), u.ID)
	ok(t, "delete user sessions", err)
	equal(t, "ended", n, 1)
}

// testGrantsAndAlerts: grants are listed only while active; alerts per scope, newest first.
func testGrantsAndAlerts(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	mustFacility(t, s, "f2")
	admin := &parley.User{Name: "Ada", Role: parley.RoleAdmin, FacilityID: "f2"}
	inv := &parley.User{Name: "Ivan", Role: parley.RoleInvestigator, FacilityID: "f1"}
	ok(t, "admin", s.CreateUser(ctx(t), admin))
	ok(t, "inv", s.CreateUser(ctx(t), inv))
	g := &parley.Grant{UserID: inv.ID, FacilityID: "f2", IssuedBy: admin.ID, Reason: "case 7", CreatedAt: base, Expires: base.Add(time.Hour)}
	ok(t, "grant", s.CreateGrant(ctx(t), g))
	wantKind(t, "expired at birth", s.CreateGrant(ctx(t), &parley.Grant{UserID: inv.ID, FacilityID: "f2", IssuedBy: admin.ID, CreatedAt: base, Expires: base}), parley.KindInvalid)
	wantKind(t, "unknown facility", s.CreateGrant(ctx(t), &parley.Grant{UserID: inv.ID, FacilityID: "zz", IssuedBy: admin.ID, CreatedAt: base, Expires: base.Add(time.Hour)}), parley.KindNotFound)
	wantKind(t, "unknown user", s.CreateGrant(ctx(t), &parley.Grant{UserID: "nobody", FacilityID: "f2", IssuedBy: admin.ID, CreatedAt: base, Expires: base.Add(time.Hour)}), parley.KindNotFound)
	for _, c := range []struct {
		at   time.Time
		want int
	}{{base.Add(-time.Second), 0}, {base, 1}, {base.Add(59 * time.Minute), 1}, {base.Add(time.Hour), 0}} {
		gs, err := s.ListUserGrants(ctx(t), inv.ID, c.at)
		ok(t, "list grants", err)
		if len(gs) != c.want {
			t.Fatalf("grants at %v: %d, want %d", c.at, len(gs), c.want)
		}
	}
	fg, err := s.ListFacilityGrants(ctx(t), "f2", base.Add(time.Minute))
	ok(t, "facility grants", err)
	if len(fg) != 1 || fg[0].ID != g.ID || fg[0].UserID != inv.ID {
		t.Fatalf("facility f2 grants = %+v", fg)
	}
	fg, err = s.ListFacilityGrants(ctx(t), "f1", base.Add(time.Minute))
	ok(t, "facility grants", err)
	equal(t, "grants to f1", len(fg), 0)
	wantKind(t, "end a missing grant", s.EndGrant(ctx(t), "nope", base), parley.KindNotFound)
	ok(t, "end grant", s.EndGrant(ctx(t), g.ID, base.Add(10*time.Minute)))
	ok(t, "end grant later does not extend", s.EndGrant(ctx(t), g.ID, base.Add(50*time.Minute)))
	for at, want := range map[time.Duration]int{9 * time.Minute: 1, 10 * time.Minute: 0, 30 * time.Minute: 0} {
		gs, err := s.ListUserGrants(ctx(t), inv.ID, base.Add(at))
		ok(t, "list grants after end", err)
		if len(gs) != want {
			t.Fatalf("grants %v after the start, once ended at 10m: %d, want %d", at, len(gs), want)
		}
	}
	g2 := &parley.Grant{UserID: inv.ID, FacilityID: "f1", IssuedBy: admin.ID, Reason: "case 8", CreatedAt: base, Expires: base.Add(time.Hour)}
	ok(t, "grant 2", s.CreateGrant(ctx(t), g2))
	ok(t, "end grant at its start", s.EndGrant(ctx(t), g2.ID, base))
	fg, err = s.ListFacilityGrants(ctx(t), "f1", base)
	ok(t, "facility grants", err)
	equal(t, "grants to f1 ended at their start", len(fg), 0)
	ok(t, "alert 1", s.CreateAlert(ctx(t), &parley.Alert{Scope: "facility:f1", Kind: "bulk_read_cap", UserID: inv.ID, CreatedAt: base}))
	ok(t, "alert 2", s.CreateAlert(ctx(t), &parley.Alert{Scope: "agency:a", Kind: "bulk_read_cap", UserID: inv.ID, CreatedAt: base.Add(time.Minute)}))
	ok(t, "alert 3", s.CreateAlert(ctx(t), &parley.Alert{Scope: "facility:f2", Kind: "bulk_read_cap", UserID: inv.ID, CreatedAt: base}))
	wantKind(t, "alert without scope", s.CreateAlert(ctx(t), &parley.Alert{Kind: "k"}), parley.KindInvalid)
	as, err := s.ListAlerts(ctx(t), []string{"facility:f1", "agency:a"}, 10)
	ok(t, "alerts", err)
	if len(as) != 2 || as[0].Scope != "agency:a" || as[1].Scope != "facility:f1" {
		t.Fatalf("alerts = %+v", as)
	}
}

// seedBreachStaff adds a staff account named like a breach name, with secrets that must
// not show either (the TOTP secret is distinctive).
func seedBreachStaff(t *testing.T, s parley.Store, facilityID string) {
	u := &parley.User{Name: breachNames[2], Role: parley.RoleInvestigator, FacilityID: facilityID,
		PasswordHash: "$argon2id$v=19$m=47104,t=1,p=1$c2FsdA$aGFzaA", TOTPSecret: breachTOTP}
	ok(t, "staff", s.CreateUser(ctx(t), u))
	got, err := s.FindUserByName(ctx(t), breachNames[2])
	ok(t, "staff read back", err)
	equal(t, "staff TOTP secret", got.TOTPSecret, breachTOTP)
}

// breachTOTP is a staff TOTP secret: it must never be in a dump in clear.
const breachTOTP = "JBSWY3DPEHPK3PXPZEBRAQUALITYKEYX"

// testWebAuthnCredentials: security keys round-trip per account, ids are unique, data updates.
func testWebAuthnCredentials(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	u := &parley.User{Name: "Kim", Role: parley.RoleAuditor, FacilityID: "f1"}
	ok(t, "user", s.CreateUser(ctx(t), u))
	c1 := &parley.WebAuthnCredential{ID: []byte{1, 2, 3}, UserID: u.ID, Data: []byte(`{"n":1}`), CreatedAt: base}
	ok(t, "add", s.AddWebAuthnCredential(ctx(t), c1))
	ok(t, "add 2", s.AddWebAuthnCredential(ctx(t), &parley.WebAuthnCredential{ID: []byte{4}, UserID: u.ID, Data: []byte(`{}`), CreatedAt: base.Add(time.Second)}))
	wantKind(t, "duplicate id", s.AddWebAuthnCredential(ctx(t), c1), parley.KindConflict)
	wantKind(t, "unknown user", s.AddWebAuthnCredential(ctx(t), &parley.WebAuthnCredential{ID: []byte{9}, UserID: "nope", Data: []byte(`{}`)}), parley.KindNotFound)
	wantKind(t, "empty id", s.AddWebAuthnCredential(ctx(t), &parley.WebAuthnCredential{UserID: u.ID, Data: []byte(`{}`)}), parley.KindInvalid)
	c1.Data = []byte(`{"n":2}`)
	ok(t, "update", s.UpdateWebAuthnCredential(ctx(t), c1))
	wantKind(t, "update missing", s.UpdateWebAuthnCredential(ctx(t), &parley.WebAuthnCredential{ID: []byte{7}, UserID: u.ID, Data: []byte(`{}`)}), parley.KindNotFound)
	list, err := s.ListWebAuthnCredentials(ctx(t), u.ID)
	ok(t, "list", err)
	if len(list) != 2 || !bytes.Equal(list[0].ID, []byte{1, 2, 3}) || string(list[0].Data) != `{"n":2}` || !list[0].CreatedAt.Equal(us(base)) {
		t.Fatalf("credentials = %+v", list)
	}
	none, err := s.ListWebAuthnCredentials(ctx(t), "other")
	ok(t, "list other", err)
	equal(t, "other's keys", len(none), 0)
}
