package main

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"parley.dev/parley/internal/testingutil"
)

// auditWorld is a CLI over real storage, with what someone who can write the data
// directory and the database (but holds no key) does to it: run SQL, copy it away and put
// the copy back.
type auditWorld struct {
	c        *cli
	db       func(t *testing.T) *sql.DB
	blob     func(b []byte) string // a literal for a byte string in this dialect
	snapshot func(t *testing.T) (restore func(t *testing.T))
}

func sqliteAuditWorld(t *testing.T) *auditWorld {
	c := newCLI(t)
	path := filepath.Join(c.data, "parley.db")
	return &auditWorld{c: c,
		db: func(t *testing.T) *sql.DB {
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
		blob: func(b []byte) string { return "X'" + hex.EncodeToString(b) + "'" },
		snapshot: func(t *testing.T) func(t *testing.T) {
			backup := filepath.Join(t.TempDir(), "backup")
			copyDir(t, c.data, backup)
			return func(t *testing.T) {
				if err := os.RemoveAll(c.data); err != nil {
					t.Fatal(err)
				}
				copyDir(t, backup, c.data)
			}
		}}
}

func postgresAuditWorld(t *testing.T) *auditWorld {
	c := newCLI(t)
	schema := testingutil.PostgresSchema(t)
	dsn := testingutil.WithSearchPath(testingutil.PostgresDSN(), schema)
	c.env["PARLEY_DB"] = dsn
	open := func(t *testing.T) *sql.DB {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	w := &auditWorld{c: c, db: open,
		blob: func(b []byte) string { return `'\x` + hex.EncodeToString(b) + `'::bytea` }}
	// A copy of the whole database (every table of the schema, in a schema beside it) and
	// of the data directory; restoring puts both back as they were.
	w.snapshot = func(t *testing.T) func(t *testing.T) {
		db := open(t)
		snap := testingutil.PostgresSchema(t)
		tables := pgTables(t, db, schema)
		for _, tb := range tables {
			mustExec(t, db, fmt.Sprintf(`CREATE TABLE %s.%s AS SELECT * FROM %s.%s`, snap, tb, schema, tb))
		}
		backup := filepath.Join(t.TempDir(), "backup")
		copyDir(t, c.data, backup)
		return func(t *testing.T) {
			var qualified []string
			for _, tb := range tables {
				qualified = append(qualified, schema+"."+tb)
			}
			tx, err := db.Begin()
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if _, err := tx.Exec(`TRUNCATE ` + strings.Join(qualified, ", ")); err != nil {
				t.Fatal(err)
			}
			for _, tb := range tables {
				if _, err := tx.Exec(fmt.Sprintf(`INSERT INTO %s.%s OVERRIDING SYSTEM VALUE SELECT * FROM %s.%s`, schema, tb, snap, tb)); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if err := os.RemoveAll(c.data); err != nil {
				t.Fatal(err)
			}
			copyDir(t, backup, c.data)
		}
	}
	return w
}

func pgTables(t *testing.T, db *sql.DB, schema string) []string {
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`, schema)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func mustExec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// records returns every audit record, in order.
func (w *auditWorld) records(t *testing.T) [][]byte {
	rows, err := w.db(t).Query(`SELECT record FROM audit_records ORDER BY n`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// rewriteAll replaces the whole log by recs with every tree hash recomputed (the hashes
// are plain SHA-256, anyone computes them); proofs are kept where a record stays at its
// index, as an attacker copying them would.
func (w *auditWorld) rewriteAll(t *testing.T, recs [][]byte, extra ...string) {
	db := w.db(t)
	var hs []tlog.Hash
	stmts := []string{`DELETE FROM audit_hashes`}
	for i, r := range recs {
		more, err := tlog.StoredHashes(int64(i), r, memReader(hs))
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, more...)
		stmts = append(stmts, fmt.Sprintf(`UPDATE audit_records SET record = %s WHERE n = %d`, w.blob(r), i))
	}
	for i, h := range hs {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO audit_hashes (idx, hash) VALUES (%d, %s)`, i, w.blob(h[:])))
	}
	mustExec(t, db, append(stmts, extra...)...)
}

// forge appends a well-formed event at the end of the log with correct tree hashes and
// no proof (none can be made without the key).
func (w *auditWorld) forge(t *testing.T, proof []byte) int64 {
	recs := w.records(t)
	n := int64(len(recs))
	var hs []tlog.Hash
	for i, r := range recs {
		more, _ := tlog.StoredHashes(int64(i), r, memReader(hs))
		hs = append(hs, more...)
	}
	rec := []byte(`{"v":1,"time":"2026-11-23T12:00:00Z","actor":"cli:tester","action":"calls.search","outcome":"ok","purpose":"alibi"}`)
	more, err := tlog.StoredHashes(n, rec, memReader(hs))
	if err != nil {
		t.Fatal(err)
	}
	p := "NULL"
	if proof != nil {
		p = w.blob(proof)
	}
	stmts := []string{fmt.Sprintf(`INSERT INTO audit_records (n, record, proof) VALUES (%d, %s, %s)`, n, w.blob(rec), p)}
	for i, h := range more {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO audit_hashes (idx, hash) VALUES (%d, %s)`, tlog.StoredHashIndex(0, n)+int64(i), w.blob(h[:])))
	}
	mustExec(t, w.db(t), stmts...)
	return n
}

type memReader []tlog.Hash

func (m memReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x >= int64(len(m)) {
			return nil, fmt.Errorf("no hash %d", x)
		}
		out[i] = m[x]
	}
	return out, nil
}

// dropCheckpoints returns the statement that deletes the database's checkpoint, and
// deletes any checkpoint file in the data directory (older versions wrote one).
func (w *auditWorld) dropCheckpoints(t *testing.T) string {
	if err := os.Remove(filepath.Join(w.c.data, "audit.checkpoint")); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return `DELETE FROM audit_checkpoint`
}

// seedAudit runs audited commands; the log must verify.
func seedAudit(t *testing.T, c *cli) {
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("facility", "add", "--id", "state", "--name", "State Prison", "--type", "prison", "--adp", "2500")
	c.ok("calls", "search", "--facility", "cnty")
	c.ok("audit", "verify")
}

// refusedEverywhere checks that, on a tampered log, an audited command (an inmate added),
// plain `audit verify` and `serve` all fail with a one-line message containing want.
func (w *auditWorld) refusedEverywhere(t *testing.T, want string) {
	t.Helper()
	c := w.c
	size := len(w.records(t))
	c.fail(1, want, "facility", "add", "--id", "more", "--name", "More Jail", "--type", "jail", "--adp", "10")
	c.fail(1, want, "calls", "search", "--facility", "cnty")
	if got := len(w.records(t)); got != size {
		t.Fatalf("a refused command appended to the tampered log (%d records, was %d)", got, size)
	}
	out, errOut, code := c.run("audit", "verify")
	if code != 1 || strings.Contains(out, "verified") || len(reasonLines(errOut)) != 1 || !strings.Contains(errOut, want) {
		t.Fatalf("audit verify: exit %d, stdout %q, stderr %q; want one line with %q", code, out, errOut, want)
	}
	serveRefuses(t, c, want)
}

// serveRefuses starts `parley serve` and expects it to exit 1 before it is ready, saying want.
func serveRefuses(t *testing.T, c *cli, want string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan int, 1)
	var stderr strings.Builder
	m := &Main{Stdout: io.Discard, Stderr: &syncWriter{w: &stderr}, Stdin: strings.NewReader(""),
		Getenv: func(k string) string { return c.env[k] }, Now: func() time.Time { return c.now }, Ready: ready}
	go func() {
		done <- m.Run(ctx, []string{"serve", "--data", c.data, "--keys", c.keys, "--http", "127.0.0.1:0"})
	}()
	select {
	case <-ready:
		cancel()
		<-done
		t.Fatalf("serve started on a tampered audit log")
	case code := <-done:
		reason := reasonLines(stderr.String())
		if code != 1 || len(reason) != 1 || !strings.Contains(reason[0], want) {
			t.Fatalf("serve exited %d saying %q, want 1 and one line with %q", code, stderr.String(), want)
		}
	}
}

func testAuditAttacks(t *testing.T, world func(t *testing.T) *auditWorld) {
	t.Run("untouched", func(t *testing.T) {
		t.Parallel() // independent worlds; the CLI commands mostly wait on disk and database
		w := world(t)
		seedAudit(t, w.c)
		w.c.ok("audit", "verify")
		w.c.ok("facility", "add", "--id", "more", "--name", "More Jail", "--type", "jail", "--adp", "10")
		want := fmt.Sprintf("audit log verified: %d records", len(w.records(t)))
		if out := w.c.ok("audit", "verify"); !strings.Contains(out, want) {
			t.Fatalf("audit verify said %q", out)
		}
	})
	t.Run("forge then append", func(t *testing.T) {
		t.Parallel() // independent worlds; the CLI commands mostly wait on disk and database
		w := world(t)
		seedAudit(t, w.c)
		n := w.forge(t, nil)
		w.refusedEverywhere(t, fmt.Sprintf("record %d was forged: not written by parley (no signature)", n))
	})
	t.Run("forge with a made-up signature then append", func(t *testing.T) {
		t.Parallel() // independent worlds; the CLI commands mostly wait on disk and database
		w := world(t)
		seedAudit(t, w.c)
		n := w.forge(t, make([]byte, 64))
		w.refusedEverywhere(t, fmt.Sprintf("record %d was forged: not written by parley (bad signature)", n))
		w.c.fail(1, "refused: the log is not one parley wrote", "audit", "accept-restore", "--reason", "hide it")
	})
	t.Run("rewrite and drop checkpoints then append", func(t *testing.T) {
		t.Parallel() // independent worlds; the CLI commands mostly wait on disk and database
		w := world(t)
		seedAudit(t, w.c)
		recs := w.records(t)
		recs[1] = []byte(strings.Replace(string(recs[1]), "cli:tester", "cli:someone", 1))
		w.rewriteAll(t, recs, w.dropCheckpoints(t))
		w.refusedEverywhere(t, "audit history rewritten: record 1 was not written by parley (bad signature)")
		w.c.fail(1, "refused: the log is not one parley wrote", "audit", "accept-restore", "--reason", "hide it")
	})
	t.Run("delete a record, rewrite and drop checkpoints then append", func(t *testing.T) {
		t.Parallel() // independent worlds; the CLI commands mostly wait on disk and database
		w := world(t)
		seedAudit(t, w.c)
		recs := w.records(t)
		recs = append(recs[:1], recs[2:]...)
		w.rewriteAll(t, recs, w.dropCheckpoints(t), fmt.Sprintf(`DELETE FROM audit_records WHERE n = %d`, len(recs)))
		w.refusedEverywhere(t, "audit history rewritten: record 1 was not written by parley (bad signature)")
	})
	t.Run("wipe then append", func(t *testing.T) {
		t.Parallel() // independent worlds; the CLI commands mostly wait on disk and database
		w := world(t)
		seedAudit(t, w.c)
		seeded := len(w.records(t))
		mustExec(t, w.db(t), `DELETE FROM audit_records`, `DELETE FROM audit_hashes`, w.dropCheckpoints(t))
		w.refusedEverywhere(t, fmt.Sprintf("audit log wiped: the key directory's checkpoint covers %d records, the log has none", seeded))
	})
	t.Run("rollback of the whole data", func(t *testing.T) {
		t.Parallel() // independent worlds; the CLI commands mostly wait on disk and database
		w := world(t)
		seedAudit(t, w.c)
		s := len(w.records(t))
		restore := w.snapshot(t)
		w.c.ok("calls", "search", "--facility", "state")
		w.c.ok("audit", "verify")
		restore(t)
		rolled := fmt.Sprintf("audit log rolled back from %d to %d records", s+1, s)
		w.refusedEverywhere(t, rolled)
		// The operator's recovery: accepted, audited, and everything runs again.
		out := w.c.ok("audit", "accept-restore", "--reason", "restored last night's backup after a disk failure")
		if !strings.Contains(out, fmt.Sprintf("rolled back from %d to %d records", s+1, s)) {
			t.Fatalf("accept-restore said %q", out)
		}
		w.c.fail(1, "nothing to accept", "audit", "accept-restore", "--reason", "again")
		w.c.ok("calls", "search", "--facility", "state")
		if out := w.c.ok("audit", "verify"); !strings.Contains(out, fmt.Sprintf("audit log verified: %d records", s+2)) {
			t.Fatalf("audit verify after accept-restore said %q", out)
		}
		events := w.c.ok("audit", "list", "--from", fmt.Sprint(s), "--json")
		for _, want := range []string{`"action": "audit.accept_restore"`, fmt.Sprintf("rolled back from %d records", s+1), fmt.Sprintf("to %d records", s), "restored last night's backup"} {
			if !strings.Contains(events, want) {
				t.Fatalf("the accepted restore is not in the audit log as %q: %s", want, events)
			}
		}
	})
	t.Run("tail truncated and an older checkpoint put back", func(t *testing.T) {
		t.Parallel() // independent worlds; the CLI commands mostly wait on disk and database
		w := world(t)
		seedAudit(t, w.c)
		s := len(w.records(t))
		var old []byte
		if err := w.db(t).QueryRow(`SELECT note FROM audit_checkpoint`).Scan(&old); err != nil {
			t.Fatal(err)
		}
		w.c.ok("calls", "search", "--facility", "state")
		w.c.ok("calls", "search", "--facility", "cnty")
		mustExec(t, w.db(t), fmt.Sprintf(`DELETE FROM audit_records WHERE n >= %d`, s),
			fmt.Sprintf(`UPDATE audit_checkpoint SET note = %s`, w.blob(old)))
		w.refusedEverywhere(t, fmt.Sprintf("audit log rolled back from %d to %d records", s+2, s))
	})
}

// TestAuditAttacks: forge, rewrite, wipe and rollback by someone who can write the data
// directory and the SQLite database but holds no key: every audited command, `audit
// verify` and `serve` refuse, naming what happened.
func TestAuditAttacks(t *testing.T) { testAuditAttacks(t, sqliteAuditWorld) }

// TestAuditAttacksPostgres is the same on PostgreSQL.
func TestAuditAttacksPostgres(t *testing.T) { testAuditAttacks(t, postgresAuditWorld) }

// syncWriter serialises writes to w (serve logs from several goroutines).
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
