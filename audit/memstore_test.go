package audit

import (
	"context"
	"slices"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"
	"parley.dev/parley"
)

// memStore is an in-memory parley.AuditStore. Its fields are exported to the tests so they
// can tamper with the raw data the way someone with database access could.
type memStore struct {
	mu         sync.Mutex
	records    [][]byte
	proofs     [][]byte
	hashes     map[int64][32]byte
	checkpoint []byte

	failAppend     error // returned by AppendAudit if set
	failCheckpoint error // returned by SaveAuditCheckpoint if set
	// beforeAppend, if set, runs (without the lock) before each AppendAudit; afterAppend
	// right after a successful one.
	beforeAppend, afterAppend func()
}

func newMemStore() *memStore { return &memStore{hashes: map[int64][32]byte{}} }

func (s *memStore) AppendAudit(ctx context.Context, n int64, record, proof []byte, firstHash int64, hashes [][32]byte) error {
	if f := s.beforeAppend; f != nil {
		f()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failAppend != nil {
		return s.failAppend
	}
	if n != int64(len(s.records)) {
		return parley.Errorf("mem.AppendAudit", parley.KindConflict, "record %d exists or is not next", n)
	}
	s.records = append(s.records, slices.Clone(record))
	s.proofs = append(s.proofs, slices.Clone(proof))
	for i, h := range hashes {
		s.hashes[firstHash+int64(i)] = h
	}
	if f := s.afterAppend; f != nil {
		f()
	}
	return nil
}

func (s *memStore) AuditSize(ctx context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(len(s.records)), nil
}

func (s *memStore) ReadAuditRecords(ctx context.Context, from, to int64) ([][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	to = min(to, int64(len(s.records)))
	var out [][]byte
	for i := from; i < to; i++ {
		out = append(out, slices.Clone(s.records[i]))
	}
	return out, nil
}

func (s *memStore) ReadAuditProofs(ctx context.Context, from, to int64) ([][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	to = min(to, int64(len(s.records)))
	var out [][]byte
	for i := from; i < to; i++ {
		var p []byte
		if i < int64(len(s.proofs)) {
			p = slices.Clone(s.proofs[i])
		}
		out = append(out, p)
	}
	return out, nil
}

func (s *memStore) SetAuditProof(ctx context.Context, n int64, proof []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n >= int64(len(s.records)) {
		return parley.Errorf("mem.SetAuditProof", parley.KindNotFound, "no record %d", n)
	}
	for int64(len(s.proofs)) < int64(len(s.records)) {
		s.proofs = append(s.proofs, nil)
	}
	if s.proofs[n] != nil {
		return parley.Errorf("mem.SetAuditProof", parley.KindConflict, "record %d has a proof", n)
	}
	s.proofs[n] = slices.Clone(proof)
	return nil
}

func (s *memStore) ReadAuditHashes(ctx context.Context, indexes []int64) ([][32]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][32]byte, len(indexes))
	for i, x := range indexes {
		h, ok := s.hashes[x]
		if !ok {
			return nil, parley.Errorf("mem.ReadAuditHashes", parley.KindNotFound, "no hash %d", x)
		}
		out[i] = h
	}
	return out, nil
}

func (s *memStore) SaveAuditCheckpoint(ctx context.Context, note []byte) error {
	if err := ctx.Err(); err != nil { // as a database would
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failCheckpoint != nil {
		return s.failCheckpoint
	}
	s.checkpoint = slices.Clone(note)
	return nil
}

func (s *memStore) AuditCheckpoint(ctx context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.checkpoint == nil {
		return nil, parley.Errorf("mem.AuditCheckpoint", parley.KindNotFound, "no checkpoint")
	}
	return slices.Clone(s.checkpoint), nil
}

// rehash recomputes every stored hash from the records, as an attacker rewriting history
// consistently would, and returns the new tree.
func (s *memStore) rehash() tlog.Tree {
	s.mu.Lock()
	defer s.mu.Unlock()
	var hs memHashes
	s.hashes = map[int64][32]byte{}
	for i, r := range s.records {
		more, err := tlog.StoredHashes(int64(i), r, hs)
		if err != nil {
			panic(err)
		}
		hs = append(hs, more...)
	}
	for i, h := range hs {
		s.hashes[int64(i)] = h
	}
	th, err := tlog.TreeHash(int64(len(s.records)), hs)
	if err != nil {
		panic(err)
	}
	return tlog.Tree{N: int64(len(s.records)), Hash: th}
}

// memPlace is an in-memory parley.AuditCheckpoints.
type memPlace struct {
	mu   sync.Mutex
	note []byte
}

func (p *memPlace) LatestAuditCheckpoint(ctx context.Context) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.note == nil {
		return nil, parley.Errorf("mem.LatestAuditCheckpoint", parley.KindNotFound, "no checkpoint")
	}
	return slices.Clone(p.note), nil
}

func (p *memPlace) UpdateAuditCheckpoint(ctx context.Context, update func(cur []byte) ([]byte, error)) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	next, err := update(slices.Clone(p.note))
	if err != nil || next == nil {
		return err
	}
	p.note = slices.Clone(next)
	return nil
}

// clone returns a copy of the store, as a backup of the database would be.
func (s *memStore) clone() *memStore {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := newMemStore()
	for _, r := range s.records {
		c.records = append(c.records, slices.Clone(r))
	}
	for _, p := range s.proofs {
		c.proofs = append(c.proofs, slices.Clone(p))
	}
	for k, v := range s.hashes {
		c.hashes[k] = v
	}
	c.checkpoint = slices.Clone(s.checkpoint)
	return c
}

// now is a fixed time for forged records.
func (s *memStore) now() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) }

// restore replaces the store's contents by a copy of b's, as restoring a backup would.
func (s *memStore) restore(b *memStore) {
	c := b.clone()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records, s.proofs, s.hashes, s.checkpoint = c.records, c.proofs, c.hashes, c.checkpoint
}
