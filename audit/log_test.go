package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"parley.dev/parley"
)

// testSeed returns a fixed 32-byte seed derived from b.
func testSeed(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// testKeys returns a signer and verifier derived from a fixed seed.
func testKeys(t testing.TB, name string, b byte) (note.Signer, note.Verifier) {
	t.Helper()
	s, vkey, err := SignerFromSeed(name, testSeed(b))
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

// event returns a valid event numbered i.
func event(i int) parley.AuditEvent {
	return parley.AuditEvent{
		Actor:   "user:u" + fmt.Sprint(i%7),
		Action:  ActionRecordingRead,
		Object:  fmt.Sprintf("recording:r%04d", i),
		Outcome: parley.OutcomeOK,
		Purpose: "investigation",
		Detail:  fmt.Sprintf("n=%d", i),
	}
}

// fixedClock returns a clock that advances one second per call.
func fixedClock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 11, 23, 10, 0, 0, 0, time.FixedZone("X", 3600))
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second)
		return t
	}
}

// newTestLog returns a log over a fresh memStore writing its checkpoint file in a temp dir
// and keeping its checkpoint in a memPlace (l.places[0]).
func newTestLog(t testing.TB) (*Log, *memStore, note.Verifier, string) {
	t.Helper()
	s, v := testKeys(t, DefaultKeyName, 1)
	store := newMemStore()
	file := filepath.Join(t.TempDir(), "audit.checkpoint")
	l := New(store, s, v, Options{Now: fixedClock(), CheckpointFile: file,
		Places: []Place{{Name: "key directory's checkpoint", Store: &memPlace{}}}})
	return l, store, v, file
}

// appendN appends events [from, to).
func appendN(t testing.TB, l *Log, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := l.Audit(context.Background(), event(i)); err != nil {
			t.Fatalf("Audit %d: %v", i, err)
		}
	}
}

func TestAuditAndVerify(t *testing.T) {
	ctx := context.Background()
	l, store, v, file := newTestLog(t)
	appendN(t, l, 0, 100)

	cp, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fileCP, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cp, fileCP) {
		t.Error("checkpoint file differs from the stored checkpoint")
	}
	rep, err := Verify(ctx, store, v, cp, fileCP)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Records != 100 || rep.CheckpointSize != 100 || rep.RootHash == "" || rep.External != 2 {
		t.Errorf("report = %+v", rep)
	}
	if !strings.Contains(string(cp), rep.RootHash) {
		t.Error("checkpoint does not carry the root hash of the report")
	}
}

func TestVerifyEmpty(t *testing.T) {
	_, v := testKeys(t, DefaultKeyName, 1)
	rep, err := Verify(context.Background(), newMemStore(), v)
	if err != nil || rep.Records != 0 {
		t.Fatalf("Verify(empty) = %+v, %v", rep, err)
	}
}

func TestEventsRoundTrip(t *testing.T) {
	ctx := context.Background()
	l, _, _, _ := newTestLog(t)
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("Y", -5*3600))
	want := []parley.AuditEvent{
		{Time: at, Actor: "cli:operator", Action: ActionKeysRotate, Outcome: parley.OutcomeOK},
		{Actor: "user:7", Action: ActionCallsSearch, Object: "number:#abc", Outcome: parley.OutcomeDenied,
			Purpose: "case review", Case: "CR-2026-1", Detail: `quote " and <tag> & newline-free`},
		{Actor: "system:retention", Action: ActionRetentionRun, Outcome: parley.OutcomeError, Detail: "ünïcode"},
	}
	for _, e := range want {
		if err := l.Audit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := l.Events(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if want[i].Time.IsZero() {
			if got[i].Time.IsZero() || got[i].Time.Location() != time.UTC {
				t.Errorf("event %d: time %v not filled in UTC", i, got[i].Time)
			}
			want[i].Time = got[i].Time
		}
		if !got[i].Time.Equal(want[i].Time) || got[i].Time.Location() != time.UTC {
			t.Errorf("event %d: time %v, want %v in UTC", i, got[i].Time, want[i].Time)
		}
		got[i].Time, want[i].Time = time.Time{}, time.Time{}
		if got[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if mid, err := l.Events(ctx, 1, 2); err != nil || len(mid) != 1 || mid[0].Action != ActionCallsSearch {
		t.Errorf("Events(1,2) = %+v, %v", mid, err)
	}
	if _, err := l.Events(ctx, 2, 1); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("Events(2,1) error = %v, want invalid", err)
	}
}

func TestAuditRejectsInvalidEvents(t *testing.T) {
	ctx := context.Background()
	l, store, _, _ := newTestLog(t)
	ok := event(0)
	for name, mut := range map[string]func(*parley.AuditEvent){
		"no actor":    func(e *parley.AuditEvent) { e.Actor = "" },
		"no action":   func(e *parley.AuditEvent) { e.Action = "" },
		"no outcome":  func(e *parley.AuditEvent) { e.Outcome = "" },
		"bad outcome": func(e *parley.AuditEvent) { e.Outcome = "maybe" },
		"too long":    func(e *parley.AuditEvent) { e.Detail = strings.Repeat("x", maxRecordSize) },
	} {
		e := ok
		mut(&e)
		if err := l.Audit(ctx, e); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("%s: error = %v, want invalid", name, err)
		}
	}
	if n, _ := store.AuditSize(ctx); n != 0 {
		t.Errorf("%d records appended for invalid events", n)
	}
}

func TestAuditFailsWhenStoreFails(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("disk full")

	l, store, _, _ := newTestLog(t)
	store.failAppend = boom
	err := l.Audit(ctx, event(0))
	if !parley.IsKind(err, parley.KindUnavailable) || !errors.Is(err, boom) {
		t.Errorf("append failure: error = %v, want unavailable wrapping the cause", err)
	}
	if store.checkpoint != nil {
		t.Error("checkpoint saved although the append failed")
	}

	l, store, _, _ = newTestLog(t)
	store.failCheckpoint = boom
	if err := l.Audit(ctx, event(0)); !parley.IsKind(err, parley.KindUnavailable) {
		t.Errorf("checkpoint failure: error = %v, want unavailable", err)
	}

	s, v := testKeys(t, DefaultKeyName, 1)
	l = New(newMemStore(), s, v, Options{CheckpointFile: filepath.Join(t.TempDir(), "missing-dir", "cp")})
	if err := l.Audit(ctx, event(0)); !parley.IsKind(err, parley.KindUnavailable) {
		t.Errorf("checkpoint file failure: error = %v, want unavailable", err)
	}
}

func TestAuditMismatchedKeys(t *testing.T) {
	s, _ := testKeys(t, DefaultKeyName, 1)
	_, v := testKeys(t, DefaultKeyName, 2)
	l := New(newMemStore(), s, v, Options{})
	if err := l.Audit(context.Background(), event(0)); err == nil {
		t.Fatal("Audit with a verifier of another key succeeded")
	}
}

func TestAuditConcurrent(t *testing.T) {
	ctx := context.Background()
	l, store, v, file := newTestLog(t)
	const workers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if err := l.Audit(ctx, event(w*each+i)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	fileCP, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(ctx, store, v, fileCP)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Records != workers*each {
		t.Errorf("records = %d, want %d", rep.Records, workers*each)
	}
	events, err := l.Events(ctx, 0, rep.Records)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range events {
		seen[e.Object] = true
	}
	if len(seen) != workers*each {
		t.Errorf("%d distinct events, want %d", len(seen), workers*each)
	}
}

// TestAuditRetriesConflict simulates another node appending between our size read and our
// append: the store reports a conflict and Audit retries.
func TestAuditRetriesConflict(t *testing.T) {
	ctx := context.Background()
	l, store, v, _ := newTestLog(t)
	s, _ := testKeys(t, DefaultKeyName, 1)
	other := New(store, s, v, Options{})
	appendN(t, l, 0, 3)
	var once sync.Once
	store.beforeAppend = func() {
		once.Do(func() {
			store.beforeAppend = nil
			if err := other.Audit(ctx, event(100)); err != nil {
				t.Error(err)
			}
		})
	}
	if err := l.Audit(ctx, event(3)); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(ctx, store, v)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Records != 5 {
		t.Errorf("records = %d, want 5", rep.Records)
	}
}

func TestSignerFromSeed(t *testing.T) {
	s1, vk1, err := SignerFromSeed(DefaultKeyName, testSeed(9))
	if err != nil {
		t.Fatal(err)
	}
	s2, vk2, err := SignerFromSeed(DefaultKeyName, testSeed(9))
	if err != nil {
		t.Fatal(err)
	}
	if vk1 != vk2 || s1.KeyHash() != s2.KeyHash() || s1.Name() != DefaultKeyName {
		t.Errorf("same seed gave different keys: %q, %q", vk1, vk2)
	}
	if _, vk3, _ := SignerFromSeed(DefaultKeyName, testSeed(10)); vk3 == vk1 {
		t.Error("different seeds gave the same key")
	}
	v, err := note.NewVerifier(vk1)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := note.Sign(&note.Note{Text: "hello\n"}, s2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(msg, note.VerifierList(v)); err != nil {
		t.Errorf("signature by a signer from the same seed does not verify: %v", err)
	}
	if _, _, err := SignerFromSeed(DefaultKeyName, testSeed(1)[:31]); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("short seed: error = %v, want invalid", err)
	}
	if _, _, err := SignerFromSeed("bad name+", testSeed(1)); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("bad name: error = %v, want invalid", err)
	}
}

// TestAuditSignsAfterCancel: a caller whose context ends right after its event was
// appended (serve shutting down) still gets a checkpoint covering it, so verify passes.
func TestAuditSignsAfterCancel(t *testing.T) {
	l, store, v, file := newTestLog(t)
	appendN(t, l, 0, 3)
	ctx, cancel := context.WithCancel(context.Background())
	store.afterAppend = cancel
	if err := l.Audit(ctx, event(3)); err != nil {
		t.Fatalf("Audit with a context cancelled after the append: %v", err)
	}
	store.afterAppend = nil
	bg := context.Background()
	cp, err := l.Checkpoint(bg)
	if err != nil {
		t.Fatal(err)
	}
	fileCP, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(bg, store, v, cp, fileCP)
	if err != nil {
		t.Fatalf("verify after a cancelled caller: %v", err)
	}
	if rep.Records != 4 || rep.CheckpointSize != 4 {
		t.Errorf("report = %+v, want 4 records under a checkpoint of 4", rep)
	}
}

// TestCheckpointFileMode: the checkpoint file is owner-only (0600), a file an older version
// left at 0644 is replaced by a 0600 one on the next write, and no temporary file remains.
func TestCheckpointFileMode(t *testing.T) {
	l, store, v, file := newTestLog(t)
	appendN(t, l, 0, 1)
	mode := func() os.FileMode {
		t.Helper()
		st, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		return st.Mode().Perm()
	}
	if m := mode(); m != 0o600 {
		t.Fatalf("checkpoint file mode = %o, want 600", m)
	}
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 1, 2)
	if m := mode(); m != 0o600 {
		t.Fatalf("checkpoint file mode after a rewrite = %o, want 600", m)
	}
	entries, err := os.ReadDir(filepath.Dir(file))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != filepath.Base(file) {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("checkpoint directory holds %v, want only the checkpoint", names)
	}
	fileCP, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := Verify(context.Background(), store, v, fileCP); err != nil || rep.CheckpointSize != 2 {
		t.Fatalf("replaced checkpoint: report %+v, err %v; want a valid checkpoint of 2", rep, err)
	}
}
