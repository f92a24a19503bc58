package main

import (
	"testing"

	"parley.dev/parley"
)

// TestInmateAddAuditDown: with the audit log unwritable, inmate add fails and stores
// neither the inmate nor its PIN index.
func TestInmateAddAuditDown(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.auditDown()
	c.fail(1, "audit", "inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", "73915486")
	if n := c.sqlCount("inmates"); n != 0 {
		t.Fatalf("%d inmates stored with the audit log down", n)
	}
	if n := c.sqlCount("pin_index"); n != 0 {
		t.Fatalf("%d PIN index rows stored with the audit log down", n)
	}
	c.auditUp()
	if _, n := lastEvent(c.auditEvents(), "inmate.add", "facility:cnty"); n != 0 {
		t.Fatalf("%d inmate.add events with the audit log down", n)
	}
}

// TestInmateAddDuplicateNotAuditedOK: a duplicate inmate id is refused and audited as
// refused; a taken PIN fails in the store and its "ok" attempt is followed by an error.
func TestInmateAddDuplicateNotAuditedOK(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", "73915486")
	before := len(c.auditEvents())
	c.fail(1, "exists", "inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Theodore Blackwood", "--pin", "11223344")
	evs := c.auditEvents()
	if len(evs) != before+1 || evs[before].Action != "inmate.add" || evs[before].Outcome != parley.OutcomeError || evs[before].Detail != "refused: conflict" {
		t.Fatalf("events after a duplicate inmate: %+v", evs[before:])
	}
	c.fail(1, "", "inmate", "add", "--facility", "cnty", "--id", "A1002", "--name", "Theodore Blackwood", "--pin", "73915486")
	last, _ := lastEvent(c.auditEvents(), "inmate.add", "facility:cnty")
	if last.Outcome != parley.OutcomeError || last.Detail != "failed: conflict" {
		t.Fatalf("last inmate.add event after a taken PIN: %+v", last)
	}
	if n := c.sqlCount("inmates"); n != 1 {
		t.Fatalf("%d inmates, want 1", n)
	}
	c.ok("audit", "verify")
}
