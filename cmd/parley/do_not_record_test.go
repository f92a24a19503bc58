package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDoNotRecordFlags: an inmate or a device marked do-not-record is never recorded, and the
// call record says why no audio exists.
func TestDoNotRecordFlags(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "B2002", "--name", "Rowan Pike", "--pin", "55126734")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "C3003", "--name", "Lee Fontaine", "--pin", "66237845")
	c.ok("inmate", "do-not-record", "--facility", "cnty", "--id", "B2002")
	c.fail(1, "not found", "inmate", "do-not-record", "--facility", "cnty", "--id", "Z9")
	c.fail(2, "--id", "device", "do-not-record", "--facility", "cnty")

	dir := t.TempDir()
	writeWAV(t, filepath.Join(dir, "b.wav"), 440, 1)
	writeWAV(t, filepath.Join(dir, "c.wav"), 660, 1)
	csv := "facility_id,inmate_id,inmate_name,called_number,started_at,duration_seconds,recording_file\n" +
		"cnty,B2002,Rowan Pike,+14155552671,2026-11-20T10:00:00Z,60,b.wav\n" +
		"cnty,C3003,Lee Fontaine,+12125550199,2026-11-20T11:00:00Z,60,c.wav\n"
	os.WriteFile(filepath.Join(dir, "calls.csv"), []byte(csv), 0o600)
	out := c.ok("import", "calls", "--file", filepath.Join(dir, "calls.csv"), "--recordings", dir, "--json")
	var res struct{ Recordings, PrivilegedNotStored int }
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Recordings != 1 || res.PrivilegedNotStored != 1 {
		t.Fatalf("import = %s, want the do-not-record inmate's call not stored", out)
	}
	if call := searchNumber(t, c, "+14155552671")[0]; call.Recording != "privileged" || call.RecordingID != "" {
		t.Fatalf("do-not-record inmate's call = %+v", call)
	}
	if call := searchNumber(t, c, "+12125550199")[0]; call.Recording != "stored" {
		t.Fatalf("other inmate's call = %+v", call)
	}
	var events []struct{ Action, Object, Detail string }
	json.Unmarshal([]byte(c.ok("audit", "list", "--json")), &events)
	found := false
	for _, e := range events {
		if e.Action == "inmate.do_not_record" {
			found = e.Detail == "on" && !strings.Contains(e.Object, "B2002")
		}
	}
	if !found {
		t.Fatal("no audit event for the do-not-record change, or it names the inmate id")
	}
}
