package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"parley.dev/parley"
)

// TestImportedOldCallExpiresByCallDate: retention counts from the call, not from the
// import. A 2019 call imported today into a facility keeping recordings two years is
// destroyed by the next `retention run` (audited as a retention destruction); a call from
// this year is kept.
func TestImportedOldCallExpiresByCallDate(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250", "--retention-days", "730")
	dir := t.TempDir()
	writeWAV(t, filepath.Join(dir, "old.wav"), 440, 1)
	writeWAV(t, filepath.Join(dir, "new.wav"), 660, 1)
	csv := "facility_id,inmate_id,inmate_name,called_number,started_at,duration_seconds,recording_file\n" +
		"cnty,A1001,Marisol Quintanilla,+14155552671,2019-03-01T10:00:00Z,60,old.wav\n" +
		"cnty,A1001,Marisol Quintanilla,+12125550199,2026-06-01T10:00:00Z,60,new.wav\n"
	file := filepath.Join(dir, "calls.csv")
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	c.ok("import", "calls", "--file", file, "--recordings", dir)
	old, recent := searchNumber(t, c, "+14155552671")[0], searchNumber(t, c, "+12125550199")[0]
	if old.Recording != "stored" || recent.Recording != "stored" {
		t.Fatalf("after import: old %q, recent %q; want both stored", old.Recording, recent.Recording)
	}

	var res struct{ Destroyed int }
	if err := json.Unmarshal([]byte(c.ok("retention", "run", "--json")), &res); err != nil {
		t.Fatal(err)
	}
	if res.Destroyed != 1 {
		t.Fatalf("retention run destroyed %d recordings, want the 2019 call's only", res.Destroyed)
	}
	if got := searchNumber(t, c, "+14155552671")[0]; got.Recording != "destroyed" {
		t.Fatalf("2019 call after retention run: recording %q, want destroyed", got.Recording)
	}
	if got := searchNumber(t, c, "+12125550199")[0]; got.Recording != "stored" {
		t.Fatalf("2026 call after retention run: recording %q, want stored", got.Recording)
	}
	c.fail(1, "destroyed", "recordings", "get", old.RecordingID, "--out", filepath.Join(dir, "x.wav"), "--purpose", "check")
	c.ok("recordings", "get", recent.RecordingID, "--out", filepath.Join(dir, "y.wav"), "--purpose", "check")

	var events []parley.AuditEvent
	if err := json.Unmarshal([]byte(c.ok("audit", "list", "--limit", "1000", "--json")), &events); err != nil {
		t.Fatal(err)
	}
	var destroyed, batch bool
	for _, e := range events {
		if e.Action == "recording.destroy" && e.Object == "recording:"+old.RecordingID && e.Detail == "retention" {
			destroyed = true
		}
		if e.Action == "recording.destroy" && e.Object == "recording:"+recent.RecordingID {
			t.Fatalf("the audit log shows the recent recording destroyed: %+v", e)
		}
		if e.Action == "retention.run" && e.Object == "facility:cnty" && strings.Contains(e.Detail, "class=imported count=1") {
			batch = true
		}
	}
	if !destroyed || !batch {
		t.Fatalf("audit log lacks the retention destruction (recording.destroy %v, retention.run batch %v): %+v", destroyed, batch, events)
	}
	c.ok("audit", "verify")
}

// TestImportCallsAuditDown: with the audit log unwritable, import calls fails with a
// reason and stores nothing: no call, no recording, no blob. With the log back, the same
// file imports in full.
func TestImportCallsAuditDown(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("privileged", "add", "--number", "+13125557788", "--kind", "attorney")
	dir := t.TempDir()
	csv := "facility_id,inmate_id,inmate_name,called_number,started_at,duration_seconds,recording_file\n"
	for i, n := range []string{"+14155552671", "+12125550199", "+13125557788"} {
		file := "call" + string(rune('a'+i)) + ".wav"
		writeWAV(t, filepath.Join(dir, file), 300+float64(i)*200, 1)
		csv += "cnty,A1001,Marisol Quintanilla," + n + ",2026-11-2" + string(rune('0'+i)) + "T10:00:00Z,60," + file + "\n"
	}
	path := filepath.Join(dir, "calls.csv")
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	c.auditDown()
	c.fail(1, "audit failed; nothing imported", "import", "calls", "--file", path, "--recordings", dir)
	for _, table := range []string{"calls", "recordings"} {
		if n := c.sqlCount(table); n != 0 {
			t.Fatalf("%d rows in %s with the audit log down", n, table)
		}
	}
	blobs := 0
	filepath.WalkDir(filepath.Join(c.data, "vault"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			blobs++
		}
		return nil
	})
	if blobs != 0 {
		t.Fatalf("%d blobs in the vault with the audit log down", blobs)
	}
	c.auditUp()
	for _, e := range c.auditEvents() {
		if e.Action == "import.calls" {
			t.Fatalf("import event with the audit log down: %+v", e)
		}
	}

	var res struct{ Imported, Recordings, PrivilegedNotStored int }
	if err := json.Unmarshal([]byte(c.ok("import", "calls", "--file", path, "--recordings", dir, "--json")), &res); err != nil {
		t.Fatal(err)
	}
	if res.Imported != 3 || res.Recordings != 2 || res.PrivilegedNotStored != 1 {
		t.Fatalf("import after the log came back = %+v", res)
	}
	var details []string
	for _, e := range c.auditEvents() {
		if e.Action == "import.calls" && e.Outcome == parley.OutcomeOK {
			details = append(details, e.Detail)
		}
	}
	if len(details) != 3 || !strings.HasPrefix(details[0], "start rows=3") || details[1] != "privileged — not stored" ||
		!strings.HasPrefix(details[2], "imported=3 ") {
		t.Fatalf("import events = %q", details)
	}
	c.ok("audit", "verify")
}
