package privilege_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/privilege"
)

// The real store satisfies the registry's subset.
var _ privilege.RegistryStore = parley.Store(nil)

type fakeStore struct {
	mu         sync.Mutex
	privileged map[parley.Number]*parley.PrivilegedNumber
	inmates    map[string]*parley.Inmate // facility/id
	devices    map[string]*parley.Device
	calls      map[parley.Number]int // calls per number
	marked     map[parley.Number]bool
	recordings map[parley.Number][]string
	claims     map[string][]parley.PrivilegeClaim // entry id -> claims

	errFindPrivileged, errFindInmate, errFindDevice, errCreate error
}

func newFakeStore() *fakeStore {
	return &fakeStore{
		privileged: map[parley.Number]*parley.PrivilegedNumber{},
		inmates:    map[string]*parley.Inmate{},
		devices:    map[string]*parley.Device{},
		calls:      map[parley.Number]int{},
		marked:     map[parley.Number]bool{},
		recordings: map[parley.Number][]string{},
		claims:     map[string][]parley.PrivilegeClaim{},
	}
}

var errDown = errors.New("database is down")

func notFound() error { return parley.Errorf("fake", parley.KindNotFound, "not found") }

func (s *fakeStore) CreatePrivileged(ctx context.Context, p *parley.PrivilegedNumber) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.errCreate != nil {
		return s.errCreate
	}
	if _, ok := s.privileged[p.Number]; ok {
		return parley.Errorf("fake", parley.KindConflict, "exists")
	}
	c := *p
	if c.ID == "" {
		c.ID = fmt.Sprintf("%032x", len(s.privileged)+1)
		p.ID = c.ID
	}
	s.privileged[p.Number] = &c
	s.claims[c.ID] = []parley.PrivilegeClaim{{Source: p.Source, Holder: p.Holder}}
	return nil
}

func (s *fakeStore) AddPrivilegedClaim(ctx context.Context, id string, c parley.PrivilegeClaim, actor string, at time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	exists := false
	for _, p := range s.privileged {
		exists = exists || p.ID == id
	}
	if !exists {
		return false, notFound()
	}
	cs := s.claims[id]
	if slices.Contains(cs, c) {
		return false, nil
	}
	s.claims[id] = append(cs, c)
	return true, nil
}

func (s *fakeStore) RemovePrivilegedClaim(ctx context.Context, id string, c parley.PrivilegeClaim) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.claims[id]
	i := slices.Index(cs, c)
	if i < 0 {
		return false, notFound()
	}
	cs = slices.Delete(cs, i, i+1)
	s.claims[id] = cs
	if len(cs) > 0 {
		return false, nil
	}
	delete(s.claims, id)
	for n, p := range s.privileged {
		if p.ID == id {
			delete(s.privileged, n)
		}
	}
	return true, nil
}

func (s *fakeStore) ListPrivilegedClaims(ctx context.Context, id string) ([]parley.PrivilegeClaim, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.claims[id]), nil
}

func (s *fakeStore) FindPrivileged(ctx context.Context, n parley.Number) (*parley.PrivilegedNumber, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.errFindPrivileged != nil {
		return nil, s.errFindPrivileged
	}
	p, ok := s.privileged[n]
	if !ok {
		return nil, notFound()
	}
	c := *p
	return &c, nil
}

func (s *fakeStore) ListPrivileged(ctx context.Context) ([]*parley.PrivilegedNumber, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*parley.PrivilegedNumber
	for _, p := range s.privileged {
		out = append(out, p)
	}
	return out, nil
}

func (s *fakeStore) FindInmate(ctx context.Context, facilityID, inmateID string) (*parley.Inmate, error) {
	if s.errFindInmate != nil {
		return nil, s.errFindInmate
	}
	if in, ok := s.inmates[facilityID+"/"+inmateID]; ok {
		return in, nil
	}
	return nil, notFound()
}

func (s *fakeStore) FindDevice(ctx context.Context, facilityID, deviceID string) (*parley.Device, error) {
	if s.errFindDevice != nil {
		return nil, s.errFindDevice
	}
	if d, ok := s.devices[facilityID+"/"+deviceID]; ok {
		return d, nil
	}
	return nil, notFound()
}

func (s *fakeStore) MarkCallsPrivileged(ctx context.Context, n parley.Number) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.marked[n] {
		return 0, nil
	}
	s.marked[n] = true
	return s.calls[n], nil
}

func (s *fakeStore) FindRecordingsByNumber(ctx context.Context, n parley.Number) ([]*parley.Recording, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*parley.Recording
	for _, id := range s.recordings[n] {
		out = append(out, &parley.Recording{ID: id})
	}
	return out, nil
}

// fakeDestroyer records what it destroys and removes it from the store.
type fakeDestroyer struct {
	mu    sync.Mutex
	store *fakeStore
	got   []string
	err   error
}

func (d *fakeDestroyer) Destroy(ctx context.Context, ids []string, reason string) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return 0, d.err
	}
	if reason != privilege.DestroyReason {
		return 0, errors.New("unexpected reason " + reason)
	}
	d.got = append(d.got, ids...)
	d.store.mu.Lock()
	defer d.store.mu.Unlock()
	for n, recs := range d.store.recordings {
		d.store.recordings[n] = slices.DeleteFunc(recs, func(id string) bool { return slices.Contains(ids, id) })
	}
	return len(ids), nil
}

type fakeAuditor struct {
	mu     sync.Mutex
	events []parley.AuditEvent
	err    error
}

func (a *fakeAuditor) Audit(ctx context.Context, e parley.AuditEvent) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return a.err
	}
	a.events = append(a.events, e)
	return nil
}

func (a *fakeAuditor) actions() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, e := range a.events {
		out = append(out, e.Action)
	}
	return out
}

type fixture struct {
	store     *fakeStore
	destroyer *fakeDestroyer
	auditor   *fakeAuditor
	reg       *privilege.Registry
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	s := newFakeStore()
	f := &fixture{store: s, destroyer: &fakeDestroyer{store: s}, auditor: &fakeAuditor{}}
	f.reg = privilege.New(s, f.destroyer, f.auditor, slog.New(slog.DiscardHandler))
	return f
}
