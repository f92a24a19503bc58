package main

import (
	"time"

	"context"

	"parley.dev/parley"
	"parley.dev/parley/admin"
	"parley.dev/parley/sip"
)

func init() {
	register("phone add", "phone add --facility ID --user NAME --password SECRET [--digest sha256|md5|sha256,md5] [--realm parley]", runPhoneAdd)
	register("phone password", "phone password --user NAME --password SECRET [--digest sha256|md5|sha256,md5]", runPhonePassword)
	register("phone list", "phone list [--facility ID] [--json]", runPhoneList)
	register("phone remove", "phone remove --user NAME", runPhoneRemove)
}

// runPhoneAdd stores a phone that registers with digest authentication. The password is
// never stored: only its digest hashes for the realm, sealed.
func runPhoneAdd(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("phone add")
	df := m.addDataFlags(fs)
	facility := fs.String("facility", "", "facility id")
	user := fs.String("user", "", "SIP user name (unique; the phone's device id)")
	password := fs.String("password", "", "SIP password (at least 10 characters; never stored)")
	realm := fs.String("realm", sipRealm, "digest realm (the SIP server's)")
	digest := fs.String("digest", parley.DigestDefault, "digest algorithms the phone is challenged with: sha256, md5 (phones that give up on a SHA-256 challenge) or sha256,md5")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("facility", *facility, "user", *user, "password", *password); err != nil {
		return err
	}
	if len(*password) < admin.MinPhonePassword {
		return usageError("--password must be at least %d characters", admin.MinPhonePassword)
	}
	if err := parley.ValidateID(*user); err != nil {
		return usageError("--user must be a simple name (letters, digits, '-', '_', '.')")
	}
	d, err := digestFlag(*digest)
	if err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		p, err := e.admin(nil).AddPhone(ctx, *facility, *user, *password, *realm, d)
		if err != nil {
			return err
		}
		m.printf("phone %s added to facility %s (digest %s)\n", p.Username, p.FacilityID, p.Digest)
		return nil
	})
}

// digestFlag checks --digest: a known list, and no MD5 in FIPS mode.
func digestFlag(v string) (string, error) {
	d, err := parley.ParseDigest(v)
	if err != nil {
		return "", usageError("--digest must be sha256, md5 or sha256,md5")
	}
	if parley.DigestHas(d, parley.DigestMD5) && !sip.MD5Allowed() {
		return "", usageError("--digest %s: MD5 digest is not allowed while parley runs in FIPS mode (GODEBUG=fips140); use --digest sha256", d)
	}
	return d, nil
}

// runPhonePassword gives a phone a new password, or other digest algorithms: the hashes
// of each algorithm are made from the password, so changing --digest needs it too.
func runPhonePassword(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("phone password")
	df := m.addDataFlags(fs)
	user := fs.String("user", "", "SIP user name")
	password := fs.String("password", "", "the phone's password, new or the same (at least 10 characters; never stored)")
	digest := fs.String("digest", "", "digest algorithms: sha256, md5 or sha256,md5 (default: the phone's own)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("user", *user, "password", *password); err != nil {
		return err
	}
	if len(*password) < admin.MinPhonePassword {
		return usageError("--password must be at least %d characters", admin.MinPhonePassword)
	}
	d := ""
	if *digest != "" {
		var err error
		if d, err = digestFlag(*digest); err != nil {
			return err
		}
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		p, err := e.admin(nil).SetPhonePassword(ctx, "", *user, *password, d)
		if err != nil {
			return err
		}
		m.printf("phone %s: password set (digest %s)\n", p.Username, p.Digest)
		return nil
	})
}

// phoneHashes are a phone's digest hashes for its algorithms, as the SIP server checks
// them: none is made for an algorithm the phone is not set to (no MD5 in FIPS mode).
func phoneHashes(user, realm, password, digest string) (ha1, ha1SHA256 string) {
	if parley.DigestHas(digest, parley.DigestMD5) {
		ha1 = sip.HA1(user, realm, password)
	}
	if parley.DigestHas(digest, parley.DigestSHA256) {
		ha1SHA256 = sip.HA1SHA256(user, realm, password)
	}
	return ha1, ha1SHA256
}

// phoneView is one line of 'phone list --json'; the digest hashes are never shown.
type phoneView struct {
	User     string `json:"user"`
	Facility string `json:"facility"`
	Realm    string `json:"realm"`
	Digest   string `json:"digest"` // sha256, md5 or sha256,md5
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
			v := phoneView{User: p.Username, Facility: p.FacilityID, Realm: p.Realm, Digest: p.Digest, AddedAt: p.AddedAt.UTC().Format(time.RFC3339)}
			views = append(views, v)
			rows = append(rows, []string{v.User, v.Facility, v.Realm, v.Digest, v.AddedAt})
		}
		if *asJSON {
			return m.writeJSON(views)
		}
		return m.table([]string{"USER", "FACILITY", "REALM", "DIGEST", "ADDED"}, rows)
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
		if err := e.admin(nil).RemovePhone(ctx, "", *user); err != nil {
			return err
		}
		m.printf("phone %s removed\n", *user)
		return nil
	})
}
