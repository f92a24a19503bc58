package audit

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	"parley.dev/parley"
)

// tamperFixture is a log of 40 events with the checkpoints an auditor could hold.
type tamperFixture struct {
	log      *Log
	store    *memStore
	signer   note.Signer
	verifier note.Verifier
	cp35     []byte // stored checkpoint after 35 records
	cp40     []byte // the checkpoint file after 40 records
}

func newTamperFixture(t *testing.T) *tamperFixture {
	t.Helper()
	l, store, v, file := newTestLog(t)
	s, _ := testKeys(t, DefaultKeyName, 1)
	appendN(t, l, 0, 35)
	cp35 := slices.Clone(store.checkpoint)
	appendN(t, l, 35, 40)
	cp40, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(context.Background(), store, v, cp35, cp40); err != nil {
		t.Fatalf("untampered log does not verify: %v", err)
	}
	return &tamperFixture{log: l, store: store, signer: s, verifier: v, cp35: cp35, cp40: cp40}
}

// resign replaces the stored checkpoint with one of the current tree signed by signer, as
// someone holding that key would.
func (f *tamperFixture) resign(t *testing.T, tree tlog.Tree, signer note.Signer) {
	t.Helper()
	cp, err := signTree(tree, signer)
	if err != nil {
		t.Fatal(err)
	}
	f.store.checkpoint = cp
}

// storedTree returns the tree of the stored checkpoint.
func (f *tamperFixture) storedTree(t *testing.T) tlog.Tree {
	t.Helper()
	tree, err := openCheckpoint("test", "checkpoint", f.store.checkpoint, f.verifier)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func TestVerifyDetectsTampering(t *testing.T) {
	attacker, _ := testKeys(t, DefaultKeyName, 66)
	stranger, _ := testKeys(t, "someone-else", 1)
	tests := []struct {
		name     string
		tamper   func(t *testing.T, f *tamperFixture)
		external func(f *tamperFixture) [][]byte
		want     string
	}{
		{"edit record bytes", func(t *testing.T, f *tamperFixture) {
			f.store.records[17] = bytes.Replace(f.store.records[17], []byte("user:u"), []byte("user:x"), 1)
		}, nil, "record 17 does not match the tree"},
		{"non-canonical record", func(t *testing.T, f *tamperFixture) {
			f.store.records[17] = append(f.store.records[17], ' ')
		}, nil, "record 17 does not match the tree"},
		{"delete a record in the middle", func(t *testing.T, f *tamperFixture) {
			f.store.records = slices.Delete(f.store.records, 20, 21)
		}, nil, "record 20 does not match the tree"},
		{"reorder two records", func(t *testing.T, f *tamperFixture) {
			r := f.store.records
			r[5], r[9] = r[9], r[5]
		}, nil, "record 5 does not match the tree"},
		{"truncate the last records", func(t *testing.T, f *tamperFixture) {
			f.store.records = f.store.records[:35]
		}, nil, "log truncated: checkpoint covers 40 records, log has 35"},
		{"truncate and restore an older checkpoint", func(t *testing.T, f *tamperFixture) {
			f.store.records = f.store.records[:35]
			f.store.checkpoint = f.cp35
		}, func(f *tamperFixture) [][]byte { return [][]byte{f.cp35, f.cp40} },
			"log truncated: external checkpoint 2 covers 40 records, log has 35"},
		{"append a record without checkpoint", func(t *testing.T, f *tamperFixture) {
			data, _ := encodeEvent("test", event(40))
			f.store.records = append(f.store.records, data)
			f.store.rehash()
		}, nil, "record 40 was forged: not written by parley (no signature)"},
		{"checkpoint signed by another key", func(t *testing.T, f *tamperFixture) {
			f.resign(t, f.storedTree(t), attacker)
		}, nil, "checkpoint signature invalid"},
		{"checkpoint signed by another key name", func(t *testing.T, f *tamperFixture) {
			f.resign(t, f.storedTree(t), stranger)
		}, nil, "checkpoint signature invalid"},
		{"checkpoint removed", func(t *testing.T, f *tamperFixture) {
			f.store.checkpoint = nil
		}, nil, "log has 40 records but no checkpoint"},
		{"checkpoint garbled", func(t *testing.T, f *tamperFixture) {
			f.store.checkpoint = []byte("not a note")
		}, nil, "checkpoint is malformed"},
		{"edit a leaf hash", func(t *testing.T, f *tamperFixture) {
			x := tlog.StoredHashIndex(0, 12)
			h := f.store.hashes[x]
			h[0] ^= 1
			f.store.hashes[x] = h
		}, nil, "record 12 does not match the tree"},
		{"edit an inner hash", func(t *testing.T, f *tamperFixture) {
			x := tlog.StoredHashIndex(2, 3) // records 12 to 15
			h := f.store.hashes[x]
			h[31] ^= 0x80
			f.store.hashes[x] = h
		}, nil, "level 2, records 12 to 15) does not match the records"},
		{"delete stored hashes", func(t *testing.T, f *tamperFixture) {
			delete(f.store.hashes, tlog.StoredHashIndex(0, 39))
		}, nil, "stored tree hash 74 is missing"},
		{"rewrite history consistently", func(t *testing.T, f *tamperFixture) {
			f.store.records[3] = bytes.Replace(f.store.records[3], []byte("user:u"), []byte("user:x"), 1)
			f.store.rehash()
		}, nil, "audit history rewritten: record 3 was not written by parley (bad signature)"},
		{"rewrite history and re-sign with the key", func(t *testing.T, f *tamperFixture) {
			f.store.records[3] = bytes.Replace(f.store.records[3], []byte("user:u"), []byte("user:x"), 1)
			f.resign(t, f.store.rehash(), f.signer)
		}, func(f *tamperFixture) [][]byte { return [][]byte{f.cp35} },
			"audit history rewritten: record 3 was not written by parley (bad signature)"},
		{"valid hashes over a non-canonical record, re-signed", func(t *testing.T, f *tamperFixture) {
			f.store.records[3] = append(f.store.records[3], ' ')
			f.resign(t, f.store.rehash(), f.signer)
		}, nil, "record 3 is not a valid audit event"},
		{"external checkpoint by another key", func(t *testing.T, f *tamperFixture) {},
			func(f *tamperFixture) [][]byte {
				cp, _ := signTree(f.storedTree(t), attacker)
				return [][]byte{cp}
			}, "external checkpoint 1 signature invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTamperFixture(t)
			tt.tamper(t, f)
			var ext [][]byte
			if tt.external != nil {
				ext = tt.external(f)
			}
			_, err := Verify(context.Background(), f.store, f.verifier, ext...)
			if err == nil {
				t.Fatal("Verify succeeded on a tampered log")
			}
			if !parley.IsKind(err, parley.KindIntegrity) {
				t.Errorf("error kind = %v, want integrity: %v", parley.ErrorKind(err), err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to mention %q", err, tt.want)
			}
		})
	}
}

// TestVerifyLimits documents what the stored data alone cannot show: a log truncated to an
// older, genuinely signed state verifies without an external checkpoint.
func TestVerifyLimits(t *testing.T) {
	f := newTamperFixture(t)
	f.store.records = f.store.records[:35]
	f.store.checkpoint = f.cp35
	if _, err := Verify(context.Background(), f.store, f.verifier, f.cp35); err != nil {
		t.Errorf("consistent truncated log: %v", err)
	}
}

// TestAuditRefusesTamperedLog checks that the log does not extend, and sign over, a
// history that no longer matches a checkpoint it knows.
func TestAuditRefusesTamperedLog(t *testing.T) {
	ctx := context.Background()

	// Truncated and older checkpoint restored: the running log remembers its last tree.
	f := newTamperFixture(t)
	f.store.records = f.store.records[:35]
	f.store.checkpoint = f.cp35
	if err := f.log.Audit(ctx, event(99)); !parley.IsKind(err, parley.KindIntegrity) {
		t.Errorf("running log: error = %v, want integrity", err)
	}
	// After a restart, the place outside the database remembers it.
	restarted := New(f.store, f.signer, f.verifier, Options{Places: f.log.places})
	if err := restarted.Audit(ctx, event(99)); !parley.IsKind(err, parley.KindIntegrity) ||
		!strings.Contains(err.Error(), "audit log rolled back from 40 to 35 records") {
		t.Errorf("restarted log: error = %v, want integrity", err)
	}

	// History rewritten consistently, stored checkpoint left alone.
	f = newTamperFixture(t)
	f.store.records[3] = bytes.Replace(f.store.records[3], []byte("user:u"), []byte("user:x"), 1)
	f.store.rehash()
	fresh := New(f.store, f.signer, f.verifier, Options{})
	err := fresh.Audit(ctx, event(99))
	if !parley.IsKind(err, parley.KindIntegrity) || !strings.Contains(err.Error(), "audit history rewritten") {
		t.Errorf("rewritten log: error = %v, want integrity", err)
	}
	if n, _ := f.store.AuditSize(ctx); n != 40 {
		t.Errorf("log grew to %d records although it was tampered with", n)
	}
}

// TestAuditCoversUncheckpointedRecords checks that a record left without checkpoint (a
// crash between append and checkpoint) is covered by the next append's checkpoint.
func TestAuditCoversUncheckpointedRecords(t *testing.T) {
	ctx := context.Background()
	f := newTamperFixture(t)
	f.store.failCheckpoint = os.ErrPermission
	if err := f.log.Audit(ctx, event(40)); err == nil {
		t.Fatal("Audit succeeded although the checkpoint could not be saved")
	}
	if _, err := Verify(ctx, f.store, f.verifier); !parley.IsKind(err, parley.KindIntegrity) {
		t.Errorf("uncovered record: Verify error = %v, want integrity", err)
	}
	f.store.failCheckpoint = nil
	appendN(t, f.log, 41, 42)
	rep, err := Verify(ctx, f.store, f.verifier, f.cp35, f.cp40)
	if err != nil || rep.Records != 42 {
		t.Errorf("Verify = %+v, %v", rep, err)
	}
}
