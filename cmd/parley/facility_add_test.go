package main

import (
	"encoding/json"
	"testing"
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
