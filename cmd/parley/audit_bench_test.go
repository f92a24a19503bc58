package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"parley.dev/parley"
	"parley.dev/parley/audit"
	"parley.dev/parley/fieldcrypt"
	"parley.dev/parley/keydir"
	"parley.dev/parley/sqldb"
	"parley.dev/parley/sqlite"
)

// benchAuditLog opens a SQLite store and a key directory in a temp dir and returns a log
// over them, with the key directory as its place if withPlace.
func benchAuditLog(b *testing.B, dir string, withPlace bool) (*audit.Log, *sqldb.DB, note.Verifier, []audit.Place) {
	b.Helper()
	ctx := context.Background()
	fc, err := fieldcrypt.New(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32))
	if err != nil {
		b.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "parley.db"), fc, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	keys, err := keydir.Open(filepath.Join(dir, "keys"), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	signer, vkey, err := audit.SignerFromSeed(audit.DefaultKeyName, bytes.Repeat([]byte{3}, 32))
	if err != nil {
		b.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		b.Fatal(err)
	}
	var places []audit.Place
	if withPlace {
		places = []audit.Place{{Name: keyDirCheckpoint, Store: keys}}
	}
	return audit.New(db, signer, v, audit.Options{Places: places}), db, v, places
}

func benchEvent(i int) parley.AuditEvent {
	return parley.AuditEvent{Actor: "user:u1", Action: audit.ActionCallsSearch, Object: fmt.Sprintf("facility:f%d", i%9),
		Outcome: parley.OutcomeOK, Purpose: "benchmark"}
}

// BenchmarkAuditAppend is the cost of one audited read's event on SQLite: the record with
// its proof, the checks before it, the checkpoint in the database alone (db) or also in the
// key directory (keydir), as parley runs.
func BenchmarkAuditAppend(b *testing.B) {
	for _, withPlace := range []bool{false, true} {
		name := map[bool]string{false: "db", true: "keydir"}[withPlace]
		b.Run(name, func(b *testing.B) {
			l, _, _, _ := benchAuditLog(b, b.TempDir(), withPlace)
			ctx := context.Background()
			for i := range 200 { // a log that is not empty
				if err := l.Audit(ctx, benchEvent(i)); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if err := l.Audit(ctx, benchEvent(i)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAuditStart is what a command pays at start on a log of 5000 records: Open
// (checks the key directory's checkpoint, verifies the records after it: none here) against
// the full verification of `audit verify`.
func BenchmarkAuditStart(b *testing.B) {
	dir := b.TempDir()
	l, db, v, _ := benchAuditLog(b, dir, false) // built without the key directory's fsyncs
	ctx := context.Background()
	for i := range 5000 {
		if err := l.Audit(ctx, benchEvent(i)); err != nil {
			b.Fatal(err)
		}
	}
	// Then the key directory is given the log's checkpoint, as if it had been there all along.
	_, _, _, places := benchAuditLog(b, dir, true)
	cp, err := db.AuditCheckpoint(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if err := places[0].Store.UpdateAuditCheckpoint(ctx, func([]byte) ([]byte, error) { return cp, nil }); err != nil {
		b.Fatal(err)
	}
	signer, _, _ := audit.SignerFromSeed(audit.DefaultKeyName, bytes.Repeat([]byte{3}, 32))
	b.Run("open", func(b *testing.B) {
		for b.Loop() {
			if err := audit.New(db, signer, v, audit.Options{Places: places}).Open(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify", func(b *testing.B) {
		note, err := places[0].Store.LatestAuditCheckpoint(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := audit.VerifyTrusted(ctx, db, v, []audit.Trusted{{Name: keyDirCheckpoint, Note: note}}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
