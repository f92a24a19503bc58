package main

import (
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
	"parley.dev/parley"
)

// TestFacilityAddRequiresADP: --adp is required and must be a positive integer; a refused
// add stores nothing.
func TestFacilityAddRequiresADP(t *testing.T) {
	c := newCLI(t)
	base := []string{"facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail"}
	c.fail(2, "--adp is required", base...)
	c.fail(2, "--adp must be a positive integer", append(base, "--adp", "0")...)
	c.fail(2, "--adp must be a positive integer", append(base, "--adp", "-40")...)
	c.fail(2, "-adp", append(base, "--adp", "250.5")...)
	c.fail(1, "adp", append(base, "--adp", "2000000")...)
	var list []struct{ ID string }
	if err := json.Unmarshal([]byte(c.ok("facility", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 0 {
		t.Fatalf("refused adds stored facilities: %+v", list)
	}
	c.ok(append(base, "--adp", "250")...)
	var got []struct {
		ID  string
		ADP int
	}
	if err := json.Unmarshal([]byte(c.ok("facility", "list", "--json")), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != "cnty" || got[0].ADP != 250 {
		t.Fatalf("facility list = %+v, want cnty with ADP 250", got)
	}
}

// sqlExec runs statements on the CLI's SQLite database (the way someone with access to
// the database, or a full disk, would break it).
func (c *cli) sqlExec(stmts ...string) {
	c.t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(c.data, "parley.db"))
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			c.t.Fatalf("%s: %v", s, err)
		}
	}
}

// sqlCount returns SELECT COUNT(*) FROM table.
func (c *cli) sqlCount(table string) int {
	c.t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(c.data, "parley.db"))
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		c.t.Fatal(err)
	}
	return n
}

// auditDown makes the audit log unwritable (every append aborts) until auditUp. The
// database must exist: run a command first.
func (c *cli) auditDown() {
	c.sqlExec(`CREATE TRIGGER audit_down BEFORE INSERT ON audit_records BEGIN SELECT RAISE(ABORT, 'audit log down'); END`)
}

func (c *cli) auditUp() { c.sqlExec(`DROP TRIGGER audit_down`) }

// auditEvents reads every event back from the audit log.
func (c *cli) auditEvents() []parley.AuditEvent {
	c.t.Helper()
	var evs []parley.AuditEvent
	if err := json.Unmarshal([]byte(c.ok("audit", "list", "--limit", "10000", "--json")), &evs); err != nil {
		c.t.Fatal(err)
	}
	return evs
}

// lastEvent returns the last event with the action and object, and how many there are.
func lastEvent(evs []parley.AuditEvent, action, object string) (parley.AuditEvent, int) {
	var last parley.AuditEvent
	n := 0
	for _, e := range evs {
		if e.Action == action && e.Object == object {
			last, n = e, n+1
		}
	}
	return last, n
}

// TestFacilityAddAuditDown: with the audit log unwritable, facility add fails with a reason
// and stores no facility and no gateway.
func TestFacilityAddAuditDown(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "list")
	c.auditDown()
	c.fail(1, "audit", "facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250", "--gateway", "192.0.2.7")
	if n := c.sqlCount("facilities"); n != 0 {
		t.Fatalf("%d facilities stored with the audit log down", n)
	}
	if n := c.sqlCount("gateways"); n != 0 {
		t.Fatalf("%d gateways stored with the audit log down", n)
	}
	c.auditUp()
	if evs := c.auditEvents(); len(evs) != 0 {
		t.Fatalf("events with the audit log down: %+v", evs)
	}
	c.ok("audit", "verify")
}

// TestFacilityAddDuplicateNotAuditedOK: a duplicate facility add and one with a gateway
// another facility trusts fail, and neither leaves an "ok" event.
func TestFacilityAddDuplicateNotAuditedOK(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250", "--gateway", "192.0.2.7")
	c.fail(1, "already exists", "facility", "add", "--id", "cnty", "--name", "Other", "--type", "prison", "--adp", "900")
	c.fail(1, "already trusted", "facility", "add", "--id", "state", "--name", "State", "--type", "prison", "--adp", "900", "--gateway", "192.0.2.7")
	evs := c.auditEvents()
	last, n := lastEvent(evs, "facility.add", "facility:cnty")
	if n != 2 || last.Outcome != parley.OutcomeError || last.Detail != "refused: conflict" || last.Actor != "cli:tester" {
		t.Fatalf("duplicate facility: %d events, last %+v", n, last)
	}
	last, n = lastEvent(evs, "facility.add", "facility:state")
	if n != 1 || last.Outcome != parley.OutcomeError || last.Detail != "refused: conflict" {
		t.Fatalf("facility with a taken gateway: %d events, last %+v", n, last)
	}
	if n := c.sqlCount("facilities"); n != 1 {
		t.Fatalf("%d facilities, want 1", n)
	}
	if out := c.ok("facility", "list"); !strings.Contains(out, "County Jail") || strings.Contains(out, "Other") {
		t.Fatalf("facility list = %q", out)
	}
	c.ok("audit", "verify")
}

// TestFacilityDefaultRules: `facility add` gives a new facility the documented default
// rules, prints them and audits them; `facility rules show` shows the same. A facility left
// without rules (an older database) is told apart with what to do, and its first rules
// need hours and a call length.
func TestFacilityDefaultRules(t *testing.T) {
	c := newCLI(t)
	out := c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250", "--timezone", "America/Chicago")
	want := []string{"default call rules", "facility:        cnty (America/Chicago)",
		"hours:           sun 07:00-22:00,mon 07:00-22:00,tue 07:00-22:00,wed 07:00-22:00,thu 07:00-22:00,fri 07:00-22:00,sat 07:00-22:00",
		"max call:        15m0s", "min gap:         0s", "monthly quota:   unlimited", "max concurrent:  no limit",
		"open dialing:    false", "pin lockout:     5 failures, 15m0s"}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("facility add lacks %q:\n%s", w, out)
		}
	}
	show := c.ok("facility", "rules", "show", "--facility", "cnty")
	if !strings.Contains(out, show) {
		t.Errorf("facility rules show:\n%s\nis not what facility add printed:\n%s", show, out)
	}
	ev, n := lastEvent(c.auditEvents(), "facility.rules", "facility:cnty")
	if n != 1 || ev.Detail != "defaults" || ev.Outcome != parley.OutcomeOK {
		t.Errorf("facility.rules audited %d times, last %+v", n, ev)
	}
	// A policy check at 14:00 on a Sunday in Chicago passes the hours; 23:00 does not.
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Sam Doe", "--pin", "4821")
	c.ok("contact", "allow", "--facility", "cnty", "--inmate", "A1001", "--number", "(201) 555-0123")
	wantDecision(t, "in hours", check(t, c, "--pin", "4821", "--number", "2015550123", "--at", "2026-11-29T14:00:00-06:00"), true, "", "facility")
	wantDecision(t, "after hours", check(t, c, "--pin", "4821", "--number", "2015550123", "--at", "2026-11-29T23:00:00-06:00"), false, "outside_hours", "")

	c.sqlExec(`DELETE FROM call_rules WHERE facility_id = 'cnty'`)
	c.fail(1, "facility cnty has no call rules, so every call is refused: set them with 'parley facility rules", "facility", "rules", "show", "--facility", "cnty")
	c.fail(2, "--hours and --max-call are required", "facility", "rules", "--facility", "cnty", "--min-gap", "5m")
	c.fail(1, "facility not found", "facility", "rules", "show", "--facility", "nowhere")
}
