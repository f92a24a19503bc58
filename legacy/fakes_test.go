package legacy_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/legacy"
)

var _ legacy.ImportStore = parley.Store(nil)

var errDown = errors.New("service down")

type fakeStore struct {
	mu         sync.Mutex
	facilities map[string]bool
	calls      map[string]*parley.CallRecord // by id
	byKey      map[string]string             // import key -> id
	errCreate  error
}

func newFakeStore() *fakeStore {
	return &fakeStore{facilities: map[string]bool{"cnty-jail": true}, calls: map[string]*parley.CallRecord{}, byKey: map[string]string{}}
}

func (s *fakeStore) FindFacility(ctx context.Context, id string) (*parley.Facility, error) {
	if !s.facilities[id] {
		return nil, parley.Errorf("fake", parley.KindNotFound, "no facility")
	}
	return &parley.Facility{ID: id}, nil
}

func (s *fakeStore) CreateCall(ctx context.Context, c *parley.CallRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.errCreate != nil {
		return s.errCreate
	}
	if c.ImportKey != "" {
		if _, ok := s.byKey[c.ImportKey]; ok {
			return parley.Errorf("fake", parley.KindConflict, "exists")
		}
		s.byKey[c.ImportKey] = c.ID
	}
	cp := *c
	s.calls[c.ID] = &cp
	return nil
}

func (s *fakeStore) UpdateCall(ctx context.Context, c *parley.CallRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.calls[c.ID]; !ok {
		return parley.Errorf("fake", parley.KindNotFound, "no call")
	}
	cp := *c
	s.calls[c.ID] = &cp
	return nil
}

func (s *fakeStore) FindCalls(ctx context.Context, f parley.CallFilter) ([]*parley.CallRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*parley.CallRecord
	for _, c := range s.calls {
		if c.Number == f.Number && c.FacilityID == f.FacilityID && (f.InmateID == "" || c.InmateID == f.InmateID) &&
			!c.StartedAt.Before(f.From) && c.StartedAt.Before(f.To) {
			cp := *c
			out = append(out, &cp)
		}
	}
	return out, nil
}

// fakeGate refuses privileged numbers.
type fakeGate struct {
	privileged map[parley.Number]bool
	err        error
}

func (g *fakeGate) MayRecord(ctx context.Context, p parley.CallParties) (parley.RecordVerdict, error) {
	if g.err != nil {
		return parley.RecordVerdict{}, g.err
	}
	if g.privileged[p.Number] {
		return parley.RecordVerdict{Reason: "privileged_number"}, nil
	}
	return parley.RecordVerdict{Record: true}, nil
}

// fakeRecorder consults its own privileged set (like the vault re-checking the gate) and
// keeps what each writer received.
type fakeRecorder struct {
	mu         sync.Mutex
	privileged map[parley.Number]bool
	calls      []string    // call ids asked for
	at         []time.Time // the start time asked for, per call
	writers    []*fakeWriter
	failWrite  bool
}

func (r *fakeRecorder) RecordAt(ctx context.Context, callID string, p parley.CallParties, class parley.RecordClass, at time.Time) (legacy.RecordingWriter, parley.RecordVerdict, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, callID)
	r.at = append(r.at, at)
	if class != parley.ClassImported {
		return nil, parley.RecordVerdict{}, errors.New("wrong class")
	}
	if r.privileged[p.Number] {
		return nil, parley.RecordVerdict{Reason: "privileged_number"}, nil
	}
	w := &fakeWriter{id: "rec-" + callID, number: p.Number, failWrite: r.failWrite}
	r.writers = append(r.writers, w)
	return w, parley.RecordVerdict{Record: true}, nil
}

// bytesTo returns how many bytes writers for number n received.
func (r *fakeRecorder) bytesTo(n parley.Number) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	total := 0
	for _, w := range r.writers {
		if w.number == n {
			total += w.buf.Len()
		}
	}
	return total
}

type fakeWriter struct {
	id              string
	number          parley.Number
	buf             bytes.Buffer
	closed, aborted bool
	failWrite       bool
}

func (w *fakeWriter) Write(p []byte) (int, error) {
	if w.failWrite {
		return 0, errDown
	}
	return w.buf.Write(p)
}
func (w *fakeWriter) Close() error { w.closed = true; return nil }
func (w *fakeWriter) Abort() error { w.aborted = true; return nil }
func (w *fakeWriter) ID() string   { return w.id }

// fakeAuditor keeps events. With err set it is down; with failFrom > 0 it takes
// failFrom-1 events, then goes down (the log failing in the middle of an import).
type fakeAuditor struct {
	mu       sync.Mutex
	events   []parley.AuditEvent
	err      error
	failFrom int
}

func (a *fakeAuditor) Audit(ctx context.Context, e parley.AuditEvent) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return a.err
	}
	if a.failFrom > 0 && len(a.events)+1 >= a.failFrom {
		return errDown
	}
	a.events = append(a.events, e)
	return nil
}

type fixture struct {
	store    *fakeStore
	gate     *fakeGate
	recorder *fakeRecorder
	auditor  *fakeAuditor
	im       *legacy.Importer
	dir      string
}

const (
	attorney parley.Number = "+12015550123"
	family   parley.Number = "+14155552671"
)

// wav is a minimal WAV header followed by a little audio.
var wav = append([]byte("RIFF\x24\x00\x00\x00WAVEfmt "), bytes.Repeat([]byte{0x7f}, 64)...)

func newFixture(t testing.TB) *fixture {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, data []byte) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("a.wav", wav)
	write("sub/b.wav", wav)
	write("priv.wav", wav)
	write("notes.txt", []byte("this is not audio at all"))
	write("empty.wav", nil)
	os.Mkdir(filepath.Join(dir, "adir"), 0o700)
	outside := filepath.Join(t.TempDir(), "outside.wav")
	if err := os.WriteFile(outside, wav, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "escape.wav")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a.wav", filepath.Join(dir, "inside-link.wav")); err != nil {
		t.Fatal(err)
	}
	return withFakes(dir)
}

// withFakes returns a fixture with fresh fakes over an existing recordings directory.
func withFakes(dir string) *fixture {
	f := &fixture{
		store:    newFakeStore(),
		gate:     &fakeGate{privileged: map[parley.Number]bool{attorney: true}},
		recorder: &fakeRecorder{privileged: map[parley.Number]bool{attorney: true}},
		auditor:  &fakeAuditor{},
		dir:      dir,
	}
	f.im = &legacy.Importer{Store: f.store, Gate: f.gate, Recorder: f.recorder, Auditor: f.auditor,
		Logger: slog.New(slog.DiscardHandler), DefaultRegion: "US"}
	return f
}
