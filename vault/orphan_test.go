package vault

import (
	"context"
	"sync"
	"testing"
	"time"

	"parley.dev/parley"
)

// clock is a test clock several vaults (processes) can share.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestImportWriterHeartbeat: an imported recording filed a month back, written by another
// process (another Vault on the same store), is not taken for dead by Recover while its
// writer's heartbeat is recent, even with a cutoff of "now"; its writer touches it every
// Heartbeat. Once the writer is silent for ImportGrace, Recover truncates it, ReapOrphans
// destroys it (one "recording.destroy" event, reason ReasonOrphaned), and a second
// ReapOrphans finds nothing.
func TestImportWriterHeartbeat(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	clk := &clock{t: testNow}
	cfg := e.cfg
	cfg.Now = clk.now
	importer, err := New(cfg) // the import process
	if err != nil {
		t.Fatal(err)
	}
	server, err := New(cfg) // serve, starting beside it
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := importer.RecordAt(ctx, "call-i", parties, parley.ClassImported, testNow.AddDate(0, -1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Write(make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	for range 3 { // a slow import: each write a Heartbeat apart
		clk.add(Heartbeat)
		if _, err := r.Write(make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
		want := clk.now()
		waitFor(t, "the heartbeat", func() bool {
			rec, _ := e.store.FindRecording(ctx, r.ID())
			return rec.TouchedAt.Equal(want)
		})
		if n, err := server.Recover(ctx, clk.now()); err != nil || n != 0 {
			t.Fatalf("Recover beside a live import = %d, %v", n, err)
		}
	}
	clk.add(ImportGrace + time.Second) // the import died
	if n, err := server.Recover(ctx, clk.now()); err != nil || n != 1 {
		t.Fatalf("Recover after the import died = %d, %v", n, err)
	}
	e.audit.mu.Lock()
	e.audit.events = nil
	e.audit.mu.Unlock()
	if n, err := server.ReapOrphans(ctx); err != nil || n != 1 {
		t.Fatalf("ReapOrphans = %d, %v", n, err)
	}
	rec, _ := e.store.FindRecording(ctx, r.ID())
	if rec.Status != parley.RecordingShredded || rec.DestroyReason != ReasonOrphaned {
		t.Fatalf("the orphan: %+v", rec)
	}
	e.audit.mu.Lock()
	evs := e.audit.events
	e.audit.mu.Unlock()
	if len(evs) != 1 || evs[0].Action != "recording.destroy" || evs[0].Object != "recording:"+r.ID() || evs[0].Detail != ReasonOrphaned {
		t.Fatalf("events %+v", evs)
	}
	if n, err := server.ReapOrphans(ctx); err != nil || n != 0 {
		t.Fatalf("second ReapOrphans = %d, %v", n, err)
	}
}

// waitFor polls cond (a heartbeat is written off the writer's path) under a guard.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
