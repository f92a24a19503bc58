package main

import (
	"context"
	"time"
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
		issuer, err := e.store.FindUserByName(ctx, *by)
		if err != nil {
			return err
		}
		grantee, err := e.store.FindUserByName(ctx, *user)
		if err != nil {
			return err
		}
		g, err := e.admin(nil).IssueGrant(ctx, issuer, grantee, *facility, *hours, *reason)
		if err != nil {
			return err
		}
		m.printf("grant %s until %s\n", g.ID, g.Expires.Format(time.RFC3339))
		return nil
	})
}
