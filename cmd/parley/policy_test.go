package main

import (
	"encoding/json"
	"strings"
	"testing"

	"parley.dev/parley"
	"parley.dev/parley/internal/testingutil"
)

// TestCallPolicy walks call rules, allowed lists, blocks, gateways and policy checks on
// SQLite, with every mistake refused on one line.
func TestCallPolicy(t *testing.T) {
	callPolicyWalk(t, newCLI(t))
}

// TestCallPolicyPostgres runs the same walk with the database on PostgreSQL.
func TestCallPolicyPostgres(t *testing.T) {
	c := newCLI(t)
	c.env["PARLEY_DB"] = testingutil.WithSearchPath(testingutil.PostgresDSN(), testingutil.PostgresSchema(t))
	callPolicyWalk(t, c)
}

// check runs 'policy check --json' and returns the decision.
func check(t *testing.T, c *cli, args ...string) decisionView {
	t.Helper()
	var d decisionView
	out := c.ok(append([]string{"policy", "check", "--facility", "cnty", "--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("policy check output %q: %v", out, err)
	}
	return d
}

func wantDecision(t *testing.T, what string, d decisionView, allow bool, reason, limit string) {
	t.Helper()
	if d.Allow != allow || d.Reason != reason || d.Limit != limit {
		t.Fatalf("%s: decision %+v, want allow=%t reason=%q limit=%q", what, d, allow, reason, limit)
	}
}

func callPolicyWalk(t *testing.T, c *cli) {
	const friend, stranger, blocked = "12015550123", "12015550124", "12015550125"
	const pinA, pinB = "6482913", "6482914"
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250", "--timezone", "America/Chicago")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", "4821")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "B2002", "--name", "Rowan Pike", "--pin", "4822")
	c.ok("inmate", "pin", "--facility", "cnty", "--id", "A1001", "--pin", pinA)
	c.fail(1, parley.PINUnavailable, "inmate", "pin", "--facility", "cnty", "--id", "B2002", "--pin", pinA)
	c.fail(1, "not found", "inmate", "pin", "--facility", "cnty", "--id", "Z9", "--pin", pinB)
	c.fail(1, "4 to 8 digits", "inmate", "pin", "--facility", "cnty", "--id", "B2002", "--pin", "12")
	c.ok("inmate", "pin", "--facility", "cnty", "--id", "B2002", "--pin", pinB)

	// Rules: a new facility has the defaults (TestFacilityDefaultRules); bad hours are refused.
	var defaults rulesView
	if err := json.Unmarshal([]byte(c.ok("facility", "rules", "show", "--facility", "cnty", "--json")), &defaults); err != nil {
		t.Fatal(err)
	}
	if defaults.MaxCallSeconds != 900 || strings.Join(defaults.Hours["mon"], ",") != "07:00-22:00" {
		t.Fatalf("a new facility's rules = %+v", defaults)
	}
	c.fail(2, "nothing to change", "facility", "rules", "--facility", "cnty")
	c.fail(1, "--hours", "facility", "rules", "--facility", "cnty", "--hours", "monday 08:00-22:00", "--max-call", "15m")
	c.fail(1, "--hours", "facility", "rules", "--facility", "cnty", "--hours", "mon-fri 8-22", "--max-call", "15m")
	c.fail(1, "--hours", "facility", "rules", "--facility", "cnty", "--hours", "mon-fri 08:00-25:00", "--max-call", "15m")
	c.fail(1, "overlaps another window", "facility", "rules", "--facility", "cnty",
		"--hours", "mon-fri 08:00-12:00,mon 11:00-13:00", "--max-call", "15m")
	c.fail(1, "max_call_length", "facility", "rules", "--facility", "cnty", "--hours", "daily 08:00-22:00", "--max-call", "48h")
	c.fail(1, "pin_lockout", "facility", "rules", "--facility", "cnty", "--hours", "daily 08:00-22:00", "--max-call", "15m", "--pin-failures", "3", "--pin-lockout", "0s")
	c.fail(2, "--lockdown must be on or off", "facility", "rules", "--facility", "cnty", "--lockdown", "maybe")
	c.fail(2, "invalid value", "facility", "rules", "--facility", "cnty", "--max-call", "fifteen")
	c.fail(1, "not found", "facility", "rules", "--facility", "nope", "--hours", "daily 08:00-22:00", "--max-call", "15m")
	c.ok("facility", "rules", "--facility", "cnty", "--hours", "mon-fri 08:00-22:00,sat-sun 09:00-21:00",
		"--max-call", "15m", "--min-gap", "5m", "--monthly-quota", "600m", "--max-concurrent", "10",
		"--pin-failures", "3", "--pin-lockout", "30m")
	var v rulesView
	if err := json.Unmarshal([]byte(c.ok("facility", "rules", "show", "--facility", "cnty", "--json")), &v); err != nil {
		t.Fatal(err)
	}
	if v.Timezone != "America/Chicago" || v.MaxCallSeconds != 900 || v.PINMaxFailures != 3 || v.MaxConcurrent != 10 ||
		strings.Join(v.Hours["mon"], ",") != "08:00-22:00" || strings.Join(v.Hours["sun"], ",") != "09:00-21:00" || v.Lockdown {
		t.Fatalf("rules show = %+v", v)
	}
	if out := c.ok("facility", "rules", "show", "--facility", "cnty"); !strings.Contains(out, "mon 08:00-22:00") {
		t.Fatalf("rules show text = %q", out)
	}

	// Allowed list.
	c.fail(1, "--number", "contact", "allow", "--facility", "cnty", "--inmate", "A1001", "--number", "555-01")
	c.fail(1, "not found", "contact", "allow", "--facility", "cnty", "--inmate", "Z9", "--number", friend)
	c.fail(2, "--inmate", "contact", "allow", "--facility", "cnty", "--number", friend)
	c.fail(1, "--max", "contact", "allow", "--facility", "cnty", "--inmate", "A1001", "--number", friend, "--max", "-1m")
	c.ok("contact", "allow", "--facility", "cnty", "--inmate", "A1001", "--number", "(201) 555-0123", "--max", "10m")
	c.fail(1, "already exists", "contact", "allow", "--facility", "cnty", "--inmate", "A1001", "--number", "+"+friend)
	c.ok("contact", "allow", "--facility", "cnty", "--inmate", "A1001", "--number", blocked)
	var contacts []contactView
	if err := json.Unmarshal([]byte(c.ok("contact", "list", "--facility", "cnty", "--inmate", "A1001", "--json")), &contacts); err != nil {
		t.Fatal(err)
	}
	caps := map[string]int64{}
	for _, ct := range contacts {
		caps[ct.Number] = ct.MaxSeconds
	}
	if len(contacts) != 2 || caps["+"+friend] != 600 || caps["+"+blocked] != 0 {
		t.Fatalf("contact list = %+v", contacts)
	}

	// Blocks and gateways.
	c.fail(2, "exactly one", "block", "add", "--facility", "cnty")
	c.fail(2, "exactly one", "block", "add", "--facility", "cnty", "--number", blocked, "--prefix", "+1900")
	c.fail(1, "--prefix", "block", "add", "--facility", "cnty", "--prefix", "1900")
	c.fail(1, "--number", "block", "add", "--facility", "cnty", "--number", "12")
	c.ok("block", "add", "--facility", "cnty", "--number", blocked)
	c.ok("block", "add", "--facility", "cnty", "--prefix", "+1900")
	c.fail(1, "already exists", "block", "add", "--facility", "cnty", "--prefix", "+1900")
	var bl blocksView
	if err := json.Unmarshal([]byte(c.ok("block", "list", "--facility", "cnty", "--json")), &bl); err != nil {
		t.Fatal(err)
	}
	if strings.Join(bl.Numbers, ",") != "+"+blocked || strings.Join(bl.Prefixes, ",") != "+1900" {
		t.Fatalf("block list = %+v", bl)
	}
	c.fail(1, "IP address", "facility", "gateway", "--facility", "cnty", "--add", "gw.example.org")
	c.ok("facility", "gateway", "--facility", "cnty", "--add", "192.0.2.10")
	if out := c.ok("facility", "gateway", "--facility", "cnty"); !strings.Contains(out, "192.0.2.10") {
		t.Fatalf("gateway list = %q", out)
	}
	c.fail(1, "already exists", "facility", "gateway", "--facility", "cnty", "--add", "192.0.2.10")

	// Policy checks (Monday 2026-11-23 12:00 UTC is 06:00 in Chicago: before hours).
	at := "2026-11-23T14:00:00-06:00"
	wantDecision(t, "listed number", check(t, c, "--pin", pinA, "--number", friend, "--at", at), true, "", "number")
	wantDecision(t, "default time", check(t, c, "--pin", pinA, "--number", friend), false, "outside_hours", "")
	wantDecision(t, "not listed", check(t, c, "--pin", pinA, "--number", stranger, "--at", at), false, "not_allowed", "")
	wantDecision(t, "blocked", check(t, c, "--pin", pinA, "--number", blocked, "--at", at), false, "blocked_facility", "")
	wantDecision(t, "prefix", check(t, c, "--pin", pinA, "--number", "+19005550100", "--at", at), false, "blocked_prefix", "")
	wantDecision(t, "bad number", check(t, c, "--pin", pinA, "--number", "12", "--at", at), false, "not_allowed", "")
	for range 4 {
		wantDecision(t, "wrong PIN", check(t, c, "--pin", "1234567", "--number", friend, "--at", at, "--device", "pod-1"), false, "pin_invalid", "")
	}
	wantDecision(t, "a dry run locks nothing", check(t, c, "--pin", pinA, "--number", friend, "--at", at, "--device", "pod-1"), true, "", "number")
	c.fail(2, "--at", "policy", "check", "--facility", "cnty", "--pin", pinA, "--number", friend, "--at", "tomorrow")
	c.fail(2, "--number", "policy", "check", "--facility", "cnty", "--pin", pinA)
	c.fail(1, "not found", "policy", "check", "--facility", "nope", "--pin", pinA, "--number", friend)
	if out := c.ok("policy", "check", "--facility", "cnty", "--pin", pinA, "--number", friend, "--at", at); out != "allow 10m0s (number)\n" {
		t.Fatalf("policy check text = %q", out)
	}

	// Changing one rule keeps the others; lockdown refuses everything.
	c.ok("facility", "rules", "--facility", "cnty", "--lockdown", "on")
	wantDecision(t, "lockdown", check(t, c, "--pin", pinA, "--number", friend, "--at", at), false, "lockdown", "")
	c.ok("facility", "rules", "--facility", "cnty", "--lockdown", "off", "--open-dialing")
	wantDecision(t, "open dialing", check(t, c, "--pin", pinB, "--number", stranger, "--at", at), true, "", "facility")
	c.ok("contact", "remove", "--facility", "cnty", "--inmate", "A1001", "--number", friend)
	c.fail(1, "not on the allowed list", "contact", "remove", "--facility", "cnty", "--inmate", "A1001", "--number", friend)
	c.ok("block", "remove", "--facility", "cnty", "--prefix", "+1900")
	c.fail(1, "not blocked", "block", "remove", "--facility", "cnty", "--number", friend)
	wantDecision(t, "prefix unblocked", check(t, c, "--pin", pinA, "--number", "+19005550100", "--at", at), true, "", "facility")

	// Every change is audited, and neither the audit log nor the logs hold a number, a PIN
	// or an inmate id.
	audit := c.ok("audit", "list", "--json")
	for _, action := range []string{"facility.rules", "contact.allow", "contact.remove", "contact.list", "block.add",
		"block.remove", "block.list", "gateway.add", "inmate.pin", "policy.check"} {
		if !strings.Contains(audit, `"`+action+`"`) {
			t.Errorf("no %s event in the audit log", action)
		}
	}
	var needles []string
	for _, n := range []string{friend, stranger, blocked} {
		needles = append(needles, numberForms(n)...)
	}
	needles = append(needles, pinA, pinB, "A1001", "B2002", "Marisol", "Rowan")
	for _, n := range needles {
		if strings.Contains(audit, n) {
			t.Errorf("the audit log contains %q", n)
		}
		if strings.Contains(c.logs.String(), n) {
			t.Errorf("the logs contain %q", n)
		}
	}
}
