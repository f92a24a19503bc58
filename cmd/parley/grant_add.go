package main

import (
	"context"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/authz"
)

func init() {
	register("grant add", "grant add --by ADMIN-NAME --user NAME --facility ID --hours N --reason TEXT", runGrantAdd)
}

// runGrantAdd records a time-limited grant: an admin whose own scope holds the facility
// lets another account (typically of another agency) search and play its calls.
func runGrantAdd(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("grant add")
	df := m.addDataFlags(fs)
	by := fs.String("by", "", "sign-in name of the issuing admin")
	user := fs.String("user", "", "sign-in name of the grantee")
	facility := fs.String("facility", "", "facility id")
	hours := fs.Int("hours", 0, "how long the grant lasts, in hours (1 to 2160)")
	reason := fs.String("reason", "", "why (e.g. a case number; no personal data)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("by", *by, "user", *user, "facility", *facility, "reason", *reason); err != nil {
		return err
	}
	if *hours < 1 || *hours > 2160 {
		return usageError("--hours must be between 1 and 2160")
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		const op = "grant add"
		admin, err := e.store.FindUserByName(ctx, *by)
		if err != nil {
			return err
		}
		grantee, err := e.store.FindUserByName(ctx, *user)
		if err != nil {
			return err
		}
		now := e.now()
		actor, err := authz.Load(ctx, e.store, admin, now)
		if err != nil {
			return err
		}
		ev := parley.AuditEvent{Actor: "user:" + admin.ID, Action: "grant.add",
			Object: "user:" + grantee.ID + " facility:" + *facility, Outcome: parley.OutcomeOK, Detail: *reason}
		d := authz.Decide(actor, authz.IssueGrant, authz.Resource{FacilityID: *facility}, now)
		if !d.Allow {
			ev.Outcome, ev.Detail = parley.OutcomeDenied, d.Rule
			if err := e.audit.Audit(ctx, ev); err != nil {
				return err
			}
			return parley.Errorf(op, parley.KindForbidden, "only an admin whose scope holds the facility may grant access to it")
		}
		if err := e.audit.Audit(ctx, ev); err != nil {
			return err
		}
		g := &parley.Grant{UserID: grantee.ID, FacilityID: *facility, IssuedBy: admin.ID, Reason: *reason,
			CreatedAt: now, Expires: now.Add(time.Duration(*hours) * time.Hour)}
		if err := e.store.CreateGrant(ctx, g); err != nil {
			return err
		}
		m.printf("grant %s until %s\n", g.ID, g.Expires.Format(time.RFC3339))
		return nil
	})
}
