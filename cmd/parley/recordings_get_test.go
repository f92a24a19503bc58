package main

import (
	"os"
	"path/filepath"
	"testing"

	"parley.dev/parley"
)

// readEvents returns the recording.read events of one recording.
func readEvents(c *cli, id string) []parley.AuditEvent {
	var out []parley.AuditEvent
	for _, e := range c.auditEvents() {
		if e.Action == "recording.read" && e.Object == "recording:"+id {
			out = append(out, e)
		}
	}
	return out
}

// TestRecordingsGetExistingOutNotAuditedOK: an --out file that exists refuses the read
// before the recording is opened: the file is untouched and the one event is a refusal,
// never "ok".
func TestRecordingsGetExistingOutNotAuditedOK(t *testing.T) {
	c := newCLI(t)
	s := seed(t, c)
	id := s.recording["+14155552671"]
	out := filepath.Join(t.TempDir(), "taken.wav")
	if err := os.WriteFile(out, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.fail(1, "exists", "recordings", "get", id, "--out", out, "--purpose", "case review", "--case", "C-7")
	if b, _ := os.ReadFile(out); string(b) != "keep me" {
		t.Fatalf("the existing --out file was changed to %d bytes", len(b))
	}
	evs := readEvents(c, id)
	if len(evs) != 1 || evs[0].Outcome != parley.OutcomeError || evs[0].Detail != "refused: conflict" ||
		evs[0].Purpose != "case review" || evs[0].Case != "C-7" || evs[0].Actor != "cli:tester" {
		t.Fatalf("recording.read events = %+v", evs)
	}
}

// TestRecordingsGetNoPurposeAuditedDenied: a read without a purpose writes nothing and is
// audited as denied; with a data directory that does not exist, none is created for it.
func TestRecordingsGetNoPurposeAuditedDenied(t *testing.T) {
	c := newCLI(t)
	s := seed(t, c)
	id := s.recording["+14155552671"]
	out := filepath.Join(t.TempDir(), "a.wav")
	c.fail(2, "purpose", "recordings", "get", id, "--out", out)
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("--out exists after a refused read: %v", err)
	}
	evs := readEvents(c, id)
	if len(evs) != 1 || evs[0].Outcome != parley.OutcomeDenied || evs[0].Detail != "no purpose" {
		t.Fatalf("recording.read events = %+v", evs)
	}

	fresh := newCLI(t)
	fresh.fail(2, "purpose", "recordings", "get", id, "--out", out)
	if _, err := os.Stat(fresh.data); !os.IsNotExist(err) {
		t.Fatalf("a refused read created the data directory: %v", err)
	}
	c.fail(2, "recording id", "recordings", "get", "../etc", "--out", out, "--purpose", "p")
}

// TestRecordingsGetAuditDown: with the audit log unwritable nothing is decrypted and no
// --out file is left behind.
func TestRecordingsGetAuditDown(t *testing.T) {
	c := newCLI(t)
	s := seed(t, c)
	id := s.recording["+14155552671"]
	out := filepath.Join(t.TempDir(), "a.wav")
	c.auditDown()
	c.fail(1, "audit", "recordings", "get", id, "--out", out, "--purpose", "case review")
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("--out left behind with the audit log down: %v", err)
	}
	c.auditUp()
	if evs := readEvents(c, id); len(evs) != 0 {
		t.Fatalf("recording.read events with the audit log down: %+v", evs)
	}
	c.ok("recordings", "get", id, "--out", out, "--purpose", "case review")
	if evs := readEvents(c, id); len(evs) != 1 || evs[0].Outcome != parley.OutcomeOK {
		t.Fatalf("recording.read events after a good read: %+v", evs)
	}
}
