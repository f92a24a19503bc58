package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
	_ "modernc.org/sqlite"
)

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBackupThenShred: a backup of --data taken before expiry cannot bring an expired
// recording back, because its period key no longer exists; a recording on legal hold
// survives expiry.
func TestBackupThenShred(t *testing.T) {
	c := newCLI(t)
	s := seed(t, c)
	held, expired := s.recording["+14155552671"], s.recording["+12125550199"]
	c.ok("recordings", "hold", held, "--reason", "court order 2026-CV-77")
	backup := filepath.Join(t.TempDir(), "backup")
	copyDir(t, c.data, backup)

	c.now = c.now.Add(400 * 24 * time.Hour) // past the default 365-day retention
	if out := c.ok("retention", "run"); !strings.Contains(out, "1 expired recording(s) destroyed") {
		t.Fatalf("retention run said %q", out)
	}
	out := filepath.Join(t.TempDir(), "a.wav")
	c.ok("recordings", "get", held, "--out", out, "--purpose", "hold review")
	c.fail(1, "destroyed", "recordings", "get", expired, "--out", out+"x", "--purpose", "p")

	// Restore the old backup over --data; the key directory is the current one.
	if err := os.RemoveAll(c.data); err != nil {
		t.Fatal(err)
	}
	copyDir(t, backup, c.data)
	// The restored audit log is behind the key directory's checkpoint: nothing runs until
	// the operator accepts the restore, which is audited.
	c.fail(1, "refusing to run: audit log rolled back from", "recordings", "get", expired, "--out", out+"y", "--purpose", "restore attempt")
	if got := c.ok("audit", "accept-restore", "--reason", "restore drill"); !strings.Contains(got, "restore accepted") {
		t.Fatalf("accept-restore said %q", got)
	}
	_, errOut, code := c.run("recordings", "get", expired, "--out", out+"y", "--purpose", "restore attempt")
	if code == 0 {
		t.Fatal("an expired recording was decrypted from a backup taken before the purge")
	}
	// It must fail for the right reason: the period key that wrapped its data key is gone.
	if !strings.Contains(errOut, "key") {
		t.Fatalf("restore attempt failed for another reason: %s", errOut)
	}
	t.Logf("restore attempt refused: %s", strings.TrimSpace(errOut))
	if b, err := os.ReadFile(out + "y"); err == nil && len(b) > 0 {
		t.Fatalf("restore attempt wrote %d bytes (%s)", len(b), errOut)
	}
}

// TestAuditTamper: editing, deleting, reordering or truncating the audit log in the
// database makes `audit verify` exit non-zero with a one-line reason saying what is wrong.
func TestAuditTamper(t *testing.T) {
	for _, tc := range []struct {
		name string
		sql  []string // run in one transaction
		want string   // in the one-line reason
	}{
		{"edit", []string{`UPDATE audit_records SET record = CAST(REPLACE(CAST(record AS TEXT), 'cli:tester', 'cli:someone') AS BLOB) WHERE n = 1`},
			"record 1 does not match the tree"},
		{"delete", []string{`DELETE FROM audit_records WHERE n = (SELECT MAX(n) FROM audit_records)`}, "audit log rolled back from {N} to {N-1} records"},
		// Records 1 and 2 trade places: every record is intact, only the order changes.
		{"reorder", swapRows("audit_records", "n", 1, 2), "record 1 does not match the tree"},
		// The same, with their leaf hashes swapped too so each record matches its stored
		// hash: the tree no longer hashes to the signed checkpoint.
		{"reorder with leaf hashes", append(swapRows("audit_records", "n", 1, 2),
			swapRows("audit_hashes", "idx", tlog.StoredHashIndex(0, 1), tlog.StoredHashIndex(0, 2))...), "does not match the records"},
		{"truncate", []string{`DELETE FROM audit_records WHERE n >= 2`}, "audit log rolled back from {N} to 2 records"},
		// One stored hash gone is named alone, not as a range from 0.
		{"one stored hash deleted", []string{`DELETE FROM audit_hashes WHERE idx = 3`}, "stored tree hash 3 is missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCLI(t)
			c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
			c.ok("facility", "add", "--id", "state", "--name", "State Prison", "--type", "prison", "--adp", "2500")
			c.ok("calls", "search", "--facility", "cnty")
			n := cliAuditSize(t, c)
			want := strings.NewReplacer("{N-1}", fmt.Sprint(n-1), "{N}", fmt.Sprint(n)).Replace(tc.want)
			tamper(t, filepath.Join(c.data, "parley.db"), tc.sql)
			out, errOut, code := c.run("audit", "verify")
			if code != 1 || strings.Contains(out, "verified") {
				t.Fatalf("audit verify of a tampered log: exit %d, stdout %q", code, out)
			}
			if !strings.HasPrefix(errOut, "parley: ") || strings.Count(strings.TrimSuffix(errOut, "\n"), "\n") != 0 ||
				!strings.Contains(errOut, want) {
				t.Fatalf("audit verify said %q, want one line with %q", errOut, want)
			}
		})
	}
}

// swapRows returns the statements that swap the rows keyed a and b of a table.
func swapRows(table, key string, a, b int64) []string {
	set := func(from, to int64) string {
		return fmt.Sprintf(`UPDATE %s SET %s = %d WHERE %s = %d`, table, key, to, key, from)
	}
	return []string{set(a, -1), set(b, a), set(-1, b)}
}

// tamper runs statements on the SQLite database file in one transaction; each must change
// a row.
func tamper(t *testing.T, path string, stmts []string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, s := range stmts {
		res, err := tx.Exec(s)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			t.Fatalf("the tampering changed nothing: %s", s)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestServeHealth runs `parley serve` and asks /healthz.
func TestServeHealth(t *testing.T) {
	c := newCLI(t)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan int, 1)
	var stderr bytes.Buffer
	m := &Main{Stdout: io.Discard, Stderr: &stderr, Getenv: func(string) string { return "" }, Now: time.Now, Ready: ready}
	go func() {
		done <- m.Run(ctx, []string{"serve", "--data", c.data, "--keys", c.keys, "--http", "127.0.0.1:0"})
	}()
	var addr string
	select {
	case addr = <-ready:
	case code := <-done:
		t.Fatalf("serve exited %d: %s", code, stderr.String())
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"ok"`) {
		t.Fatalf("healthz = %d %s", resp.StatusCode, body)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d after shutdown: %s", code, stderr.String())
	}
}
