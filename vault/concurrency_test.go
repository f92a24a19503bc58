package vault

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"parley.dev/parley"
)

// TestConcurrentRecordAndDestroy records and destroys in one period at once: every
// recording not destroyed must still read, every destroyed one must be gone.
func TestConcurrentRecordAndDestroy(t *testing.T) {
	e := newEnv(t, 512)
	ctx := context.Background()
	const writers, perWriter = 8, 6
	var (
		mu        sync.Mutex
		done      = map[string][]byte{}
		destroyed = map[string]bool{}
		wg        sync.WaitGroup
	)
	ids := make(chan string, writers*perWriter)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				audio := bytes.Repeat([]byte(fmt.Sprintf("w%d-i%d;", w, i)), 300)
				r, _, err := e.v.Record(ctx, "call", parties, parley.ClassCall)
				if err != nil {
					t.Error(err)
					return
				}
				for p := audio; len(p) > 0; {
					k := min(len(p), 700)
					if _, err := r.Write(p[:k]); err != nil {
						if parley.IsKind(err, parley.KindDestroyed) {
							break
						}
						t.Error(err)
						return
					}
					p = p[k:]
				}
				err = r.Close()
				if parley.IsKind(err, parley.KindDestroyed) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				done[r.ID()] = audio
				mu.Unlock()
				ids <- r.ID()
			}
		}()
	}
	var dwg sync.WaitGroup
	dwg.Add(1)
	go func() {
		defer dwg.Done()
		n := 0
		for id := range ids {
			n++
			if n%3 != 0 {
				continue
			}
			if _, err := e.v.Destroy(ctx, []string{id}, ReasonOperator); err != nil {
				t.Error(err)
				continue
			}
			mu.Lock()
			destroyed[id] = true
			mu.Unlock()
		}
	}()
	wg.Wait()
	close(ids)
	dwg.Wait()
	if len(destroyed) == 0 {
		t.Fatal("nothing destroyed")
	}
	for id, audio := range done {
		got, err := read(ctx, e, id)
		if destroyed[id] {
			if !parley.IsKind(err, parley.KindDestroyed) {
				t.Errorf("destroyed %s: err = %v", id, err)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, audio) {
			t.Errorf("survivor %s lost: %v", id, err)
		}
	}
	// Only the current generation's key is left.
	held, _ := e.keys.ListPeriodKeys(ctx)
	gen, _ := e.store.PeriodGeneration(ctx, testPeriod)
	if len(held[testPeriod]) != 1 || held[testPeriod][0] != gen {
		t.Errorf("keys %v, generation %d", held, gen)
	}
}
