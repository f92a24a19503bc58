package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"sync"

	"parley.dev/parley"
	"parley.dev/parley/auth"
)

// The demo's accounts: made-up people, one password for the staff and one for the public
// side, printed by the banner. Never use these outside the demo.
const (
	demoStaffPassword  = "demo-staff-password"
	demoPublicPassword = "demo-public-password"
	demoAttorneyName   = "attorney@demo.example"
	demoFamilyName     = "family@demo.example"
	demoFamilyDeposit  = "20.00"
)

// demoRoles are the staff roles the demo seeds, one account each, named "demo-ROLE".
var demoRoles = []parley.Role{parley.RoleAdmin, parley.RoleOfficer, parley.RoleInvestigator, parley.RoleProsecutor, parley.RoleAuditor}

// demoStaff is a seeded staff account and its second factor, for the banner.
type demoStaff struct {
	Name, Role, TOTPSecret, URL string
}

// demoAccounts is what the banner prints about the accounts.
type demoAccounts struct {
	Staff   []demoStaff
	Balance string // the family's prepaid balance
}

// seedDemoAccounts adds, once, a staff account per role at the demo facility (enrolled:
// password and TOTP), a verified attorney with the demo's privileged number registered,
// and a family account bound to the demo's allowed number, verified, with a deposit. Each
// goes through the audited operation the pages use; a second run adds nothing and reads
// the staff's TOTP secrets back for the banner.
func (e *env) seedDemoAccounts(ctx context.Context, m *Main) (*demoAccounts, []string, error) {
	var out demoAccounts
	var added []string
	signIn := e.auth()
	for _, role := range demoRoles {
		name := "demo-" + string(role)
		u, err := e.store.FindUserByName(ctx, name)
		switch {
		case parley.IsKind(err, parley.KindNotFound):
			u = &parley.User{Name: name, Role: role, FacilityID: demoFacility}
			secret, err := signIn.AddUser(ctx, u)
			if err != nil {
				return nil, nil, err
			}
			if _, err := signIn.Enrol(ctx, name, secret, demoStaffPassword); err != nil {
				return nil, nil, err
			}
			if u, err = e.store.FindUserByName(ctx, name); err != nil {
				return nil, nil, err
			}
			added = append(added, "staff account "+name)
		case err != nil:
			return nil, nil, err
		}
		out.Staff = append(out.Staff, demoStaff{Name: name, Role: string(role), TOTPSecret: u.TOTPSecret, URL: totpURL(name, u.TOTPSecret)})
	}

	codes := &capturedCode{}
	pt := e.portal(codes, false)
	public := auth.NewPublic(auth.Config{Auditor: e.audit, Logger: e.logger, Now: e.clock}, e.store)
	for _, acct := range []struct {
		a              parley.PublicAccount
		number         parley.Number
		label, seeding string
	}{
		{parley.PublicAccount{Role: parley.RoleAttorney, Name: demoAttorneyName, FullName: "Dana Demo", BarNumber: "DEMO-1001", BarState: "DC"},
			demoPrivileged, "office", "attorney account " + demoAttorneyName},
		{parley.PublicAccount{Role: parley.RoleFamily, Name: demoFamilyName}, demoAllowed, "home", "family account " + demoFamilyName},
	} {
		a, err := e.store.FindPublicAccountByName(ctx, acct.a.Name)
		if parley.IsKind(err, parley.KindNotFound) {
			a = &acct.a
			if err = public.SignUp(ctx, a, demoPublicPassword); err != nil {
				return nil, nil, err
			}
			added = append(added, acct.seeding)
		} else if err != nil {
			return nil, nil, err
		}
		if a.Role == parley.RoleAttorney && a.Status != parley.AttorneyVerified {
			if err := pt.VerifyAttorney(ctx, a.ID); err != nil {
				return nil, nil, err
			}
			if a, err = e.store.FindPublicAccount(ctx, a.ID); err != nil {
				return nil, nil, err
			}
		}
		ns, err := pt.Numbers(ctx, a)
		if err != nil {
			return nil, nil, err
		}
		if len(ns) > 0 {
			continue // added by an earlier run
		}
		pn, err := pt.AddNumber(ctx, a, acct.number, acct.label)
		if err != nil {
			return nil, nil, err
		}
		if _, err := pt.ConfirmCode(ctx, a, pn.ID, codes.get()); err != nil {
			return nil, nil, err
		}
	}
	caps, err := m.caps()
	if err != nil {
		return nil, nil, err
	}
	applied, bal, err := e.family(caps).Deposit(ctx, demoAllowed, demoFamilyDeposit, "demo-seed")
	if err != nil {
		return nil, nil, err
	}
	if applied {
		added = append(added, "a deposit of $"+demoFamilyDeposit+" for the family")
	}
	out.Balance = bal
	return &out, added, nil
}

// totpURL is the otpauth:// URL of a demo account's TOTP secret (SHA-256, 6 digits, 30 s,
// as package auth makes them), labelled with the sign-in name.
func totpURL(name, secret string) string {
	q := url.Values{"secret": {secret}, "issuer": {"parley"}, "algorithm": {"SHA256"}, "digits": {"6"}, "period": {"30"}}
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/parley:" + name, RawQuery: q.Encode()}
	return u.String()
}

// capturedCode is the seed's code sender: it keeps the code the portal sends so that the
// seed confirms the number as a person would, through ConfirmCode.
type capturedCode struct {
	mu   sync.Mutex
	code string
}

func (c *capturedCode) SendCode(ctx context.Context, n parley.Number, code string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.code = code
	return nil
}

func (c *capturedCode) get() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.code
}

// demoCodeSender is serve --demo's code sender when the built-in called party answers the
// demo's calls: that party cannot listen to a code, so the code is printed on the terminal
// (serve's stdout, the banner's stream), never written to the log. Only the demo does this.
type demoCodeSender struct {
	mu  sync.Mutex
	out io.Writer
}

// SendCode implements parley.CodeSender.
func (d *demoCodeSender) SendCode(ctx context.Context, n parley.Number, code string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, err := fmt.Fprintf(d.out, "parley demo: the verification code for the number ending %s is %s\n", n.Redacted()[len("…"):], code)
	return err
}
