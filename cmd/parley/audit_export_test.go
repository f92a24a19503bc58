package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// TestAuditExportOffline: `audit export` writes the log, `audit key` prints the public
// key, and `audit verify --file --key` checks the export with no data or key directory
// (another machine); a changed byte fails it. Bad input gets a one-line reason.
func TestAuditExportOffline(t *testing.T) {
	c := newCLI(t)
	seedAudit(t, c)
	n := cliAuditSize(t, c)
	key := strings.TrimSpace(c.ok("audit", "key"))
	if v, err := note.NewVerifier(key); err != nil || v.Name() != "parley-audit" {
		t.Fatalf("audit key printed %q, want a note verifier key", key)
	}
	exp := filepath.Join(t.TempDir(), "audit.export")
	if out := c.ok("audit", "export", "--out", exp); !strings.Contains(out, fmt.Sprintf("exported %d audit records", n+1)) {
		t.Fatalf("audit export said %q", out)
	}
	c.fail(1, "exists", "audit", "export", "--out", exp)

	// The auditor's machine: nothing but the export and the key.
	auditor := newCLI(t)
	if out := auditor.ok("audit", "verify", "--file", exp, "--key", key); !strings.Contains(out, fmt.Sprintf("audit export verified: %d records", n+1)) {
		t.Fatalf("offline verify said %q", out)
	}
	keyFile := filepath.Join(t.TempDir(), "audit.pub")
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	auditor.ok("audit", "verify", "--file", exp, "--key", keyFile)
	for _, p := range []string{auditor.data, auditor.keys} {
		if _, err := os.Stat(p); err == nil {
			t.Fatalf("offline verify created %s", p)
		}
	}
	b, err := os.ReadFile(exp)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(b), "cli:tester")
	if i < 0 { // the record is base64 in the export: change a byte of the middle line instead
		i = len(b) / 2
	}
	b[i] ^= 1
	bad := filepath.Join(t.TempDir(), "bad.export")
	if err := os.WriteFile(bad, b, 0o600); err != nil {
		t.Fatal(err)
	}
	auditor.fail(1, "of the export is not", "audit", "verify", "--file", bad, "--key", key)
	auditor.fail(2, "--key is required", "audit", "verify", "--file", exp)
	auditor.fail(1, "neither an audit public key nor a readable file", "audit", "verify", "--file", exp, "--key", filepath.Join(t.TempDir(), "none"))
	c.fail(2, "--reason is required", "audit", "accept-restore")
	c.fail(1, "nothing to accept", "audit", "accept-restore", "--reason", "no restore happened")
}

// TestAuditWitness: with --audit-witness, a witness file on another volume keeps every
// checkpoint too, and catches a rollback even if the key directory's checkpoint were lost.
func TestAuditWitness(t *testing.T) {
	c := newCLI(t)
	witness := filepath.Join(t.TempDir(), "witness")
	c.env["PARLEY_AUDIT_WITNESS"] = witness
	seedAudit(t, c)
	n := cliAuditSize(t, c)
	backup := filepath.Join(t.TempDir(), "backup")
	copyDir(t, c.data, backup)
	c.ok("calls", "search", "--facility", "state")
	if b, err := os.ReadFile(witness); err != nil || strings.Count(string(b), "go.sum database tree") != n+2 {
		t.Fatalf("witness file holds %q (%v), want %d checkpoints (the empty tree first)", b, err, n+2)
	}
	if err := os.RemoveAll(c.data); err != nil {
		t.Fatal(err)
	}
	copyDir(t, backup, c.data)
	if err := os.Remove(filepath.Join(c.keys, "audit", "checkpoint")); err != nil {
		t.Fatal(err)
	}
	c.fail(1, fmt.Sprintf("audit log rolled back from %d to %d records: the witness file", n+1, n), "calls", "search", "--facility", "cnty")
}

// TestAuditUpgradeOldLog: a data directory written before record proofs (no proofs, no
// checkpoint in the key directory) is upgraded on the first command: it runs, the
// upgrade is audited, and the log verifies.
func TestAuditUpgradeOldLog(t *testing.T) {
	w := sqliteAuditWorld(t)
	seedAudit(t, w.c)
	n := cliAuditSize(t, w.c)
	mustExec(t, w.db(t), `UPDATE audit_records SET proof = NULL`)
	if err := os.RemoveAll(filepath.Join(w.c.keys, "audit")); err != nil {
		t.Fatal(err)
	}
	w.c.ok("calls", "search", "--facility", "state")
	if out := w.c.ok("audit", "verify"); !strings.Contains(out, fmt.Sprintf("audit log verified: %d records", n+2)) {
		t.Fatalf("audit verify after the upgrade said %q", out)
	}
	if ev := w.c.ok("audit", "list", "--from", fmt.Sprint(n), "--limit", "1"); !strings.Contains(ev, "audit.upgrade") {
		t.Fatalf("no upgrade event: %s", ev)
	}
}

// TestAuditKeyDirectoryWithoutCheckpoint: a log with proofs and a key directory holding no
// checkpoint (the key directory restored or replaced) is refused until accept-restore
// adopts it.
func TestAuditKeyDirectoryWithoutCheckpoint(t *testing.T) {
	c := newCLI(t)
	seedAudit(t, c)
	n := cliAuditSize(t, c)
	if err := os.Remove(filepath.Join(c.keys, "audit", "checkpoint")); err != nil {
		t.Fatal(err)
	}
	c.fail(1, fmt.Sprintf("the audit log has %d records but", n)+" the key directory's checkpoint is missing", "calls", "search", "--facility", "cnty")
	c.fail(1, "checkpoint is missing", "audit", "verify")
	if out := c.ok("audit", "accept-restore", "--reason", "key directory restored"); !strings.Contains(out, "restore accepted") {
		t.Fatalf("accept-restore said %q", out)
	}
	if ev := c.ok("audit", "list", "--from", fmt.Sprint(n), "--json"); !strings.Contains(ev, fmt.Sprintf("adopted %d records", n)) {
		t.Fatalf("no adoption event: %s", ev)
	}
	c.ok("calls", "search", "--facility", "cnty")
	c.ok("audit", "verify")
}

// cliAuditSize returns how many records the log holds (`audit verify` appends none), so the
// tests need not know how many events seeding writes.
func cliAuditSize(t *testing.T, c *cli) int {
	t.Helper()
	var n int
	out := c.ok("audit", "verify")
	if _, err := fmt.Sscanf(out, "audit log verified: %d records", &n); err != nil {
		t.Fatalf("audit verify said %q: %v", out, err)
	}
	return n
}
