package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
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

// TestVaultHealAllPeriodKeysDestroyed: a backup is restored after retention destroyed
// every recording it holds, so the key directory holds no period key at all. Before the
// heal `calls search` still says "stored"; `vault heal` marks each recording destroyed
// (unrecoverable), one "recording.destroy" event each after the period's "vault.heal",
// and the search, the read and the audit log agree afterwards. The key directory is known
// to be this data's (the binding), so an empty one is not taken for the wrong one.
func TestVaultHealAllPeriodKeysDestroyed(t *testing.T) {
	c := newCLI(t)
	s := seed(t, c)
	ids := []string{s.recording["+14155552671"], s.recording[s.latePriv]}
	backup := filepath.Join(t.TempDir(), "backup")
	copyDir(t, c.data, backup)
	c.ok("facility", "retention", "--id", "cnty", "--days", "1")
	c.ok("retention", "run")
	if ents, err := os.ReadDir(filepath.Join(c.keys, "periods", "cnty")); err == nil && len(ents) != 0 {
		t.Fatalf("retention left %d period(s) of keys", len(ents))
	}
	if err := os.RemoveAll(c.data); err != nil {
		t.Fatal(err)
	}
	copyDir(t, backup, c.data)
	c.ok("audit", "accept-restore", "--reason", "restored the backup") // a deliberate restore
	for _, n := range []string{"+14155552671", s.latePriv} {
		if call := searchNumber(t, c, n)[0]; call.Recording != "stored" {
			t.Fatalf("restored call before heal = %+v, want stored", call)
		}
	}
	before := len(c.auditEvents())
	msg := c.ok("vault", "heal")
	if !strings.HasPrefix(msg, "1 key period(s) healed: 0 recording(s) healed, 0 destroyed again, 2 unrecoverable") {
		t.Fatalf("heal said %q", msg)
	}
	for _, n := range []string{"+14155552671", s.latePriv} {
		if call := searchNumber(t, c, n)[0]; call.Recording != "destroyed" {
			t.Fatalf("call after heal = %+v, want destroyed", call)
		}
	}
	evs := c.auditEvents()[before:]
	var destroyed []string
	for _, ev := range evs {
		if ev.Action == "recording.destroy" {
			if ev.Detail != "unrecoverable_after_restore" {
				t.Fatalf("destroy event %+v", ev)
			}
			destroyed = append(destroyed, strings.TrimPrefix(ev.Object, "recording:"))
		}
	}
	slices.Sort(destroyed)
	slices.Sort(ids)
	if !slices.Equal(destroyed, ids) || evs[0].Action != "vault.heal" {
		t.Fatalf("events after the heal: %+v", evs)
	}
	out := t.TempDir()
	c.fail(1, "destroyed", "recordings", "get", ids[0], "--out", filepath.Join(out, "a.wav"), "--purpose", "restore check")
	if again := c.ok("vault", "heal"); !strings.HasPrefix(again, "0 key period(s) healed") {
		t.Fatalf("second heal said %q", again)
	}
	c.ok("audit", "verify")
	c.ok("ledger", "verify")
}
