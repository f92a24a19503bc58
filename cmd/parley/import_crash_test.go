package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
)

// importFixture is a facility, an inmate and a CSV of two calls with WAV recordings.
type importFixture struct {
	csv, dir string
	wavs     map[string][]byte // number -> audio
}

func newImportFixture(t *testing.T, c *cli) *importFixture {
	t.Helper()
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", "73915486")
	f := &importFixture{dir: t.TempDir(), wavs: map[string][]byte{}}
	csv := "facility_id,inmate_id,inmate_name,called_number,started_at,duration_seconds,recording_file\n"
	for i, n := range []string{"+14155552671", "+12125550199"} {
		file := "call" + string(rune('a'+i)) + ".wav"
		f.wavs[n] = writeWAV(t, filepath.Join(f.dir, file), 300+float64(i)*200, 5)
		csv += "cnty,A1001,Marisol Quintanilla," + n + ",2026-11-22T1" + string(rune('0'+i)) + ":00:00Z,120," + file + "\n"
	}
	f.csv = filepath.Join(f.dir, "calls.csv")
	if err := os.WriteFile(f.csv, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// startPausedImport runs `import calls` in a child process that pauses after writing the
// first recording's audio (PARLEY_TEST_PAUSE_IMPORT), and waits until it is there: it
// said so, and the recording's row is in the database, status writing. It returns the
// process and the recording's id.
func startPausedImport(t *testing.T, c *cli, f *importFixture) (*child, string) {
	t.Helper()
	c.env["PARLEY_TEST_PAUSE_IMPORT"] = "1"
	proc := startChild(t, c, "import", "calls", "--file", f.csv, "--recordings", f.dir)
	delete(c.env, "PARLEY_TEST_PAUSE_IMPORT")
	var id string
	sipWaitFor(t, "the import to pause after writing a recording", func() bool {
		if !strings.Contains(proc.stderr.String(), "import paused after writing a recording") {
			return false
		}
		err := openTestDB(t, c).QueryRow(`SELECT id FROM recordings WHERE status = 'writing' AND class = 'imported'`).Scan(&id)
		return err == nil
	})
	return proc, id
}

// recordingRow reads a recording's status and destroy reason.
func recordingRow(t *testing.T, c *cli, id string) (status, reason string) {
	t.Helper()
	if err := openTestDB(t, c).QueryRow(`SELECT status, destroy_reason FROM recordings WHERE id = ?`, id).Scan(&status, &reason); err != nil {
		t.Fatal(err)
	}
	return status, reason
}

// checkImported: every call of the fixture names a stored recording whose audio is the
// file's, byte for byte, and the ledger, the vault's reads and the audit log verify.
func checkImported(t *testing.T, c *cli, f *importFixture) {
	t.Helper()
	for n, wav := range f.wavs {
		calls := searchNumber(t, c, n)
		if len(calls) != 1 || calls[0].Recording != "stored" || calls[0].RecordingID == "" {
			t.Fatalf("calls to %s: %+v", n[:5], calls)
		}
		out := filepath.Join(t.TempDir(), "got.wav")
		c.ok("recordings", "get", calls[0].RecordingID, "--out", out, "--purpose", "import check")
		if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, wav) {
			t.Fatalf("recording of the call differs from its file (%d bytes, %v)", len(got), err)
		}
	}
	if heal := c.ok("vault", "heal"); !strings.HasPrefix(heal, "0 key period(s) healed") {
		t.Fatalf("the vault needed healing: %q", heal)
	}
	c.ok("ledger", "verify")
	c.ok("audit", "verify")
}

// TestImportKilledMidRecording: a real `import calls` process is killed with SIGKILL after
// writing a recording and before closing it. The call is stored without a recording, and
// the recording's row (status writing) belongs to no call. The next import, once the dead
// writer has gone vault.ImportGrace without a heartbeat, closes it as truncated and
// destroys it — audited, its blob gone — then stores the file anew on the call; nothing
// is left writing and everything verifies.
func TestImportKilledMidRecording(t *testing.T) {
	c := newCLI(t)
	c.now = time.Now().UTC()
	f := newImportFixture(t, c)
	proc, orphan := startPausedImport(t, c, f)
	proc.kill(t)
	if calls := searchFacility(t, c, "cnty"); len(calls) != 1 || calls[0].Recording != "none" {
		t.Fatalf("after the kill: %+v, want one call without a recording", calls)
	}
	if st, _ := recordingRow(t, c, orphan); st != "writing" {
		t.Fatalf("the orphan after the kill: %s", st)
	}

	c.now = time.Now().UTC().Add(10 * time.Minute) // the re-run comes after ImportGrace
	out := c.ok("import", "calls", "--file", f.csv, "--recordings", f.dir)
	if !strings.Contains(out, "imported 1 calls (1 already imported), 2 recordings stored") {
		t.Fatalf("the re-run said %q", out)
	}
	if st, why := recordingRow(t, c, orphan); st != "destroyed" || why != "orphaned_import" {
		t.Fatalf("the orphan after the re-run: %s (%s), want destroyed as orphaned_import", st, why)
	}
	ev, ok := lastEvent(c.auditEvents(), "recording.destroy", "recording:"+orphan)
	if ok == 0 || ev.Outcome != parley.OutcomeOK || ev.Detail != "orphaned_import" {
		t.Fatalf("the orphan's destruction event: %+v (%d found)", ev, ok)
	}
	for _, suffix := range []string{"", ".partial"} {
		if _, err := os.Stat(filepath.Join(c.data, "vault", parley.BlobKey(orphan)+suffix)); !os.IsNotExist(err) {
			t.Errorf("the orphan's blob%s is still there (stat: %v)", suffix, err)
		}
	}
	if n := c.sqlCount("recordings WHERE status IN ('writing', 'truncated')"); n != 0 {
		t.Errorf("%d recordings writing or truncated after the re-run", n)
	}
	checkImported(t, c, f)
	if again := c.ok("import", "calls", "--file", f.csv, "--recordings", f.dir); !strings.Contains(again, "imported 0 calls (2 already imported), 0 recordings stored") {
		t.Fatalf("a third run said %q", again)
	}
}

// TestImportKilledThenServeStarts: the same kill, then `serve` starts an hour later: its
// start-up finds the orphan (truncated by Recover) and destroys it, audited; the re-run of
// the import then stores the recording.
func TestImportKilledThenServeStarts(t *testing.T) {
	c := newCLI(t)
	c.now = time.Now().UTC()
	f := newImportFixture(t, c)
	proc, orphan := startPausedImport(t, c, f)
	proc.kill(t)
	c.now = time.Now().UTC().Add(time.Hour)
	srv := startServeWith(t, c, func() time.Time { return c.now }, false, "--http", "127.0.0.1:0")
	srv.stop(t)
	if st, why := recordingRow(t, c, orphan); st != "destroyed" || why != "orphaned_import" {
		t.Fatalf("the orphan after serve's start-up: %s (%s)", st, why)
	}
	if _, ok := lastEvent(c.auditEvents(), "recording.destroy", "recording:"+orphan); ok == 0 {
		t.Fatal("the orphan's destruction was not audited")
	}
	c.ok("import", "calls", "--file", f.csv, "--recordings", f.dir)
	checkImported(t, c, f)
}

// TestServeStartsBesideImport: serve starts while an import (a real process) is writing a
// recording filed at its call's date, a month back. Start-up recovery judges writers by
// their heartbeat, not by the backdated creation time: the import's recording stays
// writing, and the import, let go, finishes it and names it on its call.
func TestServeStartsBesideImport(t *testing.T) {
	c := newCLI(t)
	c.now = time.Now().UTC()
	f := newImportFixture(t, c)
	proc, rec := startPausedImport(t, c, f)
	c.now = time.Now().UTC() // serve starts after the recording's last heartbeat
	srv := startServeWith(t, c, func() time.Time { return c.now }, false, "--http", "127.0.0.1:0")
	srv.stop(t)
	if st, _ := recordingRow(t, c, rec); st != "writing" {
		t.Fatalf("the import's recording after serve's start-up: %s, want still writing", st)
	}
	if err := proc.stdin.Close(); err != nil { // every pause reads end of input: go on
		t.Fatal(err)
	}
	sipWaitClosed(t, "the import to finish", proc.done)
	if proc.code != 0 {
		t.Fatalf("the import exited %d: %s", proc.code, proc.stderr.String())
	}
	if st, _ := recordingRow(t, c, rec); st != "complete" {
		t.Fatalf("the import's recording: %s, want complete", st)
	}
	checkImported(t, c, f)
}
