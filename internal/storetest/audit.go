package storetest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"parley.dev/parley"
)

func hashesFor(n int64, k int) [][32]byte {
	out := make([][32]byte, k)
	for i := range out {
		out[i] = sha256.Sum256(fmt.Appendf(nil, "%d/%d", n, i))
	}
	return out
}

func testAudit(t *testing.T, s parley.Store) {
	size, err := s.AuditSize(ctx(t))
	ok(t, "size", err)
	if size != 0 {
		t.Fatalf("empty log has size %d", size)
	}
	_, err = s.AuditCheckpoint(ctx(t))
	wantKind(t, "no checkpoint", err, parley.KindNotFound)

	// Record n brings hashes at firstHash = 2n - popcount-ish; any increasing layout works here.
	next := int64(0)
	layout := map[int64]int64{}
	for n := range int64(5) {
		k := int(n%3) + 1
		layout[n] = next
		ok(t, "append", s.AppendAudit(ctx(t), n, fmt.Appendf(nil, `{"n":%d}`, n), fmt.Appendf(nil, "proof %d", n), next, hashesFor(n, k)))
		next += int64(k)
	}
	size, err = s.AuditSize(ctx(t))
	ok(t, "size", err)
	if size != 5 {
		t.Fatalf("size %d, want 5", size)
	}
	recs, err := s.ReadAuditRecords(ctx(t), 1, 4)
	ok(t, "read", err)
	if len(recs) != 3 || string(recs[0]) != `{"n":1}` || string(recs[2]) != `{"n":3}` {
		t.Fatalf("records: %q", recs)
	}
	recs, err = s.ReadAuditRecords(ctx(t), 2, 2)
	ok(t, "read empty range", err)
	if len(recs) != 0 {
		t.Fatalf("empty range gave %d records", len(recs))
	}
	_, err = s.ReadAuditRecords(ctx(t), 3, 9)
	wantKind(t, "read beyond size", err, parley.KindNotFound)

	want := append(hashesFor(4, 2)[1:2], hashesFor(0, 1)[0], hashesFor(2, 3)[2])
	got, err := s.ReadAuditHashes(ctx(t), []int64{layout[4] + 1, layout[0], layout[2] + 2})
	ok(t, "hashes", err)
	equal(t, "hashes in request order", got, want)
	_, err = s.ReadAuditHashes(ctx(t), []int64{0, next + 10})
	wantKind(t, "missing hash", err, parley.KindNotFound)

	wantKind(t, "existing n", s.AppendAudit(ctx(t), 3, []byte("x"), []byte("p"), next, hashesFor(9, 1)), parley.KindConflict)
	wantKind(t, "gap", s.AppendAudit(ctx(t), 6, []byte("x"), []byte("p"), next, hashesFor(9, 1)), parley.KindConflict)
	wantKind(t, "existing hash", s.AppendAudit(ctx(t), 5, []byte("x"), []byte("p"), 0, hashesFor(9, 1)), parley.KindConflict)
	size, _ = s.AuditSize(ctx(t))
	if size != 5 {
		t.Fatalf("a refused append changed the size to %d", size)
	}
	recs, _ = s.ReadAuditRecords(ctx(t), 3, 5)
	if string(recs[0]) != `{"n":3}` {
		t.Fatal("a refused append overwrote a record")
	}

	wantKind(t, "no proof", s.AppendAudit(ctx(t), 5, []byte("x"), nil, next, hashesFor(9, 1)), parley.KindInvalid)
	proofs, err := s.ReadAuditProofs(ctx(t), 1, 4)
	ok(t, "proofs", err)
	if len(proofs) != 3 || string(proofs[0]) != "proof 1" || string(proofs[2]) != "proof 3" {
		t.Fatalf("proofs: %q", proofs)
	}
	_, err = s.ReadAuditProofs(ctx(t), 3, 9)
	wantKind(t, "proofs beyond size", err, parley.KindNotFound)
	wantKind(t, "set a proof over another", s.SetAuditProof(ctx(t), 2, []byte("other")), parley.KindConflict)
	wantKind(t, "set the proof of no record", s.SetAuditProof(ctx(t), 9, []byte("other")), parley.KindNotFound)
	proofs, _ = s.ReadAuditProofs(ctx(t), 2, 3)
	if string(proofs[0]) != "proof 2" {
		t.Fatalf("a refused SetAuditProof changed the proof to %q", proofs[0])
	}

	ok(t, "checkpoint", s.SaveAuditCheckpoint(ctx(t), []byte("checkpoint 1")))
	ok(t, "checkpoint again", s.SaveAuditCheckpoint(ctx(t), []byte("checkpoint 2")))
	note, err := s.AuditCheckpoint(ctx(t))
	ok(t, "read checkpoint", err)
	if !bytes.Equal(note, []byte("checkpoint 2")) {
		t.Fatalf("checkpoint %q", note)
	}
}

// testAuditConcurrent has 8 goroutines race to append: each reads the size and tries to
// append there, retrying on conflict. The log must end up with exactly consecutive records,
// each written once.
func testAuditConcurrent(t *testing.T, s parley.Store) {
	const workers, per = 8, 6
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := map[int64]string{}
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; {
				n, err := s.AuditSize(ctx(t))
				if err != nil {
					errs <- err
					return
				}
				rec := fmt.Sprintf("w%d-%d", w, i)
				err = s.AppendAudit(ctx(t), n, []byte(rec), []byte("p"+rec), 1000*n, hashesFor(n, 1))
				switch {
				case err == nil:
					mu.Lock()
					if prev, dup := wins[n]; dup {
						mu.Unlock()
						errs <- fmt.Errorf("record %d appended twice (%s and %s)", n, prev, rec)
						return
					}
					wins[n] = rec
					mu.Unlock()
					i++
				case parley.IsKind(err, parley.KindConflict):
					time.Sleep(time.Millisecond) // lost the race; try again at the new size
				default:
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	size, err := s.AuditSize(ctx(t))
	ok(t, "size", err)
	if size != workers*per || len(wins) != workers*per {
		t.Fatalf("size %d, %d successful appends, want %d", size, len(wins), workers*per)
	}
	recs, err := s.ReadAuditRecords(ctx(t), 0, size)
	ok(t, "read", err)
	for n, rec := range recs {
		if string(rec) != wins[int64(n)] {
			t.Fatalf("record %d is %q, want %q", n, rec, wins[int64(n)])
		}
	}
}

// testConcurrentWriters mixes writes to every table from several goroutines: none may fail
// (in particular not with a database-busy error).
func testConcurrentWriters(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 15 {
				id := fmt.Sprintf("w%d-%d", w, i)
				steps := []func() error{
					func() error {
						return s.CreateInmate(ctx(t), &parley.Inmate{FacilityID: "f1", ID: id, Name: "N " + id})
					},
					func() error {
						return s.CreateCall(ctx(t), &parley.CallRecord{ID: "c-" + id, FacilityID: "f1", InmateID: id,
							Number: parley.Number(fmt.Sprintf("+1555888%02d%02d", w, i)), StartedAt: base, Status: parley.CallAttempted})
					},
					func() error {
						return s.CreateRecording(ctx(t), recording("r-"+id, "c-"+id, "f1", fmt.Sprintf("f1/w%d", w), 1, base))
					},
					func() error { return s.FinishRecording(ctx(t), "r-"+id, parley.RecordingComplete, 1, base) },
					func() error { return s.SetInmateDoNotRecord(ctx(t), "f1", id, true) },
				}
				for _, step := range steps {
					if err := step(); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	inmates, err := s.ListInmates(ctx(t), "f1")
	ok(t, "list", err)
	if len(inmates) != 6*15 {
		t.Fatalf("%d inmates, want %d", len(inmates), 6*15)
	}
}
