package vault

import (
	"context"
	"os"
	"testing"

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
