package authz_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/authz"
)

// spec is the policy written out independently of the implementation: for each action,
// the roles allowed, and whether it needs the facility in scope ("scope"), in scope or
// under a grant ("grant"), or nothing more ("any").
var spec = map[authz.Action]struct {
	roles string
	reach string
}{
	authz.SearchCalls:    {"investigator prosecutor", "grant"},
	authz.ReadCall:       {"investigator prosecutor", "grant"},
	authz.PlayRecording:  {"investigator prosecutor", "grant"},
	authz.ReadAudit:      {"auditor", "any"},
	authz.VerifyAudit:    {"auditor", "any"},
	authz.AddPrivileged:  {"admin", "any"},
	authz.VerifyAttorney: {"admin", "any"},
	authz.ReadAlerts:     {"admin auditor", "scope"},
	authz.IssueGrant:     {"admin", "scope"},

	authz.ManageFacility: {"admin", "scope"},
	authz.ManageInmates:  {"admin", "scope"},
	authz.ManageBlocks:   {"admin officer", "scope"},
	authz.ManageStaff:    {"admin", "scope"},
	authz.ViewLiveCalls:  {"officer", "scope"},
	authz.EndCall:        {"officer", "scope"},
	// Public accounts: their own things only.
	authz.ManageOwnNumbers: {"attorney", "owner"},
	authz.UseFamilyAccount: {"family", "owner"},
}

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// TestNothingAllowedWithoutARule: random (role, scope, grants, action, resource) requests
// are allowed only when the written-out policy has a rule that allows them, and every
// allowed decision names a rule that really holds.
func TestNothingAllowedWithoutARule(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	facilities := []string{"f1", "f2", "f3", ""}
	roles := append(append(slices.Clone(parley.Roles), parley.PublicRoles...), "", "root", "Admin")
	actions := append(append(slices.Clone(authz.Actions), authz.PublicActions...), "", "calls.delete", "CALLS.SEARCH")
	owners := []string{"u1", "u2", ""}
	allowed := 0
	for i := 0; i < 200000; i++ {
		a := authz.Actor{UserID: []string{"u1", "u2"}[rng.IntN(2)], Role: roles[rng.IntN(len(roles))]}
		for _, f := range facilities[:3] {
			if rng.IntN(3) == 0 {
				a.Facilities = append(a.Facilities, f)
			}
		}
		for range rng.IntN(3) {
			start := now.Add(time.Duration(rng.IntN(5)-3) * time.Hour)
			a.Grants = append(a.Grants, &parley.Grant{ID: "g", UserID: []string{"u1", "u2"}[rng.IntN(2)],
				FacilityID: facilities[rng.IntN(3)], CreatedAt: start, Expires: start.Add(time.Duration(rng.IntN(4)) * time.Hour)})
		}
		act := actions[rng.IntN(len(actions))]
		res := authz.Resource{FacilityID: facilities[rng.IntN(len(facilities))], Privileged: rng.IntN(5) == 0,
			OwnerID: owners[rng.IntN(len(owners))]}
		d := authz.Decide(a, act, res, now)
		want := specAllows(a, act, res)
		if d.Allow != want {
			t.Fatalf("Decide(%+v, %q, %+v) = %+v, spec says %v", a, act, res, d, want)
		}
		if d.Allow {
			allowed++
			if res.Privileged {
				t.Fatalf("a person was allowed %q on a privileged call", act)
			}
			switch {
			case d.Rule == "role", d.Rule == "scope", d.Rule == "owner", strings.HasPrefix(d.Rule, "grant:"):
			default:
				t.Fatalf("allowed by unknown rule %q", d.Rule)
			}
		}
	}
	if allowed < 1000 {
		t.Fatalf("only %d random requests were allowed: the test explores too little", allowed)
	}
}

func specAllows(a authz.Actor, act authz.Action, res authz.Resource) bool {
	s, ok := spec[act]
	if !ok || res.Privileged || a.Role == "" || !slices.Contains(strings.Fields(s.roles), string(a.Role)) {
		return false
	}
	if s.reach == "any" {
		return true
	}
	if s.reach == "owner" {
		return a.UserID != "" && res.OwnerID == a.UserID
	}
	if res.FacilityID == "" {
		return false
	}
	if slices.Contains(a.Facilities, res.FacilityID) {
		return true
	}
	if s.reach != "grant" {
		return false
	}
	for _, g := range a.Grants {
		if g.UserID == a.UserID && g.FacilityID == res.FacilityID && !now.Before(g.CreatedAt) && now.Before(g.Expires) {
			return true
		}
	}
	return false
}

// TestSystemSeesPrivileged: only the system passes on a privileged call.
func TestSystemSeesPrivileged(t *testing.T) {
	res := authz.Resource{FacilityID: "f1", Privileged: true}
	if d := authz.Decide(authz.Actor{System: true}, authz.PlayRecording, res, now); !d.Allow || d.Rule != "system" {
		t.Fatalf("system: %+v", d)
	}
	for _, r := range parley.Roles {
		if d := authz.Decide(authz.Actor{Role: r, Facilities: []string{"f1"}}, authz.PlayRecording, res, now); d.Allow || d.Rule != "privileged" {
			t.Fatalf("%s: %+v", r, d)
		}
	}
}

// TestGrantWindow: a grant works from its start to just before its end, for its facility
// and grantee only, and never for a non-grantable action.
func TestGrantWindow(t *testing.T) {
	g := &parley.Grant{ID: "g1", UserID: "u1", FacilityID: "f2", CreatedAt: now, Expires: now.Add(time.Hour)}
	a := authz.Actor{UserID: "u1", Role: parley.RoleInvestigator, Facilities: []string{"f1"}, Grants: []*parley.Grant{g}}
	cases := []struct {
		at    time.Time
		act   authz.Action
		fac   string
		allow bool
	}{
		{now.Add(-time.Second), authz.SearchCalls, "f2", false},
		{now, authz.SearchCalls, "f2", true},
		{now.Add(time.Hour - time.Microsecond), authz.PlayRecording, "f2", true},
		{now.Add(time.Hour), authz.PlayRecording, "f2", false},
		{now, authz.SearchCalls, "f3", false},
		{now, authz.ReadAlerts, "f2", false},
	}
	for _, c := range cases {
		if d := authz.Decide(a, c.act, authz.Resource{FacilityID: c.fac}, c.at); d.Allow != c.allow {
			t.Errorf("%s on %s at %v: %+v, want allow=%v", c.act, c.fac, c.at, d, c.allow)
		}
	}
	other := a
	other.UserID = "u2"
	if d := authz.Decide(other, authz.SearchCalls, authz.Resource{FacilityID: "f2"}, now); d.Allow {
		t.Error("another account used u1's grant")
	}
	if got := authz.Reachable(a, authz.SearchCalls, now); !slices.Equal(got, []string{"f1", "f2"}) {
		t.Errorf("reachable = %v", got)
	}
}

// TestLimiter: the per-minute rate and the daily cap, with the cap reported once a day.
func TestLimiter(t *testing.T) {
	l := authz.NewLimiter(authz.Limits{PerMinute: 3, DailyRecords: 10})
	for i := 0; i < 3; i++ {
		if !l.Allow("u", now) {
			t.Fatalf("request %d refused", i)
		}
	}
	if l.Allow("u", now) {
		t.Fatal("fourth request in a minute allowed")
	}
	if !l.Allow("v", now) {
		t.Fatal("another account was limited")
	}
	next := now.Add(time.Minute)
	if !l.Allow("u", next) {
		t.Fatal("the next minute is refused")
	}
	if l.Add("u", 9, next) {
		t.Fatal("cap reported early")
	}
	if !l.Add("u", 1, next) {
		t.Fatal("cap not reported when reached")
	}
	if l.Add("u", 1, next) {
		t.Fatal("cap reported twice")
	}
	if l.Allow("u", next.Add(time.Minute)) {
		t.Fatal("allowed past the daily cap")
	}
	if !l.Allow("u", next.Add(24*time.Hour)) {
		t.Fatal("the cap did not reset the next day")
	}
}

// TestVerifyAttorneyFollowsThePrivilegedRegistry: verifying attorneys is the admin's, the
// role that manages privileged numbers, wherever the admin's scope; no other staff role,
// no public account (an attorney verifying itself) and no grant reaches it.
func TestVerifyAttorneyFollowsThePrivilegedRegistry(t *testing.T) {
	for _, r := range append(slices.Clone(parley.Roles), parley.PublicRoles...) {
		a := authz.Actor{UserID: "u1", Role: r, Facilities: []string{"f1"},
			Grants: []*parley.Grant{{ID: "g", UserID: "u1", FacilityID: "f2", CreatedAt: now.Add(-time.Hour), Expires: now.Add(time.Hour)}}}
		got := authz.Decide(a, authz.VerifyAttorney, authz.Resource{OwnerID: "u1"}, now)
		if got.Allow != (r == parley.RoleAdmin) {
			t.Errorf("%s: %+v", r, got)
		}
		if authz.RoleMay(a, authz.VerifyAttorney) != authz.RoleMay(a, authz.AddPrivileged) {
			t.Errorf("%s: verifying attorneys and registering privileged numbers differ", r)
		}
	}
}
