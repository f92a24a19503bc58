package main

import (
	"context"
	"net/netip"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/pin"
	"parley.dev/parley/policy"
	"parley.dev/parley/sip"
	"parley.dev/parley/sip/siptest"
)

// The demo's seed: made-up people and numbers (555-01xx is reserved for fiction).
const (
	demoFacility   = "demo"
	demoInmate     = "D-1001"
	demoPIN        = "246810"
	demoAllowed    = "+12025550142"
	demoPrivileged = "+12025550199"
	demoPhoneUser  = "demo-phone"     // offered SHA-256 then MD5
	demoPhoneMD5   = "demo-phone-md5" // offered MD5 alone, for phones that give up on SHA-256
	demoPhonePass  = "demo-password-1"
	demoToneHz     = 440.0 // what the built-in called party plays once it has accepted
)

// seedDemo stores the demo facility, its rules, an inmate with a PIN, an allowed and a
// privileged number and a phone, each only if it is not there yet: running the demo
// again seeds nothing twice. It returns what it added.
func (e *env) seedDemo(ctx context.Context) ([]string, error) {
	var added []string
	audit := func(action, object string) error {
		return e.audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: action,
			Object: object, Outcome: parley.OutcomeOK, Detail: "serve --demo"})
	}
	missing := func(err error) (bool, error) {
		if parley.IsKind(err, parley.KindNotFound) {
			return true, nil
		}
		return false, err
	}

	_, err := e.store.FindFacility(ctx, demoFacility)
	if add, err := missing(err); err != nil {
		return nil, err
	} else if add {
		f := &parley.Facility{ID: demoFacility, Name: "Demo County Jail", Type: parley.FacilityJail, ADP: 100, Timezone: "UTC"}
		if err := audit("facility.add", "facility:"+demoFacility); err != nil {
			return nil, err
		}
		if err := e.store.CreateFacility(ctx, f); err != nil {
			return nil, err
		}
		added = append(added, "facility "+demoFacility)
	}

	_, err = e.db.CallRules(ctx, demoFacility)
	if add, err := missing(err); err != nil {
		return nil, err
	} else if add {
		hours, err := parseHours("daily 00:00-24:00")
		if err != nil {
			return nil, err
		}
		r := policy.Rules{FacilityID: demoFacility, Timezone: "UTC", Hours: hours, MaxCallLength: 15 * time.Minute}
		if err := audit("facility.rules", "facility:"+demoFacility); err != nil {
			return nil, err
		}
		if err := e.db.SetCallRules(ctx, r); err != nil {
			return nil, err
		}
		added = append(added, "call rules")
	}

	_, err = e.store.FindInmate(ctx, demoFacility, demoInmate)
	if add, err := missing(err); err != nil {
		return nil, err
	} else if add {
		hash, err := pin.Hash(demoPIN)
		if err != nil {
			return nil, err
		}
		if err := audit("inmate.add", "facility:"+demoFacility); err != nil {
			return nil, err
		}
		in := &parley.Inmate{FacilityID: demoFacility, ID: demoInmate, Name: "Demo Inmate", PINHash: hash}
		if err := e.store.CreateInmateWithPIN(ctx, in, demoPIN); err != nil {
			return nil, err
		}
		added = append(added, "inmate "+demoInmate)
	}

	for _, n := range []parley.Number{demoAllowed, demoPrivileged} {
		err := e.store.AddAllowedNumber(ctx, &parley.AllowedNumber{FacilityID: demoFacility, InmateID: demoInmate,
			Number: n, AddedAt: e.now()})
		switch {
		case parley.IsKind(err, parley.KindConflict):
		case err != nil:
			return nil, err
		default:
			if err := audit("contact.allow", e.inmateObject(demoFacility, demoInmate)+" "+e.numberObject(n)); err != nil {
				return nil, err
			}
			added = append(added, "allowed number "+n.Redacted())
		}
	}

	_, err = e.store.FindPrivileged(ctx, demoPrivileged)
	if add, err := missing(err); err != nil {
		return nil, err
	} else if add {
		p := &parley.PrivilegedNumber{Number: demoPrivileged, Kind: parley.PrivilegeAttorney, Source: parley.SourceStaff,
			Name: "Demo Attorney", AddedBy: parley.ActorFromContext(ctx)}
		if _, err := e.registry.Register(ctx, p); err != nil {
			return nil, err
		}
		added = append(added, "privileged number "+parley.Number(demoPrivileged).Redacted())
	}

	for _, ph := range demoPhones() {
		_, err = e.store.FindPhone(ctx, ph.user)
		if add, err := missing(err); err != nil {
			return nil, err
		} else if !add {
			continue
		}
		ha1, ha1sha := phoneHashes(ph.user, sipRealm, demoPhonePass, ph.digest)
		p := &parley.SIPPhone{Username: ph.user, FacilityID: demoFacility, Realm: sipRealm, Digest: ph.digest,
			HA1: ha1, HA1SHA256: ha1sha, AddedAt: e.now()}
		if err := audit("phone.add", "phone:"+ph.user); err != nil {
			return nil, err
		}
		if err := e.store.AddPhone(ctx, p); err != nil {
			return nil, err
		}
		added = append(added, "phone "+ph.user+" (digest "+ph.digest+")")
	}
	return added, nil
}

type demoPhone struct{ user, digest string }

// demoPhones are the demo's phones: one offered SHA-256 and MD5, most softphones' choice,
// and one offered MD5 alone for those that fail on any SHA-256 challenge (sipp 3.6,
// baresip 1.0, many ATAs). In FIPS mode there is no MD5: one SHA-256 phone.
func demoPhones() []demoPhone {
	if !sip.MD5Allowed() {
		return []demoPhone{{demoPhoneUser, parley.DigestSHA256}}
	}
	return []demoPhone{{demoPhoneUser, parley.DigestSHA256 + "," + parley.DigestMD5}, {demoPhoneMD5, parley.DigestMD5}}
}

// demoCalledParty is the demo's trunk when no --trunk is given: a SIP peer on loopback
// that answers every call, presses 1 once the announcement has started (barge-in), then
// plays a tone until either side hangs up. It reuses the test peers of package siptest.
type demoCalledParty struct {
	trunk  *siptest.Trunk
	cancel context.CancelFunc
	done   chan struct{}
}

func startDemoCalledParty() (*demoCalledParty, error) {
	trunk, err := siptest.NewTrunk(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &demoCalledParty{trunk: trunk, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(d.done)
		for {
			select {
			case <-ctx.Done():
				return
			case tc := <-trunk.Calls:
				go d.answer(ctx, tc)
			}
		}
	}()
	return d, nil
}

func (d *demoCalledParty) answer(ctx context.Context, tc *siptest.TrunkCall) {
	defer tc.Media.Close()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for siptest.LoudFrames(tc.Media.Received()) < 25 { // half a second of the announcement
		select {
		case <-ctx.Done():
			return
		case <-tc.Ended():
			return
		case <-tick.C:
		}
	}
	tc.Media.SendDigits("1")
	tc.Media.SetTone(demoToneHz)
	select {
	case <-ctx.Done():
	case <-tc.Ended():
	}
}

// URI is the trunk URI the SIP server dials.
func (d *demoCalledParty) URI() string { return d.trunk.URI() }

func (d *demoCalledParty) Close() {
	d.cancel()
	<-d.done
	d.trunk.Close()
}

// demoBanner is what `serve --demo` prints once it runs.
type demoBanner struct {
	sip          netip.AddrPort
	web          string // base URL of the web side
	added        []string
	accounts     *demoAccounts
	builtInParty bool // no --trunk: the built-in called party answers, codes are printed
}

// printDemo tells how to try every side: the web address, a staff account per role with
// its TOTP secret and QR code, the attorney and family accounts, and the softphone settings.
func (m *Main) printDemo(b demoBanner) {
	md5Note, md5Phone := "", ""
	if sip.MD5Allowed() {
		md5Note = "SHA-256, then MD5"
		md5Phone = "\n  a phone that gives up on a SHA-256 challenge (sipp, baresip, many ATAs): user name\n  " +
			demoPhoneMD5 + ", same password (digest MD5 alone)"
	} else {
		md5Note = "SHA-256 alone: MD5 is refused in FIPS mode"
	}
	if len(b.added) == 0 {
		m.printf("parley demo: already seeded\n")
	}
	for _, a := range b.added {
		m.printf("parley demo: seeded %s\n", a)
	}
	m.printf("\nWeb: %[1]s/ (the landing page links every sign-in)\n\n"+
		"Staff: sign in at %[1]s/signin with the name, the password %[2]s and the 6-digit code of an\n"+
		"authenticator app holding the account's TOTP secret (SHA-256, 6 digits, 30 s; scan its QR code below):\n",
		b.web, demoStaffPassword)
	if b.accounts != nil {
		for _, s := range b.accounts.Staff {
			m.printf("  %-18s %-13s TOTP secret %s\n", s.Name, s.Role, s.TOTPSecret)
		}
		for _, s := range b.accounts.Staff {
			qr, err := terminalQR(s.URL)
			if err != nil {
				m.printf("  (no QR code for %s: %v; the URL is %s)\n", s.Name, err, s.URL)
				continue
			}
			m.printf("\n%s (%s):\n%s", s.Name, s.URL, qr)
		}
		m.printf("\nAttorney: sign in at %[1]s/attorney/signin as %[2]s, password %[3]s: verified,\n"+
			"  office number %[4]s registered as privileged (calls to it are never recorded).\n"+
			"Family: sign in at %[1]s/family/signin as %[5]s, password %[3]s: bound to the\n"+
			"  verified number %[6]s, prepaid balance %[7]s (deposits are simulated).\n",
			b.web, demoAttorneyName, demoPublicPassword, demoPrivileged[2:], demoFamilyName, demoAllowed[2:], b.accounts.Balance)
	}
	if b.builtInParty {
		m.printf("Verification codes: the built-in called party cannot hear the code call, so this terminal\n" +
			"  prints each code the web sends (\"parley demo: the verification code for the number ending 42\n" +
			"  is …\"); codes never go to the log.\n")
	}
	host := b.sip.Addr().String()
	if b.sip.Addr().IsUnspecified() {
		host = "this machine's IP address"
	}
	m.printf(`
Place a call with a softphone (Linphone, MicroSIP, baresip…): add a SIP account
  SIP server / domain:  %[1]s
  port:                 %[2]d
  transport:            UDP or TCP
  user name:            %[3]s   (authentication user too; digest %[12]s)
  password:             %[4]s
  realm:                %[5]s   (digest; no proxy, no STUN, no outbound registrar)%[13]s
  codec PCMU or PCMA; DTMF RFC 2833/4733 or SIP INFO
then dial any extension, e.g. "parley" (sip:parley@%[6]s). parley answers:
  1. press 1 for English (2 for Spanish)
  2. enter the PIN %[7]s then #
  3. enter the number %[8]s then # (an allowed number; the built-in called party
     answers, presses 1 and plays a tone, recorded), or %[9]s then # (an attorney:
     private, never recorded)
Hang up to end the call; 'parley calls search --facility %[10]s' lists it, and so does the
family's page and, for staff, %[11]s/calls.
`, host, b.sip.Port(), demoPhoneUser, demoPhonePass, sipRealm, b.sip, demoPIN, demoAllowed[2:], demoPrivileged[2:], demoFacility, b.web,
		md5Note, md5Phone)
}
