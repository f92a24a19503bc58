package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestDeviceListAndRemove: devices behind a gateway are listed (id, do-not-record, when
// added) and removed, each audited; a removed id may be added again.
func TestDeviceListAndRemove(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("facility", "add", "--id", "city", "--name", "City Jail", "--type", "jail", "--adp", "80")
	c.ok("device", "add", "--facility", "cnty", "--id", "pod-a-1", "--name", "Pod A phone 1")
	c.ok("device", "add", "--facility", "cnty", "--id", "booth-2", "--do-not-record")
	c.ok("device", "add", "--facility", "city", "--id", "pod-a-1")

	list := func(fac string) []deviceView {
		t.Helper()
		var out []deviceView
		b := c.ok("device", "list", "--facility", fac, "--json")
		if err := json.Unmarshal([]byte(b), &out); err != nil {
			t.Fatalf("device list --json: %v (%s)", err, b)
		}
		return out
	}
	got := list("cnty")
	if len(got) != 2 {
		t.Fatalf("cnty devices: %+v", got)
	}
	byID := map[string]deviceView{}
	for _, d := range got {
		byID[d.ID] = d
		if d.Facility != "cnty" || d.AddedAt == "" {
			t.Errorf("device %+v", d)
		}
	}
	if byID["booth-2"].DoNotRecord != true || byID["pod-a-1"].DoNotRecord || byID["pod-a-1"].Name != "Pod A phone 1" {
		t.Fatalf("cnty devices: %+v", got)
	}
	text := c.ok("device", "list", "--facility", "cnty")
	if !strings.Contains(text, "DO-NOT-RECORD") || !strings.Contains(text, "booth-2") || !strings.Contains(text, "true") {
		t.Fatalf("device list text:\n%s", text)
	}

	if out := c.ok("device", "remove", "--facility", "cnty", "--id", "pod-a-1"); !strings.Contains(out, "pod-a-1 removed") {
		t.Fatalf("device remove: %q", out)
	}
	if got := list("cnty"); len(got) != 1 || got[0].ID != "booth-2" {
		t.Fatalf("after remove: %+v", got)
	}
	if got := list("city"); len(got) != 1 || got[0].ID != "pod-a-1" {
		t.Fatalf("the other facility's device of the same id: %+v", got)
	}
	c.fail(1, "not found", "device", "remove", "--facility", "cnty", "--id", "pod-a-1")
	c.ok("device", "add", "--facility", "cnty", "--id", "pod-a-1")
	if got := list("cnty"); len(got) != 2 {
		t.Fatalf("re-added: %+v", got)
	}
	c.ok("facility", "add", "--id", "town", "--name", "Town Lockup", "--type", "jail", "--adp", "5")
	if out := strings.TrimSpace(c.ok("device", "list", "--facility", "town", "--json")); out != "[]" {
		t.Fatalf("no devices: %q, want []", out)
	}
	audit := c.ok("audit", "list", "--json")
	for _, want := range []string{`"device.list"`, `"device.remove"`, `"device:cnty/pod-a-1"`} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %s", want)
		}
	}
}

// TestDeviceBadInput: unknown facilities and devices are exit 1, bad or missing ids exit 2,
// each with one line on stderr; nothing is removed.
func TestDeviceBadInput(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("device", "add", "--facility", "cnty", "--id", "pod-1")

	c.fail(1, "not found", "device", "list", "--facility", "nowhere")
	c.fail(1, "not found", "device", "remove", "--facility", "nowhere", "--id", "pod-1")
	c.fail(1, "not found", "device", "remove", "--facility", "cnty", "--id", "pod-9")
	c.fail(2, "--facility is required", "device", "list")
	c.fail(2, "--facility must be", "device", "list", "--facility", "../cnty")
	c.fail(2, "--id is required", "device", "remove", "--facility", "cnty")
	c.fail(2, "--facility is required", "device", "remove", "--id", "pod-1")
	c.fail(2, "--id must be", "device", "remove", "--facility", "cnty", "--id", "pod 1")
	c.fail(2, "--id must be", "device", "remove", "--facility", "cnty", "--id", strings.Repeat("x", 65))
	c.fail(2, "--facility must be", "device", "remove", "--facility", "a/b", "--id", "pod-1")
	c.fail(2, "expected 0 argument", "device", "remove", "--facility", "cnty", "--id", "pod-1", "extra")
	c.fail(2, "flag provided but not defined", "device", "list", "--facility", "cnty", "--bogus")

	var out []deviceView
	if err := json.Unmarshal([]byte(c.ok("device", "list", "--facility", "cnty", "--json")), &out); err != nil || len(out) != 1 {
		t.Fatalf("after bad input: %+v %v", out, err)
	}
	var events []struct{ Action, Object, Outcome string }
	json.Unmarshal([]byte(c.ok("audit", "list", "--json")), &events)
	for _, e := range events {
		if e.Action == "device.remove" {
			t.Errorf("bad input audited: %+v", e)
		}
	}
}
