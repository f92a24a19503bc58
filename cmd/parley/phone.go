package main

import (
	"time"

	"context"

	"parley.dev/parley"
	"parley.dev/parley/sip"
)

func init() {
	register("phone add", "phone add --facility ID --user NAME --password SECRET [--realm parley]", runPhoneAdd)
	register("phone list", "phone list [--facility ID] [--json]", runPhoneList)
	register("phone remove", "phone remove --user NAME", runPhoneRemove)
}

// minPhonePassword is the shortest password a registering phone may have: the digest
// hashes stand in for it, and a short one falls to a dictionary run over a stolen hash.
const minPhonePassword = 10

// runPhoneAdd stores a phone that registers with digest authentication. The password is
// never stored: only its digest hashes for the realm, sealed.
func runPhoneAdd(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("phone add")
	df := m.addDataFlags(fs)
	facility := fs.String("facility", "", "facility id")
	user := fs.String("user", "", "SIP user name (unique; the phone's device id)")
	password := fs.String("password", "", "SIP password (at least 10 characters; never stored)")
	realm := fs.String("realm", sipRealm, "digest realm (the SIP server's)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("facility", *facility, "user", *user, "password", *password); err != nil {
		return err
	}
	if len(*password) < minPhonePassword {
		return usageError("--password must be at least %d characters", minPhonePassword)
	}
	if err := parley.ValidateID(*user); err != nil {
		return usageError("--user must be a simple name (letters, digits, '-', '_', '.')")
	}
	p := &parley.SIPPhone{Username: *user, FacilityID: *facility, Realm: *realm,
		HA1: sip.HA1(*user, *realm, *password), HA1SHA256: sip.HA1SHA256(*user, *realm, *password)}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		if _, err := e.store.FindFacility(ctx, *facility); err != nil {
			return err
		}
		p.AddedAt = e.now()
		if err := e.audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: "phone.add",
			Object: "phone:" + p.Username, Outcome: parley.OutcomeOK, Detail: "facility:" + p.FacilityID}); err != nil {
			return err
		}
		if err := e.store.AddPhone(ctx, p); err != nil {
			return err
		}
		m.printf("phone %s added to facility %s\n", p.Username, p.FacilityID)
		return nil
	})
}

// phoneView is one line of 'phone list --json'; the digest hashes are never shown.
type phoneView struct {
	User     string `json:"user"`
	Facility string `json:"facility"`
	Realm    string `json:"realm"`
	AddedAt  string `json:"added_at"`
}

func runPhoneList(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("phone list")
	df := m.addDataFlags(fs)
	facility := fs.String("facility", "", "facility id (default: every facility)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		phones, err := e.store.ListPhones(ctx, *facility)
		if err != nil {
			return err
		}
		views := make([]phoneView, 0, len(phones))
		rows := make([][]string, 0, len(phones))
		for _, p := range phones {
			v := phoneView{User: p.Username, Facility: p.FacilityID, Realm: p.Realm, AddedAt: p.AddedAt.UTC().Format(time.RFC3339)}
			views = append(views, v)
			rows = append(rows, []string{v.User, v.Facility, v.Realm, v.AddedAt})
		}
		if *asJSON {
			return m.writeJSON(views)
		}
		return m.table([]string{"USER", "FACILITY", "REALM", "ADDED"}, rows)
	})
}

func runPhoneRemove(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("phone remove")
	df := m.addDataFlags(fs)
	user := fs.String("user", "", "SIP user name")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("user", *user); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		if err := e.audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: "phone.remove",
			Object: "phone:" + *user, Outcome: parley.OutcomeOK}); err != nil {
			return err
		}
		if err := e.store.RemovePhone(ctx, *user); err != nil {
			return err
		}
		m.printf("phone %s removed\n", *user)
		return nil
	})
}
