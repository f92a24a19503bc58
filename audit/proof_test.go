package audit

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
	"parley.dev/parley"
)

// placeLog returns a log over store keeping its checkpoint in place, as a process of its own.
func placeLog(t testing.TB, store *memStore, places ...Place) *Log {
	s, v := testKeys(t, DefaultKeyName, 1)
	return New(store, s, v, Options{Now: fixedClock(), Places: places})
}

// trustedOf returns what each place holds, for VerifyTrusted.
func trustedOf(t testing.TB, places ...Place) []Trusted {
	var out []Trusted
	for _, p := range places {
		note, err := p.Store.LatestAuditCheckpoint(context.Background())
		if err != nil && !parley.IsKind(err, parley.KindNotFound) {
			t.Fatal(err)
		}
		out = append(out, Trusted{Name: p.Name, Note: note})
	}
	return out
}

func wantIntegrity(t *testing.T, what string, err error, want string) {
	t.Helper()
	if !parley.IsKind(err, parley.KindIntegrity) || !strings.Contains(err.Error(), want) {
		t.Fatalf("%s: error %v, want integrity with %q", what, err, want)
	}
}

// forgeRecord appends a canonical event with correct tree hashes and the given proof, as
// someone who can write the store but holds no key would.
func forgeRecord(t *testing.T, store *memStore, proof []byte) int64 {
	n := int64(len(store.records))
	data, err := encodeEvent("test", parley.AuditEvent{Actor: "user:x", Action: ActionCallsSearch, Outcome: parley.OutcomeOK,
		Time: store.now()})
	if err != nil {
		t.Fatal(err)
	}
	hs, err := tlog.StoredHashes(n, data, storeHashes(context.Background(), store))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.AppendAudit(context.Background(), n, data, proof, tlog.StoredHashIndex(0, n), toArrays(hs)); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestForgedRecordNeverSignedOver: a record appended without the key (no proof, a made-up
// one, or the proof of another record) stops every process from appending, the running
// one and a fresh one, and VerifyTrusted names it.
func TestForgedRecordNeverSignedOver(t *testing.T) {
	ctx := context.Background()
	for name, proof := range map[string]func(*memStore) []byte{
		"no proof":         func(*memStore) []byte { return nil },
		"made-up proof":    func(*memStore) []byte { return bytes.Repeat([]byte{7}, 64) },
		"another's proof":  func(s *memStore) []byte { return s.proofs[3] },
		"the last's proof": func(s *memStore) []byte { return s.proofs[len(s.proofs)-1] },
	} {
		t.Run(name, func(t *testing.T) {
			store, place := newMemStore(), Place{Name: "key directory's checkpoint", Store: &memPlace{}}
			running := placeLog(t, store, place)
			appendN(t, running, 0, 10)
			n := forgeRecord(t, store, proof(store))
			want := fmt.Sprintf("record %d was forged: not written by parley", n)
			wantIntegrity(t, "running log", running.Audit(ctx, event(11)), want)
			wantIntegrity(t, "fresh log", placeLog(t, store, place).Open(ctx), want)
			_, err := VerifyTrusted(ctx, store, running.verifier, trustedOf(t, place))
			wantIntegrity(t, "verify", err, want)
			if len(store.records) != 11 {
				t.Fatalf("the log grew over a forged record: %d records", len(store.records))
			}
		})
	}
}

// TestTwoProcessesShareAPlace: two logs over one store and one place (serve and a CLI
// command) append concurrently; each verifies the other's records, the place only moves
// forward, and the whole log verifies against it.
func TestTwoProcessesShareAPlace(t *testing.T) {
	ctx := context.Background()
	store, place := newMemStore(), Place{Name: "key directory's checkpoint", Store: &memPlace{}}
	a, b := placeLog(t, store, place), placeLog(t, store, place)
	var wg sync.WaitGroup
	for i, l := range []*Log{a, b, a, b} {
		wg.Go(func() {
			for k := range 25 {
				if err := l.Audit(ctx, event(i*100+k)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	rep, err := VerifyTrusted(ctx, store, a.verifier, trustedOf(t, place))
	if err != nil || rep.Records != 100 || rep.Trusted != 1 {
		t.Fatalf("VerifyTrusted = %+v, %v", rep, err)
	}
	note, _ := place.Store.LatestAuditCheckpoint(ctx)
	if tree, _ := openCheckpoint("test", "place", note, a.verifier); tree.N != 100 {
		t.Fatalf("the place holds a checkpoint of %d records, want 100", tree.N)
	}
}

// TestRollbackAcceptRestore: an older copy of the store is refused until AcceptRestore,
// which records the rollback; a forged log is never accepted.
func TestRollbackAcceptRestore(t *testing.T) {
	ctx := context.Background()
	store, place := newMemStore(), Place{Name: "key directory's checkpoint", Store: &memPlace{}}
	l := placeLog(t, store, place)
	appendN(t, l, 0, 6)
	backup := store.clone()
	appendN(t, l, 6, 10)
	store.restore(backup) // under the running l
	backup = store

	wantIntegrity(t, "running log", l.Audit(ctx, event(98)), "audit log rolled back from 10 to 6 records")
	wantIntegrity(t, "fresh log on the restored copy", placeLog(t, backup, place).Open(ctx), "audit log rolled back from 10 to 6 records")
	_, err := VerifyTrusted(ctx, backup, l.verifier, trustedOf(t, place))
	wantIntegrity(t, "verify", err, "audit log rolled back from 10 to 6 records")

	forged := backup.clone()
	forgeRecord(t, forged, nil)
	_, err = placeLog(t, forged, place).AcceptRestore(ctx, parley.AuditEvent{Actor: "cli:op", Purpose: "p"})
	wantIntegrity(t, "accept a forged log", err, "refused: the log is not one parley wrote")

	restored := placeLog(t, backup, place)
	rep, err := restored.AcceptRestore(ctx, parley.AuditEvent{Actor: "cli:op", Purpose: "disk failure"})
	if err != nil || rep.FromRecords != 10 || rep.ToRecords != 6 {
		t.Fatalf("AcceptRestore = %+v, %v", rep, err)
	}
	appendN(t, restored, 7, 9)
	if _, err := VerifyTrusted(ctx, backup, l.verifier, trustedOf(t, place)); err != nil {
		t.Fatalf("after the accepted restore: %v", err)
	}
	events, _ := restored.Events(ctx, 6, 7)
	if events[0].Action != ActionAuditAcceptRestore || events[0].Purpose != "disk failure" ||
		!strings.Contains(events[0].Detail, "rolled back from 10 records") {
		t.Fatalf("restore event %+v", events[0])
	}
	if _, err := restored.AcceptRestore(ctx, parley.AuditEvent{Actor: "cli:op", Purpose: "p"}); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("accept-restore of a log that verifies: %v, want invalid", err)
	}
	// The old process, still running on its tree of 10 records, refuses the new history.
	wantIntegrity(t, "stale process", l.Audit(ctx, event(99)), "audit log rolled back from 10 to 9 records")
}

// TestUpgradeLegacyLog: a log written before record proofs (none, and no place holding a
// checkpoint) is upgraded once on Open: its records, covered by the stored checkpoint,
// get their proofs, the upgrade is audited, and the log then verifies. Stripping a proof
// afterwards is caught.
func TestUpgradeLegacyLog(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	old := placeLog(t, store) // no place: as the old version kept none
	appendN(t, old, 0, 20)
	for i := range store.proofs {
		store.proofs[i] = nil
	}
	place := Place{Name: "key directory's checkpoint", Store: &memPlace{}}
	l := placeLog(t, store, place)
	if err := l.Open(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := VerifyTrusted(ctx, store, l.verifier, trustedOf(t, place))
	if err != nil || rep.Records != 21 {
		t.Fatalf("upgraded log: %+v, %v", rep, err)
	}
	ev, _ := l.Events(ctx, 20, 21)
	if ev[0].Action != ActionAuditUpgrade || !strings.Contains(ev[0].Detail, "records 0 to 19") {
		t.Fatalf("upgrade event %+v", ev[0])
	}
	store.proofs[4] = nil
	_, err = VerifyTrusted(ctx, store, l.verifier, trustedOf(t, place))
	wantIntegrity(t, "stripped proof", err, "audit history rewritten: record 4 was not written by parley (no signature)")

	// A legacy log rewritten before the upgrade with a forged record past its checkpoint.
	store = newMemStore()
	appendN(t, placeLog(t, store), 0, 5)
	for i := range store.proofs {
		store.proofs[i] = nil
	}
	forgeRecord(t, store, nil)
	err = placeLog(t, store, Place{Name: "key directory's checkpoint", Store: &memPlace{}}).Open(ctx)
	wantIntegrity(t, "legacy log with a forged record", err, "record 5 was forged")

	// Records with proofs and a place holding nothing: another key directory, refused.
	store = newMemStore()
	appendN(t, placeLog(t, store), 0, 5)
	err = placeLog(t, store, Place{Name: "key directory's checkpoint", Store: &memPlace{}}).Open(ctx)
	wantIntegrity(t, "log with proofs, empty place", err, "checkpoint is missing")
}

// TestMissingStoredHashNamed: one missing stored hash is named alone, a run by its ends.
func TestMissingStoredHashNamed(t *testing.T) {
	for _, tc := range []struct {
		del  []int64
		want string
	}{
		{[]int64{85}, "stored tree hash 85 is missing"},
		{[]int64{85, 86, 87}, "stored tree hashes 85 to 87 are missing"},
		{[]int64{3, 85}, "stored tree hash 3 is missing, and 1 more after them"},
	} {
		store := newMemStore()
		l := placeLog(t, store)
		appendN(t, l, 0, 60)
		for _, x := range tc.del {
			delete(store.hashes, x)
		}
		_, err := Verify(context.Background(), store, l.verifier)
		if err == nil || !strings.HasSuffix(err.Error(), tc.want) {
			t.Errorf("deleted %v: %v, want %q", tc.del, err, tc.want)
		}
	}
}

// TestWitnessFile: a witness file on its own keeps every checkpoint, appended, and a log
// with it refuses an older copy of the store like with the key directory.
func TestWitnessFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "witness")
	w := Place{Name: "witness file", Store: WitnessFile(path)}
	store := newMemStore()
	l := placeLog(t, store, Place{Name: "key directory's checkpoint", Store: &memPlace{}}, w)
	appendN(t, l, 0, 3)
	backup := store.clone()
	appendN(t, l, 3, 5)
	note, err := w.Store.LatestAuditCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tree, _ := openCheckpoint("test", "w", note, l.verifier); tree.N != 5 {
		t.Fatalf("witness holds %d records, want 5", tree.N)
	}
	wantIntegrity(t, "restored copy", placeLog(t, backup, w).Open(ctx), "audit log rolled back from 5 to 3 records: the witness file covers 5")
	_, err = VerifyTrusted(ctx, backup, l.verifier, trustedOf(t, w))
	wantIntegrity(t, "verify", err, "rolled back")
}
