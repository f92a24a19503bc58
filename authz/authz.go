// Package authz is the one authorization function of parley's staff surface: Decide takes
// who is asking (role, scope, grants), what they want to do and to what, and answers allow
// or deny with the rule that decided. Nothing is allowed unless a rule below allows it;
// privileged calls are invisible to everyone but the system itself. The package also holds
// the per-account limiter of bulk reads.
package authz

import (
	"context"
	"slices"
	"time"

	"parley.dev/parley"
)

// Action is something a staff member asks to do.
type Action string

// Actions.
const (
	SearchCalls   Action = "calls.search"   // search call records
	ReadCall      Action = "call.read"      // read one call record
	PlayRecording Action = "recording.play" // stream a recording
	ReadAudit     Action = "audit.read"     // read the audit log
	VerifyAudit   Action = "audit.verify"   // verify the audit log
	AddPrivileged Action = "privileged.add" // register a privileged number
	// VerifyAttorney is seeing the attorneys waiting for verification and verifying one
	// (their bar number checked): it lets them register numbers as privileged, so it
	// belongs to whoever manages the privileged registry.
	VerifyAttorney Action = "attorney.verify"
	ReadAlerts     Action = "alerts.read"      // see alerts of one's scope
	IssueGrant     Action = "grant.issue"      // grant another account access to a facility
	SystemOnly     Action = "privileged.audio" // reserved: never granted to a person
)

// Administration and officers' actions, each bound to a facility in the account's own
// scope (never a grant: grants open reads, not administration).
const (
	ManageFacility Action = "facility.manage" // call rules, lockdown, rates, retention, gateways, devices, legal holds
	ManageInmates  Action = "inmates.manage"  // inmates, PINs, do-not-record, allowed numbers
	ManageBlocks   Action = "blocks.manage"   // blocked numbers and prefixes, called parties' self-blocks
	ManageStaff    Action = "staff.manage"    // staff accounts of the facility and grants to it
	ViewLiveCalls  Action = "calls.live"      // calls in progress (no number or name shown)
	EndCall        Action = "call.end"        // end a call in progress
)

// Actions lists every action (for tests and documentation).
var Actions = []Action{SearchCalls, ReadCall, PlayRecording, ReadAudit, VerifyAudit, AddPrivileged, VerifyAttorney, ReadAlerts, IssueGrant, SystemOnly,
	ManageFacility, ManageInmates, ManageBlocks, ManageStaff, ViewLiveCalls, EndCall}

// Actor is who is asking.
type Actor struct {
	UserID string
	Role   parley.Role
	// Facilities is the account's own scope: its facility, or every facility of its agency.
	Facilities []string
	// Grants are the account's grants; Decide checks their times and facilities itself.
	Grants []*parley.Grant
	// System is parley itself (retention, the privilege sweep), never a person.
	System bool
}

// Resource is what the action touches.
type Resource struct {
	FacilityID string // the facility it belongs to; "" for facility-less things (the audit log)
	OwnerID    string // the public account it belongs to, for owned actions
	Privileged bool   // a privileged call or its recording
}

// Decision is the answer, with the rule that gave it (for the audit log and tests).
type Decision struct {
	Allow bool
	// Rule is "system", "role", "scope", "owner" or "grant:ID" when allowed; the reason
	// when denied: "privileged", "unknown_action", "role", "no_facility", "scope", "owner".
	Rule string
}

// rule says which roles may perform an action and whether it is bound to a facility in
// the account's scope (Scoped), and whether a grant can stand in for scope (Grantable).
type rule struct {
	roles     []parley.Role
	scoped    bool
	grantable bool
	owned     bool // allowed only on the actor's own resources (Resource.OwnerID)
}

// rules is the whole policy. An action missing here is denied to every person.
var rules = map[Action]rule{
	SearchCalls:   {roles: []parley.Role{parley.RoleInvestigator, parley.RoleProsecutor}, scoped: true, grantable: true},
	ReadCall:      {roles: []parley.Role{parley.RoleInvestigator, parley.RoleProsecutor}, scoped: true, grantable: true},
	PlayRecording: {roles: []parley.Role{parley.RoleInvestigator, parley.RoleProsecutor}, scoped: true, grantable: true},
	ReadAudit:     {roles: []parley.Role{parley.RoleAuditor}},
	VerifyAudit:   {roles: []parley.Role{parley.RoleAuditor}},
	AddPrivileged: {roles: []parley.Role{parley.RoleAdmin}},
	// The same role as AddPrivileged, never more: a verified attorney's numbers become
	// privileged by the attorney's own registration.
	VerifyAttorney: {roles: []parley.Role{parley.RoleAdmin}},
	ReadAlerts:     {roles: []parley.Role{parley.RoleAdmin, parley.RoleAuditor}, scoped: true},
	IssueGrant:     {roles: []parley.Role{parley.RoleAdmin}, scoped: true},

	// Administration and officers.
	ManageFacility: {roles: []parley.Role{parley.RoleAdmin}, scoped: true},
	ManageInmates:  {roles: []parley.Role{parley.RoleAdmin}, scoped: true},
	ManageBlocks:   {roles: []parley.Role{parley.RoleAdmin, parley.RoleOfficer}, scoped: true},
	ManageStaff:    {roles: []parley.Role{parley.RoleAdmin}, scoped: true},
	ViewLiveCalls:  {roles: []parley.Role{parley.RoleOfficer}, scoped: true},
	EndCall:        {roles: []parley.Role{parley.RoleOfficer}, scoped: true},
}

// Decide answers whether actor may perform action on res at time now.
func Decide(a Actor, action Action, res Resource, now time.Time) Decision {
	if a.System {
		return Decision{Allow: true, Rule: "system"}
	}
	if res.Privileged {
		return Decision{Rule: "privileged"}
	}
	r, ok := ruleFor(action)
	if !ok {
		return Decision{Rule: "unknown_action"}
	}
	if !slices.Contains(r.roles, a.Role) {
		return Decision{Rule: "role"}
	}
	if r.owned {
		if a.UserID != "" && res.OwnerID == a.UserID {
			return Decision{Allow: true, Rule: "owner"}
		}
		return Decision{Rule: "owner"}
	}
	if !r.scoped {
		return Decision{Allow: true, Rule: "role"}
	}
	if res.FacilityID == "" {
		return Decision{Rule: "no_facility"}
	}
	if slices.Contains(a.Facilities, res.FacilityID) {
		return Decision{Allow: true, Rule: "scope"}
	}
	if r.grantable {
		for _, g := range a.Grants {
			if g != nil && g.UserID == a.UserID && g.FacilityID == res.FacilityID && g.Active(now) {
				return Decision{Allow: true, Rule: "grant:" + g.ID}
			}
		}
	}
	return Decision{Rule: "scope"}
}

// RoleMay reports whether the actor's role may perform the action somewhere (for showing
// pages and links; each request is still decided by Decide).
func RoleMay(a Actor, action Action) bool {
	r, ok := ruleFor(action)
	return a.System || ok && slices.Contains(r.roles, a.Role)
}

// Reachable returns the facilities where the actor may perform a scoped action at now: its
// own scope, plus granted facilities when the action is grantable. Sorted, no duplicates.
func Reachable(a Actor, action Action, now time.Time) []string {
	r, ok := rules[action]
	if !ok || !slices.Contains(r.roles, a.Role) || !r.scoped {
		return nil
	}
	out := slices.Clone(a.Facilities)
	if r.grantable {
		for _, g := range a.Grants {
			if g != nil && g.UserID == a.UserID && g.Active(now) {
				out = append(out, g.FacilityID)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Load builds the Actor of an account: its scope (its facility, or its agency's
// facilities) and its grants active at now.
func Load(ctx context.Context, s parley.UserService, u *parley.User, now time.Time) (Actor, error) {
	a := Actor{UserID: u.ID, Role: u.Role}
	if u.FacilityID != "" {
		a.Facilities = []string{u.FacilityID}
	} else {
		ag, err := s.FindAgency(ctx, u.AgencyID)
		if err != nil {
			return Actor{}, err
		}
		a.Facilities = ag.Facilities
	}
	gs, err := s.ListUserGrants(ctx, u.ID, now)
	if err != nil {
		return Actor{}, err
	}
	a.Grants = gs
	return a, nil
}
