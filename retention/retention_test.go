package retention

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"parley.dev/parley"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// daysAgo returns now minus d days.
func daysAgo(d int) time.Time { return now.AddDate(0, 0, -d) }

type fakeFacilities struct {
	parley.FacilityService // unused methods panic
	list                   []*parley.Facility
}

func (f *fakeFacilities) ListFacilities(ctx context.Context) ([]*parley.Facility, error) {
	return f.list, nil
}

// fakeRecordings holds recordings and honours the FindExpiredRecordings contract.
type fakeRecordings struct {
	parley.RecordingService // unused methods panic
	mu                      sync.Mutex
	recs                    map[string]*parley.Recording
	limits                  []int
}

func (f *fakeRecordings) add(id, facility string, class parley.RecordClass, created time.Time, hold bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.recs == nil {
		f.recs = map[string]*parley.Recording{}
	}
	f.recs[id] = &parley.Recording{ID: id, FacilityID: facility, Class: class, CreatedAt: created,
		LegalHold: hold, Status: parley.RecordingComplete}
}

func (f *fakeRecordings) FindExpiredRecordings(ctx context.Context, facilityID string, class parley.RecordClass, before time.Time, limit int) ([]*parley.Recording, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limits = append(f.limits, limit)
	var out []*parley.Recording
	for _, r := range f.recs {
		if r.FacilityID == facilityID && r.Class == class && r.CreatedAt.Before(before) &&
			!r.LegalHold && r.Status != parley.RecordingShredded {
			c := *r
			out = append(out, &c)
		}
	}
	slices.SortFunc(out, func(a, b *parley.Recording) int { return cmp.Compare(a.ID, b.ID) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// destroyed returns the ids destroyed, sorted.
func (f *fakeRecordings) destroyed() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for id, r := range f.recs {
		if r.Status == parley.RecordingShredded {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// fakeDestroyer shreds recordings in a fakeRecordings.
type fakeDestroyer struct {
	recs    *fakeRecordings
	batches [][]string
	reasons []string
	actors  []string                 // the actor each Destroy's context carried
	fail    func(ids []string) error // if it returns an error, nothing is destroyed
	noop    bool                     // destroy nothing and report 0
	after   func()                   // runs after each call
}

func (d *fakeDestroyer) Destroy(ctx context.Context, ids []string, reason string) (int, error) {
	d.batches = append(d.batches, slices.Clone(ids))
	d.reasons = append(d.reasons, reason)
	d.actors = append(d.actors, parley.ActorFromContext(ctx))
	if d.after != nil {
		defer d.after()
	}
	if d.fail != nil {
		if err := d.fail(ids); err != nil {
			return 0, err
		}
	}
	if d.noop {
		return 0, nil
	}
	d.recs.mu.Lock()
	defer d.recs.mu.Unlock()
	n := 0
	for _, id := range ids {
		if r := d.recs.recs[id]; r != nil && r.Status != parley.RecordingShredded {
			r.Status, r.DestroyReason, r.WrappedDEK = parley.RecordingShredded, reason, nil
			n++
		}
	}
	return n, nil
}

// fakeAuditor records events; it fails from event number failFrom (0-based) on, if set.
type fakeAuditor struct {
	events   []parley.AuditEvent
	failFrom int // -1: never fail
	calls    int
}

func (a *fakeAuditor) Audit(ctx context.Context, e parley.AuditEvent) error {
	a.calls++
	if a.failFrom >= 0 && a.calls > a.failFrom {
		return parley.Errorf("fake.Audit", parley.KindUnavailable, "audit log down")
	}
	a.events = append(a.events, e)
	return nil
}

type fixture struct {
	job   *Job
	recs  *fakeRecordings
	dest  *fakeDestroyer
	audit *fakeAuditor
}

func newFixture(facilities ...*parley.Facility) *fixture {
	recs := &fakeRecordings{}
	f := &fixture{recs: recs, dest: &fakeDestroyer{recs: recs}, audit: &fakeAuditor{failFrom: -1}}
	f.job = &Job{Facilities: &fakeFacilities{list: facilities}, Recordings: recs, Destroyer: f.dest,
		Auditor: f.audit, Now: func() time.Time { return now }}
	return f
}

func TestRunHonoursRetention(t *testing.T) {
	a := &parley.Facility{ID: "cnty-jail", ClassRetentionDays: map[parley.RecordClass]int{parley.ClassImported: 30}}
	b := &parley.Facility{ID: "state-pen", RetentionDays: 90}
	f := newFixture(a, b)
	f.recs.add("a-call-old", "cnty-jail", parley.ClassCall, daysAgo(parley.DefaultRetentionDays+1), false)
	f.recs.add("a-call-new", "cnty-jail", parley.ClassCall, daysAgo(parley.DefaultRetentionDays-1), false)
	f.recs.add("a-call-held", "cnty-jail", parley.ClassCall, daysAgo(1000), true)
	f.recs.add("a-imp-old", "cnty-jail", parley.ClassImported, daysAgo(31), false)
	f.recs.add("a-imp-new", "cnty-jail", parley.ClassImported, daysAgo(29), false)
	f.recs.add("a-video-old", "cnty-jail", parley.ClassVideo, daysAgo(parley.DefaultRetentionDays+1), false)
	f.recs.add("a-video-mid", "cnty-jail", parley.ClassVideo, daysAgo(100), false)
	f.recs.add("b-call-old", "state-pen", parley.ClassCall, daysAgo(91), false)
	f.recs.add("b-call-new", "state-pen", parley.ClassCall, daysAgo(89), false)
	f.recs.add("b-video-old", "state-pen", parley.ClassVideo, daysAgo(100), false)
	f.recs.add("b-imp-mid", "state-pen", parley.ClassImported, daysAgo(60), false)

	// Started by an operator, the run still destroys as the retention job.
	res, err := f.job.Run(parley.NewContextWithActor(context.Background(), "cli:operator"))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range f.dest.actors {
		if a != Actor {
			t.Errorf("destroyed as %q, want %q", a, Actor)
		}
	}
	want := []string{"a-call-old", "a-imp-old", "a-video-old", "b-call-old", "b-video-old"}
	if got := f.recs.destroyed(); !slices.Equal(got, want) {
		t.Errorf("destroyed %v, want %v", got, want)
	}
	if res.Destroyed != 5 || res.PerFacility["cnty-jail"] != 3 || res.PerFacility["state-pen"] != 2 {
		t.Errorf("result = %+v", res)
	}
	for _, r := range f.dest.reasons {
		if r != "retention" {
			t.Errorf("destroy reason %q", r)
		}
	}
	ev := f.audit.events
	if len(ev) < 2 || !strings.HasPrefix(ev[0].Detail, "start") || ev[len(ev)-1].Detail != "end destroyed=5" {
		t.Fatalf("audit events = %+v", ev)
	}
	for _, e := range ev {
		if e.Actor != Actor || e.Action != "retention.run" || e.Outcome != parley.OutcomeOK {
			t.Errorf("audit event %+v", e)
		}
		if strings.Contains(e.Detail, "old") || strings.Contains(e.Object, "old") {
			t.Errorf("audit event names a recording: %+v", e)
		}
	}
}

func TestRunSkipsLegalHold(t *testing.T) {
	f := newFixture(&parley.Facility{ID: "jail", RetentionDays: 10})
	f.recs.add("held", "jail", parley.ClassCall, daysAgo(500), true)
	f.recs.add("free", "jail", parley.ClassCall, daysAgo(500), false)
	got, _ := f.recs.FindExpiredRecordings(context.Background(), "jail", parley.ClassCall, now, 10)
	if len(got) != 1 || got[0].ID != "free" {
		t.Fatalf("fake FindExpiredRecordings returned %d recordings, want only the one not held", len(got))
	}
	if _, err := f.job.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := f.recs.destroyed(); !slices.Equal(d, []string{"free"}) {
		t.Errorf("destroyed %v, want only the recording not on hold", d)
	}
}

func TestRunAuditFailureDestroysNothing(t *testing.T) {
	f := newFixture(&parley.Facility{ID: "jail", RetentionDays: 10})
	f.recs.add("r1", "jail", parley.ClassCall, daysAgo(50), false)
	f.audit.failFrom = 0
	_, err := f.job.Run(context.Background())
	if !parley.IsKind(err, parley.KindUnavailable) {
		t.Errorf("error = %v, want unavailable", err)
	}
	if len(f.dest.batches) != 0 || len(f.recs.destroyed()) != 0 {
		t.Error("recordings destroyed although the audit log could not be written")
	}
}

func TestRunStopsWhenAuditFailsMidRun(t *testing.T) {
	f := newFixture(&parley.Facility{ID: "jail", RetentionDays: 10})
	for i := range 5 {
		f.recs.add(fmt.Sprintf("r%d", i), "jail", parley.ClassCall, daysAgo(50), false)
	}
	f.job.BatchSize = 2
	f.audit.failFrom = 2 // start and the first batch are logged, the second batch is not
	res, err := f.job.Run(context.Background())
	if !parley.IsKind(err, parley.KindUnavailable) {
		t.Errorf("error = %v, want unavailable", err)
	}
	if len(f.dest.batches) != 1 || res.Destroyed != 2 || len(f.recs.destroyed()) != 2 {
		t.Errorf("destroyed %v in %d batches, want only the first audited batch", f.recs.destroyed(), len(f.dest.batches))
	}
}

func TestRunBatches(t *testing.T) {
	f := newFixture(&parley.Facility{ID: "jail", RetentionDays: 10})
	for i := range 250 {
		f.recs.add(fmt.Sprintf("r%03d", i), "jail", parley.ClassCall, daysAgo(11+i%5), false)
	}
	f.recs.add("recent", "jail", parley.ClassCall, daysAgo(9), false)
	res, err := f.job.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, b := range f.dest.batches {
		sizes = append(sizes, len(b))
	}
	if !slices.Equal(sizes, []int{100, 100, 50}) {
		t.Errorf("batch sizes %v, want [100 100 50]", sizes)
	}
	for _, l := range f.recs.limits {
		if l != DefaultBatchSize {
			t.Errorf("FindExpiredRecordings limit %d, want %d", l, DefaultBatchSize)
		}
	}
	if res.Destroyed != 250 || len(f.recs.destroyed()) != 250 {
		t.Errorf("destroyed %d, want 250", res.Destroyed)
	}
}

func TestRunContinuesAfterDestroyError(t *testing.T) {
	f := newFixture(&parley.Facility{ID: "a", RetentionDays: 10}, &parley.Facility{ID: "b", RetentionDays: 10})
	f.recs.add("a1", "a", parley.ClassCall, daysAgo(50), false)
	f.recs.add("b1", "b", parley.ClassCall, daysAgo(50), false)
	boom := errors.New("key directory unavailable")
	f.dest.fail = func(ids []string) error {
		if ids[0] == "a1" {
			return boom
		}
		return nil
	}
	res, err := f.job.Run(context.Background())
	if !errors.Is(err, boom) {
		t.Errorf("error = %v, want the destroyer's error", err)
	}
	if d := f.recs.destroyed(); !slices.Equal(d, []string{"b1"}) || res.Destroyed != 1 {
		t.Errorf("destroyed %v, want [b1]", d)
	}
	last := f.audit.events[len(f.audit.events)-1]
	if last.Outcome != parley.OutcomeError {
		t.Errorf("last audit event %+v, want outcome error", last)
	}
}

func TestRunNoProgress(t *testing.T) {
	f := newFixture(&parley.Facility{ID: "jail", RetentionDays: 10})
	f.recs.add("r1", "jail", parley.ClassCall, daysAgo(50), false)
	f.dest.noop = true
	if _, err := f.job.Run(context.Background()); err == nil {
		t.Error("Run succeeded although the destroyer destroyed nothing")
	}
	if len(f.dest.batches) != 1 {
		t.Errorf("%d destroy calls, want 1", len(f.dest.batches))
	}
}

func TestLoopStopsWhenCancelled(t *testing.T) {
	f := newFixture(&parley.Facility{ID: "jail", RetentionDays: 10})
	f.recs.add("r1", "jail", parley.ClassCall, daysAgo(50), false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.dest.after = cancel
	done := make(chan struct{})
	go func() {
		f.job.Loop(ctx, time.Hour)
		close(done)
	}()
	<-done
	if d := f.recs.destroyed(); !slices.Equal(d, []string{"r1"}) {
		t.Errorf("destroyed %v, want [r1]", d)
	}
}
