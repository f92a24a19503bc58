package storetest

import (
	"bytes"
	"sort"
	"testing"
	"time"

	"parley.dev/parley"
)

func recording(id, callID, facilityID, period string, gen int, at time.Time) *parley.Recording {
	return &parley.Recording{ID: id, CallID: callID, FacilityID: facilityID, Class: parley.ClassCall, Period: period,
		KeyGen: gen, WrappedDEK: []byte("wrapped:" + id), Status: parley.RecordingWriting, CreatedAt: at}
}

func mustRecording(t *testing.T, s parley.Store, r *parley.Recording) *parley.Recording {
	t.Helper()
	ok(t, "CreateRecording", s.CreateRecording(ctx(t), r))
	return r
}

func recIDs(rs []*parley.Recording) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	sort.Strings(out)
	return out
}

func testRecordingLifecycle(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	r := recording("rec-1", "call-1", "f1", "f1/2026-11-23", 1, base)
	ok(t, "create", s.CreateRecording(ctx(t), r))
	got, err := s.FindRecording(ctx(t), "rec-1")
	ok(t, "find", err)
	want := *r
	want.CreatedAt = us(base)
	equal(t, "round trip", got, &want)
	gen, err := s.PeriodGeneration(ctx(t), "f1/2026-11-23")
	ok(t, "generation", err)
	if gen != 1 {
		t.Fatalf("generation %d, want 1", gen)
	}
	gen, err = s.PeriodGeneration(ctx(t), "unknown")
	ok(t, "unknown generation", err)
	if gen != 0 {
		t.Fatalf("unknown period generation %d, want 0", gen)
	}

	wantKind(t, "duplicate id", s.CreateRecording(ctx(t), recording("rec-1", "c", "f1", "f1/2026-11-23", 1, base)), parley.KindConflict)
	_, err = s.FindRecording(ctx(t), "nope")
	wantKind(t, "find missing", err, parley.KindNotFound)
	for name, mod := range map[string]func(r *parley.Recording){
		"class":  func(r *parley.Recording) { r.Class = "audio" },
		"id":     func(r *parley.Recording) { r.ID = "" },
		"period": func(r *parley.Recording) { r.Period = "" },
		"dek":    func(r *parley.Recording) { r.WrappedDEK = nil },
	} {
		bad := recording("rec-bad", "c", "f1", "f1/2026-11-24", 1, base)
		mod(bad)
		wantKind(t, "invalid "+name, s.CreateRecording(ctx(t), bad), parley.KindInvalid)
	}
	periods, err := s.ListPeriods(ctx(t))
	ok(t, "periods", err)
	equal(t, "periods", periods, map[string]int{"f1/2026-11-23": 1})

	done := base.Add(10 * time.Minute)
	ok(t, "finish", s.FinishRecording(ctx(t), "rec-1", parley.RecordingComplete, 4096, done))
	got, _ = s.FindRecording(ctx(t), "rec-1")
	if got.Status != parley.RecordingComplete || got.Size != 4096 || !got.CompletedAt.Equal(us(done)) {
		t.Fatalf("finish: %+v", got)
	}
	wantKind(t, "finish missing", s.FinishRecording(ctx(t), "nope", parley.RecordingComplete, 1, done), parley.KindNotFound)
	wantKind(t, "finish bad status", s.FinishRecording(ctx(t), "rec-1", parley.RecordingWriting, 1, done), parley.KindInvalid)

	ok(t, "hold", s.SetLegalHold(ctx(t), "rec-1", true, "case 26-CR-1"))
	got, _ = s.FindRecording(ctx(t), "rec-1")
	if !got.LegalHold || got.HoldReason != "case 26-CR-1" {
		t.Fatalf("hold: %+v", got)
	}
	ok(t, "release", s.SetLegalHold(ctx(t), "rec-1", false, ""))
	got, _ = s.FindRecording(ctx(t), "rec-1")
	if got.LegalHold {
		t.Fatal("hold not released")
	}
	wantKind(t, "hold missing", s.SetLegalHold(ctx(t), "nope", true, "x"), parley.KindNotFound)

	mustRecording(t, s, recording("rec-2", "call-2", "f1", "f1/2026-11-23", 1, base.Add(time.Minute)))
	list, err := s.ListPeriodRecordings(ctx(t), "f1/2026-11-23")
	ok(t, "list period", err)
	equal(t, "period recordings", recIDs(list), []string{"rec-1", "rec-2"})

	// Destroy rec-1; it can no longer be finished or held.
	ok(t, "shred", s.ShredPeriod(ctx(t), parley.PeriodShred{Period: "f1/2026-11-23", FromGen: 1, ToGen: 2,
		Rewrapped: map[string][]byte{"rec-2": []byte("w2")}, Destroyed: []string{"rec-1"}, Reason: "operator", At: done}))
	wantKind(t, "finish destroyed", s.FinishRecording(ctx(t), "rec-1", parley.RecordingComplete, 1, done), parley.KindDestroyed)
	wantKind(t, "hold destroyed", s.SetLegalHold(ctx(t), "rec-1", true, "x"), parley.KindDestroyed)
	got, err = s.FindRecording(ctx(t), "rec-1")
	ok(t, "find destroyed", err)
	if got.Status != parley.RecordingShredded || got.WrappedDEK != nil {
		t.Fatalf("destroyed recording: %+v", got)
	}
	list, _ = s.ListPeriodRecordings(ctx(t), "f1/2026-11-23")
	equal(t, "period recordings after shred", recIDs(list), []string{"rec-2"})
}

func testRecordingGeneration(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	p := "f1/2026-11-23"
	mustRecording(t, s, recording("r1", "c1", "f1", p, 3, base)) // a new period starts at KeyGen
	wantKind(t, "stale generation", s.CreateRecording(ctx(t), recording("r2", "c2", "f1", p, 2, base)), parley.KindConflict)
	wantKind(t, "future generation", s.CreateRecording(ctx(t), recording("r2", "c2", "f1", p, 4, base)), parley.KindConflict)
	_, err := s.FindRecording(ctx(t), "r2")
	wantKind(t, "conflicting recording stored", err, parley.KindNotFound)
	ok(t, "shred", s.ShredPeriod(ctx(t), parley.PeriodShred{Period: p, FromGen: 3, ToGen: 4,
		Rewrapped: map[string][]byte{"r1": []byte("w")}, Reason: "operator", At: base}))
	wantKind(t, "old generation after shred", s.CreateRecording(ctx(t), recording("r2", "c2", "f1", p, 3, base)), parley.KindConflict)
	mustRecording(t, s, recording("r2", "c2", "f1", p, 4, base))
	gen, _ := s.PeriodGeneration(ctx(t), p)
	if gen != 4 {
		t.Fatalf("generation %d, want 4", gen)
	}
}

func testShredPeriod(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	p, other := "f1/2026-11-23", "f1/2026-11-24"
	at := base.Add(48 * time.Hour)
	mustCall(t, s, &parley.CallRecord{ID: "c1", FacilityID: "f1", Number: "+15556660001", StartedAt: base,
		Status: parley.CallCompleted, Recording: parley.RecordingStored, RecordingID: "r1"})
	mustCall(t, s, &parley.CallRecord{ID: "c2", FacilityID: "f1", Number: "+15556660002", StartedAt: base,
		Status: parley.CallCompleted, Recording: parley.RecordingStored, RecordingID: "r2"})
	mustRecording(t, s, recording("r1", "c1", "f1", p, 1, base))
	mustRecording(t, s, recording("r2", "c2", "f1", p, 1, base))
	mustRecording(t, s, recording("r3", "c3", "f1", p, 1, base))
	mustRecording(t, s, recording("o1", "c4", "f1", other, 1, base))
	ok(t, "finish r2", s.FinishRecording(ctx(t), "r2", parley.RecordingComplete, 10, base))

	ok(t, "shred", s.ShredPeriod(ctx(t), parley.PeriodShred{Period: p, FromGen: 1, ToGen: 2,
		Rewrapped: map[string][]byte{"r2": []byte("r2@2"), "r3": []byte("r3@2")},
		Destroyed: []string{"r1"}, Reason: "privileged_number", At: at}))

	r1, err := s.FindRecording(ctx(t), "r1")
	ok(t, "find r1", err)
	if r1.Status != parley.RecordingShredded || r1.WrappedDEK != nil || !r1.DestroyedAt.Equal(us(at)) ||
		r1.DestroyReason != "privileged_number" {
		t.Fatalf("destroyed recording: %+v", r1)
	}
	for id, status := range map[string]parley.RecordingStatus{"r2": parley.RecordingComplete, "r3": parley.RecordingWriting} {
		r, err := s.FindRecording(ctx(t), id)
		ok(t, "find survivor", err)
		if r.KeyGen != 2 || !bytes.Equal(r.WrappedDEK, []byte(id+"@2")) || r.Status != status || !r.DestroyedAt.IsZero() {
			t.Fatalf("survivor %s: %+v", id, r)
		}
	}
	o1, _ := s.FindRecording(ctx(t), "o1")
	if o1.KeyGen != 1 || string(o1.WrappedDEK) != "wrapped:o1" {
		t.Fatal("a recording of another period changed")
	}
	c1, _ := s.FindCall(ctx(t), "c1")
	c2, _ := s.FindCall(ctx(t), "c2")
	if c1.Recording != parley.RecordingDestroyed || c2.Recording != parley.RecordingStored {
		t.Fatalf("call recording states: %s, %s", c1.Recording, c2.Recording)
	}
	periods, err := s.ListPeriods(ctx(t))
	ok(t, "periods", err)
	equal(t, "periods", periods, map[string]int{p: 2, other: 1})

	// Destroying everything left, then a shred with nothing to do.
	ok(t, "shred all", s.ShredPeriod(ctx(t), parley.PeriodShred{Period: p, FromGen: 2, ToGen: 3,
		Destroyed: []string{"r2", "r3"}, Reason: "retention", At: at}))
	list, _ := s.ListPeriodRecordings(ctx(t), p)
	if len(list) != 0 {
		t.Fatalf("%d recordings left", len(list))
	}
	ok(t, "empty shred", s.ShredPeriod(ctx(t), parley.PeriodShred{Period: p, FromGen: 3, ToGen: 4, Reason: "retention", At: at}))
	gen, _ := s.PeriodGeneration(ctx(t), p)
	if gen != 4 {
		t.Fatalf("generation %d, want 4", gen)
	}
}

func testShredPeriodConflicts(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	p := "f1/2026-11-23"
	mustCall(t, s, &parley.CallRecord{ID: "c1", FacilityID: "f1", Number: "+15556660001", StartedAt: base,
		Status: parley.CallCompleted, Recording: parley.RecordingStored, RecordingID: "r1"})
	mustRecording(t, s, recording("r1", "c1", "f1", p, 1, base))
	mustRecording(t, s, recording("r2", "c2", "f1", p, 1, base))
	before, err := s.ListPeriodRecordings(ctx(t), p)
	ok(t, "list", err)

	cases := map[string]parley.PeriodShred{
		"wrong from generation": {Period: p, FromGen: 2, ToGen: 3, Destroyed: []string{"r1"},
			Rewrapped: map[string][]byte{"r2": []byte("x")}},
		"missing survivor": {Period: p, FromGen: 1, ToGen: 2, Destroyed: []string{"r1"}},
		"unknown recording": {Period: p, FromGen: 1, ToGen: 2, Destroyed: []string{"r1", "zz"},
			Rewrapped: map[string][]byte{"r2": []byte("x")}},
	}
	for name, sh := range cases {
		sh.Reason, sh.At = "operator", base
		wantKind(t, name, s.ShredPeriod(ctx(t), sh), parley.KindConflict)
	}
	wantKind(t, "both destroyed and rewrapped", s.ShredPeriod(ctx(t), parley.PeriodShred{Period: p, FromGen: 1, ToGen: 2,
		Destroyed: []string{"r1"}, Rewrapped: map[string][]byte{"r1": []byte("x"), "r2": []byte("y")}}), parley.KindInvalid)

	after, err := s.ListPeriodRecordings(ctx(t), p)
	ok(t, "list", err)
	equal(t, "recordings unchanged", after, before)
	gen, _ := s.PeriodGeneration(ctx(t), p)
	if gen != 1 {
		t.Fatalf("generation moved to %d", gen)
	}
	c1, _ := s.FindCall(ctx(t), "c1")
	if c1.Recording != parley.RecordingStored {
		t.Fatal("call changed by a refused shred")
	}
}

func testFindRecordingsByNumber(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	n, other := parley.Number("+15557770001"), parley.Number("+15557770002")
	for i, c := range []struct {
		id string
		n  parley.Number
	}{{"c1", n}, {"c2", n}, {"c3", other}, {"c4", n}} {
		mustCall(t, s, &parley.CallRecord{ID: c.id, FacilityID: "f1", Number: c.n, StartedAt: base.Add(time.Duration(i) * time.Minute),
			Status: parley.CallCompleted, Recording: parley.RecordingStored, RecordingID: "r" + c.id[1:]})
	}
	p := "f1/2026-11-23"
	for _, id := range []string{"1", "2", "3", "4"} {
		mustRecording(t, s, recording("r"+id, "c"+id, "f1", p, 1, base))
	}
	ok(t, "shred r4", s.ShredPeriod(ctx(t), parley.PeriodShred{Period: p, FromGen: 1, ToGen: 2, Destroyed: []string{"r4"},
		Rewrapped: map[string][]byte{"r1": []byte("a"), "r2": []byte("b"), "r3": []byte("c")}, Reason: "operator", At: base}))
	got, err := s.FindRecordingsByNumber(ctx(t), n)
	ok(t, "find", err)
	equal(t, "recordings to the number", recIDs(got), []string{"r1", "r2"})
	got, err = s.FindRecordingsByNumber(ctx(t), "+15557770009")
	ok(t, "find none", err)
	if len(got) != 0 {
		t.Fatalf("got %d recordings for an unknown number", len(got))
	}
}

func testFindExpired(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	mustFacility(t, s, "f2")
	cut := base.Add(24 * time.Hour)
	mk := func(id, fac string, class parley.RecordClass, at time.Time) {
		r := recording(id, "c-"+id, fac, fac+"/"+at.Format("2006-01-02"), 1, at)
		r.Class = class
		mustRecording(t, s, r)
	}
	mk("old1", "f1", parley.ClassCall, base)
	mk("old2", "f1", parley.ClassCall, base.Add(time.Hour))
	mk("held", "f1", parley.ClassCall, base)
	mk("new", "f1", parley.ClassCall, cut)
	mk("imp", "f1", parley.ClassImported, base)
	mk("f2old", "f2", parley.ClassCall, base)
	mk("gone", "f1", parley.ClassCall, base.Add(2*time.Hour))
	ok(t, "hold", s.SetLegalHold(ctx(t), "held", true, "case"))
	ok(t, "shred", s.ShredPeriod(ctx(t), parley.PeriodShred{Period: "f1/2026-11-23", FromGen: 1, ToGen: 2,
		Destroyed: []string{"gone"}, Rewrapped: map[string][]byte{"old1": []byte("a"), "old2": []byte("b"), "held": []byte("c"), "imp": []byte("d")},
		Reason: "retention", At: base}))

	got, err := s.FindExpiredRecordings(ctx(t), "f1", parley.ClassCall, cut, 10)
	ok(t, "expired", err)
	equal(t, "expired", recIDs(got), []string{"old1", "old2"})
	got, _ = s.FindExpiredRecordings(ctx(t), "f1", parley.ClassCall, cut, 1)
	if len(got) != 1 {
		t.Fatalf("limit 1 gave %d", len(got))
	}
	got, _ = s.FindExpiredRecordings(ctx(t), "f1", parley.ClassImported, cut, 10)
	equal(t, "imported", recIDs(got), []string{"imp"})
	got, _ = s.FindExpiredRecordings(ctx(t), "f2", parley.ClassCall, cut, 10)
	equal(t, "other facility", recIDs(got), []string{"f2old"})
	got, _ = s.FindExpiredRecordings(ctx(t), "f1", parley.ClassCall, cut.Add(time.Microsecond), 10)
	equal(t, "cutoff is exclusive", recIDs(got), []string{"new", "old1", "old2"})
	ok(t, "release", s.SetLegalHold(ctx(t), "held", false, ""))
	got, _ = s.FindExpiredRecordings(ctx(t), "f1", parley.ClassCall, cut, 10)
	equal(t, "released", recIDs(got), []string{"held", "old1", "old2"})
}

func testFindStaleWriting(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	p := "f1/2026-11-23"
	mustRecording(t, s, recording("w-old", "c1", "f1", p, 1, base))
	mustRecording(t, s, recording("w-new", "c2", "f1", p, 1, base.Add(time.Hour)))
	mustRecording(t, s, recording("done", "c3", "f1", p, 1, base))
	ok(t, "finish", s.FinishRecording(ctx(t), "done", parley.RecordingTruncated, 1, base))
	got, err := s.FindStaleWriting(ctx(t), base.Add(time.Minute))
	ok(t, "stale", err)
	equal(t, "stale", recIDs(got), []string{"w-old"})
	got, _ = s.FindStaleWriting(ctx(t), base.Add(2*time.Hour))
	equal(t, "stale later", recIDs(got), []string{"w-new", "w-old"})

	// Staleness is judged by the writer's heartbeat, not by a backdated creation.
	ok(t, "touch", s.TouchRecording(ctx(t), "w-old", base.Add(3*time.Hour)))
	got, _ = s.FindStaleWriting(ctx(t), base.Add(2*time.Hour))
	equal(t, "stale after a touch", recIDs(got), []string{"w-new"})
	r, err := s.FindRecording(ctx(t), "w-old")
	ok(t, "find touched", err)
	equal(t, "touched at", r.TouchedAt, us(base.Add(3*time.Hour)))
	back := recording("w-import", "c4", "f1", p, 1, base.Add(-30*24*time.Hour)) // an import a month back
	back.Class, back.TouchedAt = parley.ClassImported, base.Add(time.Hour)
	mustRecording(t, s, back)
	got, _ = s.FindStaleWriting(ctx(t), base.Add(time.Minute))
	equal(t, "backdated but alive", recIDs(got), []string{})
	got, _ = s.FindStaleWriting(ctx(t), base.Add(2*time.Hour))
	equal(t, "backdated, then dead", recIDs(got), []string{"w-import", "w-new"})
	wantKind(t, "touch a finished recording", s.TouchRecording(ctx(t), "done", base), parley.KindNotFound)
	wantKind(t, "touch a missing recording", s.TouchRecording(ctx(t), "nope", base), parley.KindNotFound)
	wantKind(t, "touch without a time", s.TouchRecording(ctx(t), "w-old", time.Time{}), parley.KindInvalid)
}

// testFindOrphanRecordings: imported recordings no call names are orphans when truncated,
// or complete before the cutoff; a recording a call names, one still writing, one
// destroyed and a call's own (class call) are not.
func testFindOrphanRecordings(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	p := "f1/2026-11-23"
	imported := func(id string) *parley.Recording {
		r := recording(id, "c-"+id, "f1", p, 1, base)
		r.Class = parley.ClassImported
		return mustRecording(t, s, r)
	}
	imported("cut")
	ok(t, "finish cut", s.FinishRecording(ctx(t), "cut", parley.RecordingTruncated, 1, base.Add(time.Hour)))
	imported("done-old")
	ok(t, "finish old", s.FinishRecording(ctx(t), "done-old", parley.RecordingComplete, 1, base))
	imported("done-new")
	ok(t, "finish new", s.FinishRecording(ctx(t), "done-new", parley.RecordingComplete, 1, base.Add(time.Hour)))
	imported("named")
	ok(t, "finish named", s.FinishRecording(ctx(t), "named", parley.RecordingComplete, 1, base))
	c := call("f1", "B-1", "+15551110000", base)
	c.ID, c.Recording, c.RecordingID = "c-named", parley.RecordingStored, "named"
	mustCall(t, s, c)
	imported("writing")
	mustRecording(t, s, recording("sip", "c-sip", "f1", p, 1, base))
	ok(t, "finish sip", s.FinishRecording(ctx(t), "sip", parley.RecordingTruncated, 1, base))
	got, err := s.FindOrphanRecordings(ctx(t), base.Add(time.Minute))
	ok(t, "orphans", err)
	equal(t, "orphans", recIDs(got), []string{"cut", "done-old"})
	got, _ = s.FindOrphanRecordings(ctx(t), base.Add(2*time.Hour))
	equal(t, "orphans later", recIDs(got), []string{"cut", "done-new", "done-old"})
	got, _ = s.FindOrphanRecordings(ctx(t), base.Add(parley.OrphanWindow+30*time.Minute))
	equal(t, "past the window", recIDs(got), []string{"cut", "done-new"})
}
