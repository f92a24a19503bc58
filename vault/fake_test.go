package vault

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/file"
	"parley.dev/parley/keydir"
)

// fakeStore is an in-memory parley.RecordingService with the contract's conflict rules.
type fakeStore struct {
	mu    sync.Mutex
	recs  map[string]*parley.Recording
	gens  map[string]int
	calls map[string]int // method -> count
}

var _ parley.RecordingService = (*fakeStore)(nil)

func newFakeStore() *fakeStore {
	return &fakeStore{recs: map[string]*parley.Recording{}, gens: map[string]int{}, calls: map[string]int{}}
}

func cloneRec(r *parley.Recording) *parley.Recording {
	c := *r
	c.WrappedDEK = slices.Clone(r.WrappedDEK)
	return &c
}

// snapshot returns a deep copy of the store (a "backup" of the database).
func (s *fakeStore) snapshot() map[string]*parley.Recording {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]*parley.Recording{}
	for id, r := range s.recs {
		out[id] = cloneRec(r)
	}
	return out
}

// backup is a deep copy of the whole store, restorable with restore.
type backup struct {
	recs map[string]*parley.Recording
	gens map[string]int
}

// backup copies the store's state ("a database backup").
func (s *fakeStore) backup() backup {
	recs := s.snapshot()
	s.mu.Lock()
	defer s.mu.Unlock()
	gens := map[string]int{}
	for p, g := range s.gens {
		gens[p] = g
	}
	return backup{recs: recs, gens: gens}
}

// restore replaces the store's state with a backup ("a database restore").
func (s *fakeStore) restore(b backup) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs, s.gens = map[string]*parley.Recording{}, map[string]int{}
	for id, r := range b.recs {
		s.recs[id] = cloneRec(r)
	}
	for p, g := range b.gens {
		s.gens[p] = g
	}
}

func (s *fakeStore) CreateRecording(ctx context.Context, r *parley.Recording) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["CreateRecording"]++
	if _, ok := s.recs[r.ID]; ok {
		return parley.Errorf("fake.CreateRecording", parley.KindConflict, "id exists")
	}
	if g, ok := s.gens[r.Period]; ok && g != r.KeyGen {
		return parley.Errorf("fake.CreateRecording", parley.KindConflict, "stale generation")
	}
	s.gens[r.Period] = r.KeyGen
	s.recs[r.ID] = cloneRec(r)
	return nil
}

func (s *fakeStore) FindRecording(ctx context.Context, id string) (*parley.Recording, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recs[id]
	if !ok {
		return nil, parley.Errorf("fake.FindRecording", parley.KindNotFound, "no recording")
	}
	return cloneRec(r), nil
}

func (s *fakeStore) FinishRecording(ctx context.Context, id string, st parley.RecordingStatus, size int64, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recs[id]
	if !ok {
		return parley.Errorf("fake.FinishRecording", parley.KindNotFound, "no recording")
	}
	if r.Status == parley.RecordingShredded {
		return parley.Errorf("fake.FinishRecording", parley.KindDestroyed, "destroyed")
	}
	r.Status, r.Size, r.CompletedAt = st, size, at
	return nil
}

func (s *fakeStore) SetLegalHold(ctx context.Context, id string, hold bool, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recs[id]
	if !ok {
		return parley.Errorf("fake.SetLegalHold", parley.KindNotFound, "no recording")
	}
	if r.Status == parley.RecordingShredded {
		return parley.Errorf("fake.SetLegalHold", parley.KindDestroyed, "destroyed")
	}
	r.LegalHold, r.HoldReason = hold, reason
	return nil
}

func (s *fakeStore) PeriodGeneration(ctx context.Context, period string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gens[period], nil
}

func (s *fakeStore) ListPeriods(ctx context.Context) (map[string]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for p, g := range s.gens {
		out[p] = g
	}
	return out, nil
}

func (s *fakeStore) ListPeriodRecordings(ctx context.Context, period string) ([]*parley.Recording, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*parley.Recording
	for _, r := range s.recs {
		if r.Period == period && r.Status != parley.RecordingShredded {
			out = append(out, cloneRec(r))
		}
	}
	return out, nil
}

func (s *fakeStore) FindRecordingsByNumber(ctx context.Context, n parley.Number) ([]*parley.Recording, error) {
	return nil, errors.New("not implemented")
}

func (s *fakeStore) FindExpiredRecordings(ctx context.Context, facilityID string, class parley.RecordClass, before time.Time, limit int) ([]*parley.Recording, error) {
	return nil, errors.New("not implemented")
}

func (s *fakeStore) FindStaleWriting(ctx context.Context, before time.Time) ([]*parley.Recording, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*parley.Recording
	for _, r := range s.recs {
		touched := r.TouchedAt
		if touched.IsZero() {
			touched = r.CreatedAt
		}
		if r.Status == parley.RecordingWriting && touched.Before(before) {
			out = append(out, cloneRec(r))
		}
	}
	return out, nil
}

func (s *fakeStore) TouchRecording(ctx context.Context, id string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recs[id]
	if !ok || r.Status != parley.RecordingWriting {
		return parley.Errorf("fake.TouchRecording", parley.KindNotFound, "no recording being written")
	}
	r.TouchedAt = at
	return nil
}

// FindOrphanRecordings: the fake has no call records, so every imported recording that is
// truncated, or complete before the cutoff, is an orphan.
func (s *fakeStore) FindOrphanRecordings(ctx context.Context, before time.Time) ([]*parley.Recording, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*parley.Recording
	for _, r := range s.recs {
		if r.Class == parley.ClassImported && (r.Status == parley.RecordingTruncated ||
			r.Status == parley.RecordingComplete && r.CompletedAt.Before(before) &&
				!r.CompletedAt.Before(before.Add(-parley.OrphanWindow))) {
			out = append(out, cloneRec(r))
		}
	}
	return out, nil
}

func (s *fakeStore) ShredPeriod(ctx context.Context, sh parley.PeriodShred) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gens[sh.Period] != sh.FromGen || sh.ToGen <= sh.FromGen { // as sqldb: Heal may skip generations
		return parley.Errorf("fake.ShredPeriod", parley.KindConflict, "generation moved")
	}
	for id, r := range s.recs {
		if r.Period != sh.Period || r.Status == parley.RecordingShredded || slices.Contains(sh.Destroyed, id) {
			continue
		}
		if _, ok := sh.Rewrapped[id]; !ok {
			return parley.Errorf("fake.ShredPeriod", parley.KindConflict, "survivor missing")
		}
	}
	for id, w := range sh.Rewrapped {
		s.recs[id].WrappedDEK = slices.Clone(w)
		s.recs[id].KeyGen = sh.ToGen
	}
	for _, id := range sh.Destroyed {
		r := s.recs[id]
		r.WrappedDEK, r.Status, r.DestroyReason, r.DestroyedAt = nil, parley.RecordingShredded, sh.Reason, sh.At
	}
	s.gens[sh.Period] = sh.ToGen
	return nil
}

// fakeAuditor records events; fail makes Audit fail.
type fakeAuditor struct {
	mu     sync.Mutex
	events []parley.AuditEvent
	fail   bool
}

func (a *fakeAuditor) Audit(ctx context.Context, e parley.AuditEvent) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail {
		return parley.Errorf("fake.Audit", parley.KindUnavailable, "audit log down")
	}
	a.events = append(a.events, e)
	return nil
}

func (a *fakeAuditor) setFail(b bool) { a.mu.Lock(); a.fail = b; a.mu.Unlock() }

func (a *fakeAuditor) list() []parley.AuditEvent {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.events)
}

// fakeGate answers from a function of the call count (1 = the first question).
type fakeGate struct {
	mu     sync.Mutex
	n      int
	answer func(n int) parley.RecordVerdict
}

func (g *fakeGate) MayRecord(ctx context.Context, p parley.CallParties) (parley.RecordVerdict, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n++
	if g.answer == nil {
		return parley.RecordVerdict{Record: true}, nil
	}
	return g.answer(g.n), nil
}

// env is a vault on the real keydir and file packages.
type env struct {
	v       *Vault
	store   *fakeStore
	blobs   *file.Store
	keys    *keydir.Dir
	audit   *fakeAuditor
	gate    *fakeGate
	blobDir string
	keyDir  string
	cfg     Config
}

var testNow = time.Date(2026, 11, 23, 19, 50, 0, 0, time.UTC)

const testPeriod = "cnty-jail/2026-11-23"

func newEnv(tb testing.TB, chunkSize int) *env {
	tb.Helper()
	root := tb.TempDir()
	e := &env{store: newFakeStore(), audit: &fakeAuditor{}, gate: &fakeGate{},
		blobDir: filepath.Join(root, "data", "blobs"), keyDir: filepath.Join(root, "keys")}
	var err error
	if e.blobs, err = file.Open(e.blobDir); err != nil {
		tb.Fatal(err)
	}
	if e.keys, err = keydir.Open(e.keyDir, nil, nil); err != nil {
		tb.Fatal(err)
	}
	e.cfg = Config{Store: e.store, Blobs: e.blobs, PeriodKeys: e.keys, Gate: e.gate, Auditor: e.audit,
		Now: func() time.Time { return testNow }, ChunkSize: chunkSize}
	if e.v, err = New(e.cfg); err != nil {
		tb.Fatal(err)
	}
	return e
}

var parties = parley.CallParties{FacilityID: "cnty-jail", InmateID: "inm-1", Number: "+15551234567"}
