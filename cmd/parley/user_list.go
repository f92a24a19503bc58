package main

import (
	"context"
	"strconv"
	"time"
)

func init() {
	register("user list", "user list [--json]", runUserList)
}

// userView is the --json shape of a staff account (never its secrets).
type userView struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Role        string `json:"role"`
	FacilityID  string `json:"facility_id,omitempty"`
	AgencyID    string `json:"agency_id,omitempty"`
	Enrolled    bool   `json:"enrolled"`
	LockedUntil string `json:"locked_until,omitempty"`
	Keys        int    `json:"security_keys"`
}

// runUserList prints the staff accounts with their scope and sign-in state.
func runUserList(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("user list")
	df := m.addDataFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		users, err := e.store.ListUsers(ctx)
		if err != nil {
			return err
		}
		views := make([]userView, 0, len(users))
		for _, u := range users {
			keys, err := e.store.ListWebAuthnCredentials(ctx, u.ID)
			if err != nil {
				return err
			}
			v := userView{ID: u.ID, Name: u.Name, Role: string(u.Role), FacilityID: u.FacilityID, AgencyID: u.AgencyID,
				Enrolled: u.Enrolled(), Keys: len(keys)}
			if e.now().Before(u.LockedUntil) {
				v.LockedUntil = u.LockedUntil.UTC().Format(time.RFC3339)
			}
			views = append(views, v)
		}
		if *asJSON {
			return m.writeJSON(views)
		}
		var rows [][]string
		for _, v := range views {
			scope := "facility:" + v.FacilityID
			if v.AgencyID != "" {
				scope = "agency:" + v.AgencyID
			}
			rows = append(rows, []string{v.ID, v.Name, v.Role, scope, strconv.FormatBool(v.Enrolled), v.LockedUntil, strconv.Itoa(v.Keys)})
		}
		return m.table([]string{"ID", "NAME", "ROLE", "SCOPE", "ENROLLED", "LOCKED UNTIL", "KEYS"}, rows)
	})
}
