package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVaultHealAfterRestore: a backup of --data taken before a number was found privileged
// is restored. The survivor of the shred cannot be read (its period key is gone) until
// `vault heal`, which gives it back byte-identical and destroys the privileged recording
// again.
func TestVaultHealAfterRestore(t *testing.T) {
	c := newCLI(t)
	s := seed(t, c)
	survivor, doomed := s.recording["+14155552671"], s.recording[s.latePriv]
	backup := filepath.Join(t.TempDir(), "backup")
	copyDir(t, c.data, backup)

	msg := c.ok("privileged", "add", "--number", s.latePriv, "--kind", "public_defender")
	if !strings.Contains(msg, "1 earlier recording(s) destroyed") {
		t.Fatalf("privileged add said %q", msg)
	}
	if err := os.RemoveAll(c.data); err != nil {
		t.Fatal(err)
	}
	copyDir(t, backup, c.data)

	out := t.TempDir()
	// The restored audit log is behind the key directory: the operator accepts the restore
	// first (README), then heals.
	c.fail(1, "audit log rolled back from", "vault", "heal")
	c.ok("audit", "accept-restore", "--reason", "restored the backup of --data")
	c.fail(1, "period key is gone", "recordings", "get", survivor, "--out", filepath.Join(out, "before.wav"), "--purpose", "restore check")
	var rep struct {
		Periods       int `json:"periods_healed"`
		Healed        int `json:"recordings_healed"`
		Redestroyed   int `json:"recordings_redestroyed"`
		Unrecoverable int `json:"recordings_unrecoverable"`
	}
	if err := json.Unmarshal([]byte(c.ok("vault", "heal", "--json")), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Periods != 1 || rep.Healed != 1 || rep.Redestroyed != 1 || rep.Unrecoverable != 0 {
		t.Fatalf("heal report %+v", rep)
	}
	c.ok("recordings", "get", survivor, "--out", filepath.Join(out, "after.wav"), "--purpose", "restore check")
	got, err := os.ReadFile(filepath.Join(out, "after.wav"))
	if err != nil || !bytes.Equal(got, s.wavs["+14155552671"]) {
		t.Fatalf("healed audio differs from the imported file (%d bytes, %v)", len(got), err)
	}
	c.fail(1, "destroyed", "recordings", "get", doomed, "--out", filepath.Join(out, "doomed.wav"), "--purpose", "p")
	if _, err := os.Stat(filepath.Join(out, "doomed.wav")); err == nil {
		t.Fatal("a destroyed recording was written")
	}
	if call := searchNumber(t, c, s.latePriv)[0]; call.Recording != "destroyed" || call.RecordingID != doomed {
		t.Fatalf("call after heal = %+v, want its recording destroyed", call)
	}
	if again := c.ok("vault", "heal"); !strings.HasPrefix(again, "0 key period(s) healed") {
		t.Fatalf("second heal said %q", again)
	}
	c.ok("audit", "verify")
	if list := c.ok("audit", "list", "--limit", "1000", "--json"); !strings.Contains(list, `"vault.heal"`) {
		t.Fatal("the heal was not audited")
	}
	for _, n := range s.numbers {
		if strings.Contains(c.logs.String(), n[1:]) {
			t.Fatal("logs carry a phone number")
		}
	}
}
