package keydir

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"parley.dev/parley"
)

// TestAuditCheckpointUpdatesSerialised: two Dirs over one directory (as serve and a CLI
// command are) update the audit checkpoint from many goroutines; every update sees the
// last one's result, so none is lost, and the file is 0600.
func TestAuditCheckpointUpdatesSerialised(t *testing.T) {
	ctx := context.Background()
	a, dir := openDir(t)
	b, err := Open(dir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.LatestAuditCheckpoint(ctx); !parley.IsKind(err, parley.KindNotFound) {
		t.Fatalf("fresh directory: %v, want not found", err)
	}
	const workers, each = 8, 10
	var wg sync.WaitGroup
	for w := range workers {
		d := a
		if w%2 == 1 {
			d = b
		}
		wg.Go(func() {
			for range each {
				err := d.UpdateAuditCheckpoint(ctx, func(cur []byte) ([]byte, error) {
					n := 0
					if cur != nil {
						n, _ = strconv.Atoi(string(cur))
					}
					return []byte(strconv.Itoa(n + 1)), nil
				})
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	got, err := b.LatestAuditCheckpoint(ctx)
	if err != nil || string(got) != strconv.Itoa(workers*each) {
		t.Fatalf("checkpoint %q (%v), want %d: an update was lost", got, err, workers*each)
	}
	// nil keeps the checkpoint; an error stores nothing.
	if err := a.UpdateAuditCheckpoint(ctx, func([]byte) ([]byte, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	boom := parley.Errorf("test", parley.KindIntegrity, "no")
	if err := a.UpdateAuditCheckpoint(ctx, func([]byte) ([]byte, error) { return []byte("x"), boom }); err != boom {
		t.Fatalf("update error %v, want it returned", err)
	}
	if got, _ := a.LatestAuditCheckpoint(ctx); string(got) != strconv.Itoa(workers*each) {
		t.Fatalf("checkpoint %q after a kept and a failed update", got)
	}
	p := filepath.Join(dir, "audit", "checkpoint")
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("checkpoint file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := a.LatestAuditCheckpoint(ctx); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("a checkpoint others may read: %v, want invalid", err)
	}
}
