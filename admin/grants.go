package admin

import (
	"context"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/authz"
)

// MaxGrantHours bounds a grant's life (90 days).
const MaxGrantHours = 2160

// IssueGrant lets grantee search and play the calls of a facility for hours: only an
// admin whose own scope holds the facility may (authz.IssueGrant). Both an allowed and a
// refused attempt are audited ("grant.add"); the event's actor is the admin.
func (s *Service) IssueGrant(ctx context.Context, admin, grantee *parley.User, facilityID string, hours int, reason string) (*parley.Grant, error) {
	const op = "admin.IssueGrant"
	if hours < 1 || hours > MaxGrantHours {
		return nil, parley.Errorf(op, parley.KindInvalid, "hours must be between 1 and %d", MaxGrantHours)
	}
	if reason == "" || len(reason) > 200 || !printable(reason) {
		return nil, parley.Errorf(op, parley.KindInvalid, "a reason (at most 200 characters, no personal data) is required")
	}
	if err := parley.ValidateID(facilityID); err != nil {
		return nil, &parley.Error{Op: op, Kind: parley.KindInvalid, Message: "facility id", Err: err}
	}
	now := s.now()
	actor, err := authz.Load(ctx, s.Store, admin, now)
	if err != nil {
		return nil, err
	}
	ev := parley.AuditEvent{Actor: "user:" + admin.ID, Action: "grant.add",
		Object: "user:" + grantee.ID + " facility:" + facilityID, Outcome: parley.OutcomeOK, Detail: reason}
	d := authz.Decide(actor, authz.IssueGrant, authz.Resource{FacilityID: facilityID}, now)
	if !d.Allow {
		ev.Outcome, ev.Detail = parley.OutcomeDenied, d.Rule
		if err := s.Audit.Audit(ctx, ev); err != nil {
			return nil, err
		}
		return nil, parley.Errorf(op, parley.KindForbidden, "only an admin whose scope holds the facility may grant access to it")
	}
	g := &parley.Grant{UserID: grantee.ID, FacilityID: facilityID, IssuedBy: admin.ID, Reason: reason,
		CreatedAt: now, Expires: now.Add(time.Duration(hours) * time.Hour)}
	if err := s.actAs(ctx, ev, func() error { return s.Store.CreateGrant(ctx, g) }); err != nil {
		return nil, err
	}
	return g, nil
}

// RevokeGrant ends a grant to a facility now: only an admin whose scope holds the
// facility may. Audited ("grant.revoke") whether allowed or refused. KindNotFound if no
// active grant with that id is to that facility.
func (s *Service) RevokeGrant(ctx context.Context, admin *parley.User, facilityID, grantID string) error {
	const op = "admin.RevokeGrant"
	if err := parley.ValidateID(grantID); err != nil {
		return &parley.Error{Op: op, Kind: parley.KindInvalid, Message: "grant id", Err: err}
	}
	now := s.now()
	actor, err := authz.Load(ctx, s.Store, admin, now)
	if err != nil {
		return err
	}
	ev := parley.AuditEvent{Actor: "user:" + admin.ID, Action: "grant.revoke",
		Object: "grant:" + grantID + " facility:" + facilityID, Outcome: parley.OutcomeOK}
	if d := authz.Decide(actor, authz.IssueGrant, authz.Resource{FacilityID: facilityID}, now); !d.Allow {
		ev.Outcome, ev.Detail = parley.OutcomeDenied, d.Rule
		if err := s.Audit.Audit(ctx, ev); err != nil {
			return err
		}
		return parley.Errorf(op, parley.KindForbidden, "only an admin whose scope holds the facility may revoke access to it")
	}
	gs, err := s.Store.ListFacilityGrants(ctx, facilityID, now)
	if err != nil {
		return err
	}
	found := false
	for _, g := range gs {
		found = found || g.ID == grantID
	}
	if !found {
		return parley.Errorf(op, parley.KindNotFound, "no active grant with that id to this facility")
	}
	return s.actAs(ctx, ev, func() error { return s.Store.EndGrant(ctx, grantID, now) })
}
