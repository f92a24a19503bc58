package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// numberForms returns the ways a US number is written in the wild, from its 11 digits.
func numberForms(d string) []string {
	a, x, l := d[1:4], d[4:7], d[7:]
	return []string{"+" + d, d, d[1:], a + "-" + x + "-" + l, "(" + a + ") " + x + "-" + l,
		a + "." + x + "." + l, a + " " + x + " " + l}
}

// scanDir returns every needle found in any file under dir.
func scanDir(t *testing.T, dir string, needles []string) []string {
	t.Helper()
	var hits []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) || bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(n))) {
				hits = append(hits, n+" in "+strings.TrimPrefix(path, dir))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

// TestBreach is the Securus scenario: steal everything under --data and find no number,
// no name, no inmate id and no audio.
func TestBreach(t *testing.T) {
	c := newCLI(t)
	s := seed(t, c)
	c.ok("calls", "search", "--inmate", "A1001")
	var needles []string
	for _, d := range s.numbers {
		needles = append(needles, numberForms(d)...)
	}
	needles = append(needles, s.names...)
	needles = append(needles, strings.Fields(s.names[0])...)
	needles = append(needles, "A1001", "RIFF", "WAVEfmt")
	for _, w := range s.wavs {
		needles = append(needles, string(w[100:132])) // a run of raw samples
	}
	if hits := scanDir(t, c.data, needles); len(hits) > 0 {
		t.Fatalf("the data directory reveals personal data or audio: %v", hits)
	}
	// Positive control: the facility's name is stored in clear, so the scan must find it;
	// otherwise the scan is not reading the database at all.
	if hits := scanDir(t, c.data, []string{"County Jail"}); len(hits) == 0 {
		t.Fatal("the scan did not find the facility name stored in clear: it is not reading the data")
	}
	// The key directory is apart and holds no personal data either.
	if hits := scanDir(t, c.keys, needles); len(hits) > 0 {
		t.Fatalf("the key directory reveals personal data: %v", hits)
	}
}

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

// TestAuditTamper: editing, deleting or truncating the audit log in the database makes
// `audit verify` fail.
func TestAuditTamper(t *testing.T) {
	for name, sqlText := range map[string]string{
		"edit":     `UPDATE audit_records SET record = CAST(REPLACE(CAST(record AS TEXT), 'cli:tester', 'cli:someone') AS BLOB) WHERE n = 1`,
		"delete":   `DELETE FROM audit_records WHERE n = (SELECT MAX(n) FROM audit_records)`,
		"truncate": `DELETE FROM audit_records WHERE n >= 2`,
	} {
		t.Run(name, func(t *testing.T) {
			c := newCLI(t)
			c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
			c.ok("facility", "add", "--id", "state", "--name", "State Prison", "--type", "prison", "--adp", "2500")
			c.ok("calls", "search", "--facility", "cnty")
			c.ok("audit", "verify")
			db, err := sql.Open("sqlite", filepath.Join(c.data, "parley.db"))
			if err != nil {
				t.Fatal(err)
			}
			res, err := db.Exec(sqlText)
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				t.Fatal("the tampering changed nothing")
			}
			db.Close()
			c.fail(1, "", "audit", "verify")
		})
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
