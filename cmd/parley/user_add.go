package main

import (
	"context"

	"parley.dev/parley"
)

func init() {
	register("user add", "user add --name NAME --role admin|officer|investigator|prosecutor|auditor (--facility ID | --agency ID)", runUserAdd)
}

// runUserAdd creates a staff account and prints its one-time enrolment secret: the account
// cannot sign in until `user enrol` (or the sign-in page) sets a password and a TOTP factor.
func runUserAdd(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("user add")
	df := m.addDataFlags(fs)
	u := &parley.User{}
	var role string
	fs.StringVar(&u.Name, "name", "", "sign-in name")
	fs.StringVar(&role, "role", "", "admin, officer, investigator, prosecutor or auditor")
	fs.StringVar(&u.FacilityID, "facility", "", "the facility the account belongs to")
	fs.StringVar(&u.AgencyID, "agency", "", "the agency the account belongs to")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("name", u.Name, "role", role); err != nil {
		return err
	}
	u.Role = parley.Role(role)
	if err := u.Validate(); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		secret, err := e.auth().AddUser(ctx, u)
		if err != nil {
			return err
		}
		m.printf("user %s added (%s)\nenrolment secret (shown once): %s\n", u.ID, u.Role, secret)
		return nil
	})
}
