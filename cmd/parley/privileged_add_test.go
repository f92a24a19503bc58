package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestPrivilegedAddJSON: --json prints the new entry (number redacted, as in the text
// output) and how many earlier recordings were destroyed.
func TestPrivilegedAddJSON(t *testing.T) {
	c := newCLI(t)
	seed(t, c)
	out := c.ok("privileged", "add", "--number", "(415) 555-2671", "--kind", "attorney", "--name", "Ana Ortiz", "--json")
	var v privilegedAddView
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("privileged add --json printed %q: %v", out, err)
	}
	if v.ID == "" || v.Number != "…71" || v.Kind != "attorney" || v.Source != "staff" || v.RecordingsDestroyed != 1 {
		t.Fatalf("privileged add --json = %+v", v)
	}
	if _, err := time.Parse(time.RFC3339, v.AddedAt); err != nil {
		t.Fatalf("added_at %q: %v", v.AddedAt, err)
	}
	if strings.Contains(out, "4155552671") || strings.Contains(out, "555-2671") || strings.Contains(out, "Ana Ortiz") {
		t.Fatalf("privileged add --json printed the number or the name: %s", out)
	}
	if list := c.ok("privileged", "list", "--json"); !strings.Contains(list, v.ID) {
		t.Fatalf("privileged list does not show the id %s the add printed", v.ID)
	}
	// Bad input with --json is still one line on stderr and nothing on stdout.
	o, _, code := c.run("privileged", "add", "--number", "+12025550143", "--kind", "friend", "--json")
	if code != 2 || o != "" {
		t.Fatalf("bad kind with --json: exit %d, stdout %q", code, o)
	}
	c.fail(2, "kind", "privileged", "add", "--number", "+12025550143", "--kind", "friend", "--json")
}
