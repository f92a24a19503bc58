package vault

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"parley.dev/parley"
)

func TestAbort(t *testing.T) {
	e := newEnv(t, 1024)
	ctx := context.Background()
	r, _, _ := e.v.Record(ctx, "call", parties, parley.ClassCall)
	r.Write(make([]byte, 3000))
	if err := r.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(blobPath(e, r.ID()) + ".partial"); !os.IsNotExist(err) {
		t.Fatal("partial left after abort")
	}
	rec, _ := e.store.FindRecording(ctx, r.ID())
	if rec.Status != parley.RecordingTruncated || rec.Size != 0 {
		t.Fatalf("aborted recording: %+v", rec)
	}
	if _, err := r.Write([]byte("x")); err == nil {
		t.Fatal("write after abort")
	}
}

func TestSweepKeys(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	a := record(t, e, []byte("a"))
	b := record(t, e, []byte("b"))
	e.v.Destroy(ctx, []string{a}, ReasonOperator)
	// A crash between ShredPeriod and DestroyPeriodKey left generation 1 behind.
	if _, err := e.keys.CreatePeriodKey(ctx, testPeriod, 1); err != nil {
		t.Fatal(err)
	}
	if n, err := e.v.SweepKeys(ctx); err != nil || n != 1 {
		t.Fatalf("SweepKeys = %d, %v", n, err)
	}
	held, _ := e.keys.ListPeriodKeys(ctx)
	if len(held[testPeriod]) != 1 || held[testPeriod][0] != 2 {
		t.Fatalf("keys after sweep: %v", held)
	}
	if got, err := read(ctx, e, b); err != nil || string(got) != "b" {
		t.Fatalf("survivor after sweep: %v", err)
	}
}

func TestRecordValidates(t *testing.T) {
	e := newEnv(t, 0)
	bad := parties
	bad.FacilityID = "../etc"
	if _, _, err := e.v.Record(context.Background(), "c", bad, parley.ClassCall); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("bad facility: %v", err)
	}
	if _, _, err := e.v.Record(context.Background(), "c", parties, "nope"); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("bad class: %v", err)
	}
}

// recordAt writes audio through RecordAt and returns the stored recording.
func recordAt(t *testing.T, e *env, at time.Time, audio []byte) *parley.Recording {
	t.Helper()
	ctx := context.Background()
	r, verdict, err := e.v.RecordAt(ctx, "call-old", parties, parley.ClassImported, at)
	if err != nil || r == nil || !verdict.Record {
		t.Fatalf("RecordAt: %v %v", verdict, err)
	}
	if _, err := r.Write(audio); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	rec, err := e.store.FindRecording(ctx, r.ID())
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestRecordAtFilesByCallDate: an imported recording is filed in the key period of the
// call's day with the call's start as CreatedAt (retention counts from it), reads back,
// and its old period is shredded on its own; the live path still files at now.
func TestRecordAtFilesByCallDate(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	started := time.Date(2019, 3, 1, 23, 30, 0, 0, time.FixedZone("EST", -5*3600)) // 2019-03-02 UTC
	old := recordAt(t, e, started, []byte("2019 audio"))
	if old.Period != "cnty-jail/2019-03-02" || !old.CreatedAt.Equal(started) || old.Class != parley.ClassImported {
		t.Fatalf("imported recording filed as period %q created %v class %s, want cnty-jail/2019-03-02 at %v",
			old.Period, old.CreatedAt, old.Class, started)
	}
	if !old.CompletedAt.Equal(testNow) {
		t.Fatalf("CompletedAt = %v, want the import's time %v", old.CompletedAt, testNow)
	}
	if got, err := read(ctx, e, old.ID); err != nil || string(got) != "2019 audio" {
		t.Fatalf("read imported: %q, %v", got, err)
	}
	live := record(t, e, []byte("live"))
	rec, _ := e.store.FindRecording(ctx, live)
	if rec.Period != testPeriod || !rec.CreatedAt.Equal(testNow) {
		t.Fatalf("live recording filed as %q at %v, want %q at now", rec.Period, rec.CreatedAt, testPeriod)
	}
	held, _ := e.keys.ListPeriodKeys(ctx)
	if len(held["cnty-jail/2019-03-02"]) != 1 || len(held[testPeriod]) != 1 {
		t.Fatalf("period keys = %v, want one for the call's day and one for today", held)
	}
	// Expiring the old recording destroys its period's key and leaves today's alone.
	if n, err := e.v.Destroy(ctx, []string{old.ID}, ReasonRetention); err != nil || n != 1 {
		t.Fatalf("Destroy = %d, %v", n, err)
	}
	if _, err := os.Stat(filepath.Join(e.keyDir, "periods", "cnty-jail", "2019-03-02")); !os.IsNotExist(err) {
		t.Fatalf("the old period's key directory is left: %v", err)
	}
	if got, err := read(ctx, e, live); err != nil || string(got) != "live" {
		t.Fatalf("live recording after the old period's shred: %q, %v", got, err)
	}
}

// TestRecordAtValidates: only imported recordings may be backdated, a start time is
// required, a start in the future counts as now, and a "do not record" verdict creates
// nothing.
func TestRecordAtValidates(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	at := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, class := range []parley.RecordClass{parley.ClassCall, parley.ClassVideo, "nope"} {
		if _, _, err := e.v.RecordAt(ctx, "c", parties, class, at); !parley.IsKind(err, parley.KindInvalid) {
			t.Fatalf("RecordAt class %q: %v, want invalid", class, err)
		}
	}
	if _, _, err := e.v.RecordAt(ctx, "c", parties, parley.ClassImported, time.Time{}); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("RecordAt without a time: %v, want invalid", err)
	}
	bad := parties
	bad.FacilityID = "../etc"
	if _, _, err := e.v.RecordAt(ctx, "c", bad, parley.ClassImported, at); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("RecordAt bad facility: %v, want invalid", err)
	}
	future := recordAt(t, e, testNow.Add(72*time.Hour), []byte("x"))
	if future.Period != testPeriod || !future.CreatedAt.Equal(testNow) {
		t.Fatalf("a future start filed as %q at %v, want now", future.Period, future.CreatedAt)
	}
	e.gate.mu.Lock()
	e.gate.answer = func(int) parley.RecordVerdict { return parley.RecordVerdict{Reason: "privileged"} }
	e.gate.mu.Unlock()
	before := len(e.store.snapshot())
	if r, v, err := e.v.RecordAt(ctx, "c", parties, parley.ClassImported, at); r != nil || v.Record || err != nil {
		t.Fatalf("RecordAt refused by the gate = %v, %+v, %v; want nothing", r, v, err)
	}
	if after := len(e.store.snapshot()); after != before {
		t.Fatalf("a refused RecordAt created a recording (%d -> %d)", before, after)
	}
	if held, _ := e.keys.ListPeriodKeys(ctx); len(held["cnty-jail/2020-01-02"]) != 0 {
		t.Fatalf("a refused RecordAt created a period key: %v", held)
	}
}
