package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"parley.dev/parley/internal/testingutil"
)

// TestTour walks the operator's day on the embedded default (SQLite): import, search,
// playback with purpose, a number found privileged later, and the audit log that saw it.
func TestTour(t *testing.T) { tour(t, newCLI(t)) }

// TestTourPostgres walks the same day with the database on PostgreSQL.
func TestTourPostgres(t *testing.T) {
	c := newCLI(t)
	c.env["PARLEY_DB"] = testingutil.WithSearchPath(testingutil.PostgresDSN(), testingutil.PostgresSchema(t))
	tour(t, c)
	if _, err := os.Stat(filepath.Join(c.data, "parley.db")); err == nil {
		t.Fatal("with --db postgres://… a SQLite database was created anyway")
	}
}

func tour(t *testing.T, c *cli) {
	s := seed(t, c)

	// The call to the attorney registered before the import: record kept, audio never stored.
	att := searchNumber(t, c, "312-555-7788")[0]
	if !att.Privileged || att.Recording != "privileged" || att.RecordingID != "" {
		t.Fatalf("attorney call = %+v, want privileged and not stored", att)
	}
	// Ordinary calls: stored, playable with a purpose, byte-identical to the original.
	ord := searchNumber(t, c, "+1 415 555 2671")[0]
	if ord.Recording != "stored" || ord.RecordingID == "" || ord.InmateID != "A1001" || ord.InmateName != s.names[0] {
		t.Fatalf("ordinary call = %+v", ord)
	}
	out := filepath.Join(t.TempDir(), "play.wav")
	c.ok("recordings", "get", ord.RecordingID, "--out", out, "--purpose", "case review", "--case", "2026-114")
	got, err := os.ReadFile(out)
	if err != nil || !bytes.Equal(got, s.wavs["+14155552671"]) {
		t.Fatalf("played audio differs from the imported file (%d vs %d bytes, %v)", len(got), len(s.wavs["+14155552671"]), err)
	}
	c.fail(2, "purpose", "recordings", "get", ord.RecordingID, "--out", out+"2")
	if _, err := os.Stat(out + "2"); err == nil {
		t.Fatal("a refused playback wrote a file")
	}

	// A number found privileged later: its earlier recording is destroyed at once.
	late := s.recording[s.latePriv]
	msg := c.ok("privileged", "add", "--number", "212 555 0199", "--kind", "public_defender")
	if !strings.Contains(msg, "1 earlier recording(s) destroyed") || strings.Contains(msg, "5550199") {
		t.Fatalf("privileged add said %q", msg)
	}
	call := searchNumber(t, c, s.latePriv)[0]
	if call.Recording != "destroyed" || !call.Privileged {
		t.Fatalf("late-privileged call = %+v, want destroyed and privileged", call)
	}
	c.fail(1, "destroyed", "recordings", "get", late, "--out", out+"3", "--purpose", "curiosity")
	// The other recording survived the re-wrap of its period.
	c.ok("recordings", "get", ord.RecordingID, "--out", out+"4", "--purpose", "second look")

	// The audit log saw every step and verifies.
	c.ok("audit", "verify")
	var events []struct{ Action, Object, Purpose, Case, Actor string }
	if err := json.Unmarshal([]byte(c.ok("audit", "list", "--limit", "1000", "--json")), &events); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range events {
		count[e.Action]++
		if e.Action == "recording.read" && e.Object == "recording:"+ord.RecordingID && e.Purpose == "case review" && e.Case != "2026-114" {
			t.Errorf("read event lost its case: %+v", e)
		}
		if e.Actor != "cli:tester" && !strings.HasPrefix(e.Actor, "system:") {
			t.Errorf("event by unexpected actor %q", e.Actor)
		}
	}
	for _, a := range []string{"recording.read", "recording.destroy", "privileged.add", "calls.search", "import.calls"} {
		if count[a] == 0 {
			t.Errorf("no %s event in the audit log (have %v)", a, count)
		}
	}
	raw := c.ok("audit", "list", "--limit", "1000", "--json")
	secrets := append(append([]string{"A1001", "73915486"}, s.names...), s.numbers...)
	for _, secret := range secrets {
		if strings.Contains(raw, secret) {
			t.Errorf("the audit log contains personal data %q", secret)
		}
		// Every command ran at debug level; its logs must hold no number, name, id or PIN.
		if strings.Contains(c.logs.String(), secret) {
			t.Errorf("a log line contains personal data %q", secret)
		}
	}
	if c.logs.Len() == 0 {
		t.Error("no log output was captured; the log check checked nothing")
	}
}

// TestBadInput: each mistake gets one clear line and a non-zero status, and writes nothing.
func TestBadInput(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.fail(1, "type", "facility", "add", "--id", "x1", "--name", "X", "--type", "castle", "--adp", "10")
	c.fail(2, "--id", "facility", "add", "--name", "X", "--type", "jail")
	c.fail(1, "exists", "facility", "add", "--id", "cnty", "--name", "Again", "--type", "jail", "--adp", "10")
	c.fail(1, "PIN", "inmate", "add", "--facility", "cnty", "--id", "A1", "--name", "N", "--pin", "12")
	c.fail(1, "not found", "inmate", "add", "--facility", "nowhere", "--id", "A1", "--name", "N", "--pin", "1234")
	// PINs identify the inmate at the phone, so they are unique within a facility; a clash
	// stores nothing.
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A7", "--name", "N", "--pin", "31415926")
	c.fail(1, "PIN", "inmate", "add", "--facility", "cnty", "--id", "A8", "--name", "M", "--pin", "31415926")
	c.fail(1, "not found", "inmate", "do-not-record", "--facility", "cnty", "--id", "A8")
	c.fail(1, "", "privileged", "add", "--number", "not-a-number", "--kind", "attorney")
	c.fail(2, "kind", "privileged", "add", "--number", "+14155552671", "--kind", "friend")
	c.fail(2, "RFC 3339", "calls", "search", "--number", "+14155552671", "--from", "yesterday")
	c.fail(1, "not found", "recordings", "get", "0123456789abcdef", "--out", filepath.Join(t.TempDir(), "x"), "--purpose", "p")
	if _, _, code := c.run("frobnicate"); code != 2 {
		t.Fatalf("unknown command: exit %d, want 2", code)
	}
	// Keys inside the data directory are refused.
	bad := newCLI(t)
	bad.keys = filepath.Join(bad.data, "keys")
	bad.fail(1, "inside", "facility", "list")
	// Nothing above changed the facility list.
	if out := c.ok("facility", "list", "--json"); strings.Count(out, `"ID"`) != 1 {
		t.Fatalf("facility list after bad input: %s", out)
	}
}

// TestImportTwiceAddsNothing: idempotent import.
func TestImportTwiceAddsNothing(t *testing.T) {
	c := newCLI(t)
	s := seed(t, c)
	out := c.ok("import", "calls", "--file", filepath.Join(s.dir, "calls.csv"), "--recordings", s.dir, "--json")
	var res struct{ Imported, AlreadyImported, Recordings int }
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Imported != 0 || res.AlreadyImported != 3 || res.Recordings != 0 {
		t.Fatalf("second import = %+v, want nothing new", res)
	}
	if n := len(searchNumber(t, c, "+14155552671")); n != 1 {
		t.Fatalf("calls after second import = %d, want 1", n)
	}
}

// TestPrivilegedImportDestroysEarlierRecordings: a bar directory import that names a number
// with stored recordings destroys them, and reports bad rows by line.
func TestPrivilegedImportDestroysEarlierRecordings(t *testing.T) {
	c := newCLI(t)
	s := seed(t, c)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("number,kind,name\n+14155552671,attorney,A\nnot a number,attorney,B\n"), 0o600)
	c.fail(1, "line 3", "privileged", "import", "--file", bad)
	if searchNumber(t, c, "+14155552671")[0].Recording != "stored" {
		t.Fatal("a refused all-or-nothing import destroyed a recording")
	}
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("number,kind,name,bar_number\n(415) 555-2671,attorney,Ana Ortiz,CA-123\n+13125557788,attorney,Theodore Blackwood,\n"), 0o600)
	out := c.ok("privileged", "import", "--file", good, "--json")
	var res struct{ Added, AlreadyRegistered, Destroyed int }
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Added != 1 || res.AlreadyRegistered != 1 || res.Destroyed != 1 {
		t.Fatalf("import result %+v, want 1 added, 1 already registered, 1 destroyed", res)
	}
	if call := searchNumber(t, c, "+14155552671")[0]; call.Recording != "destroyed" || !call.Privileged {
		t.Fatalf("call after import = %+v", call)
	}
	c.fail(1, "destroyed", "recordings", "get", s.recording["+14155552671"], "--out", filepath.Join(dir, "x"), "--purpose", "p")
	list := c.ok("privileged", "list", "--json")
	if !strings.Contains(list, "+14155552671") || !strings.Contains(list, "CA-123") {
		t.Fatalf("privileged list = %s", list)
	}
}
