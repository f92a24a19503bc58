package main

import (
	"strings"
	"testing"
)

// TestCallsSearchUnknownFacility: a facility that does not exist is an error (exit 1, one
// line), not an empty result; a known facility without calls is an empty result.
func TestCallsSearchUnknownFacility(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.fail(1, `facility "nowhere" not found`, "calls", "search", "--facility", "nowhere")
	c.fail(1, `facility "nowhere" not found`, "calls", "search", "--facility", "nowhere", "--json")
	c.fail(1, `facility "nowhere" not found`, "calls", "search", "--facility", "nowhere", "--inmate", "A1001")
	c.fail(1, `facility "nowhere" not found`, "calls", "search", "--facility", "nowhere", "--number", "+14155552671")
	if out := c.ok("calls", "search", "--facility", "cnty", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("search of a facility without calls = %q, want []", out)
	}
}
