package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"parley.dev/parley"
)

func call(facilityID, inmateID string, n parley.Number, at time.Time) *parley.CallRecord {
	return &parley.CallRecord{FacilityID: facilityID, InmateID: inmateID, InmateName: "Name of " + inmateID,
		DeviceID: "pod-1", Number: n, StartedAt: at, Duration: 95 * time.Second, Status: parley.CallCompleted,
		Recording: parley.RecordingNone, Source: "sip", UpdatedAt: at}
}

func mustCall(t *testing.T, s parley.Store, c *parley.CallRecord) *parley.CallRecord {
	t.Helper()
	ok(t, "CreateCall", s.CreateCall(ctx(t), c))
	return c
}

func testCallRoundTrip(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	c := call("f1", "B-1", "+15551110000", base)
	c.Reason, c.Privileged, c.ImportKey, c.Source = "none", true, "k-1", "import"
	ok(t, "create", s.CreateCall(ctx(t), c))
	if c.ID == "" {
		t.Fatal("ID not set")
	}
	got, err := s.FindCall(ctx(t), c.ID)
	ok(t, "find", err)
	want := *c
	want.StartedAt, want.UpdatedAt = us(base), us(base)
	equal(t, "round trip", got, &want)

	// No inmate, no device, no name.
	anon := &parley.CallRecord{FacilityID: "f1", Number: "+15551110001", StartedAt: base, Status: parley.CallRefused,
		Reason: "blocked", Recording: parley.RecordingNone}
	ok(t, "create anonymous", s.CreateCall(ctx(t), anon))
	got, err = s.FindCall(ctx(t), anon.ID)
	ok(t, "find anonymous", err)
	if got.InmateID != "" || got.InmateName != "" || got.DeviceID != "" || got.UpdatedAt.IsZero() {
		t.Fatalf("anonymous call round trip: %+v", got)
	}

	dup := call("f1", "B-1", "+15551110000", base)
	dup.ID = c.ID
	wantKind(t, "duplicate id", s.CreateCall(ctx(t), dup), parley.KindConflict)
	_, err = s.FindCall(ctx(t), "nope")
	wantKind(t, "find missing", err, parley.KindNotFound)

	upd := *got
	upd.Status, upd.Reason, upd.Duration = parley.CallDropped, "callee_hangup", 3*time.Minute
	upd.Recording, upd.RecordingID, upd.Privileged = parley.RecordingStored, "rec-1", true
	upd.UpdatedAt = base.Add(time.Hour)
	upd.Number, upd.InmateName = "+15559999999", "Changed" // not mutable
	ok(t, "update", s.UpdateCall(ctx(t), &upd))
	got, err = s.FindCall(ctx(t), anon.ID)
	ok(t, "find updated", err)
	upd.Number, upd.InmateName = anon.Number, ""
	upd.UpdatedAt = us(upd.UpdatedAt)
	equal(t, "updated", got, &upd)
	upd.ID = "missing"
	wantKind(t, "update missing", s.UpdateCall(ctx(t), &upd), parley.KindNotFound)
	upd.ID, upd.Status = anon.ID, "exploded"
	wantKind(t, "update invalid", s.UpdateCall(ctx(t), &upd), parley.KindInvalid)
}

func testCallInvalid(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	for i, mod := range []func(c *parley.CallRecord){
		func(c *parley.CallRecord) { c.Number = "5551110000" },
		func(c *parley.CallRecord) { c.InmateName = strings.Repeat("n", 201) },
		func(c *parley.CallRecord) { c.ChargeCents = -1 },
		func(c *parley.CallRecord) { c.PayingAccount = strings.Repeat("a", 129) },
		func(c *parley.CallRecord) { c.FacilityID = "" },
		func(c *parley.CallRecord) { c.InmateID = "bad id" },
		func(c *parley.CallRecord) { c.DeviceID = "bad/device" },
		func(c *parley.CallRecord) { c.Status = "" },
		func(c *parley.CallRecord) { c.Recording = "lost" },
		func(c *parley.CallRecord) { c.Duration = -time.Second },
		func(c *parley.CallRecord) { c.StartedAt = time.Time{} },
	} {
		c := call("f1", "B-1", "+15551110000", base)
		mod(c)
		wantKind(t, fmt.Sprintf("invalid call %d", i), s.CreateCall(ctx(t), c), parley.KindInvalid)
	}
	got, err := s.FindCalls(ctx(t), parley.CallFilter{FacilityID: "f1"})
	ok(t, "find", err)
	if len(got) != 0 {
		t.Fatalf("invalid calls were stored: %d", len(got))
	}
}

func testCallImportKey(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	a := call("f1", "B-1", "+15551110000", base)
	a.ImportKey, a.Status, a.Source = "legacy-row-1", parley.CallImported, "import"
	mustCall(t, s, a)
	b := call("f1", "B-2", "+15551110001", base.Add(time.Hour))
	b.ImportKey = "legacy-row-1"
	wantKind(t, "same import key", s.CreateCall(ctx(t), b), parley.KindConflict)
	_, err := s.FindCall(ctx(t), b.ID)
	if b.ID != "" {
		wantKind(t, "conflicting call stored", err, parley.KindNotFound)
	}
	// Calls without an import key never collide.
	mustCall(t, s, call("f1", "B-1", "+15551110000", base.Add(time.Minute)))
	mustCall(t, s, call("f1", "B-1", "+15551110000", base.Add(2*time.Minute)))
	got, err := s.FindCalls(ctx(t), parley.CallFilter{FacilityID: "f1"})
	ok(t, "find", err)
	if len(got) != 3 {
		t.Fatalf("got %d calls, want 3", len(got))
	}
}

func ids(cs []*parley.CallRecord) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func testFindCalls(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	mustFacility(t, s, "f2")
	n1, n2 := parley.Number("+15552220001"), parley.Number("+15552220002")
	var c [6]*parley.CallRecord
	c[0] = mustCall(t, s, call("f1", "A", n1, base))
	c[1] = mustCall(t, s, call("f1", "B", n1, base.Add(1*time.Hour)))
	c[2] = mustCall(t, s, call("f1", "A", n2, base.Add(2*time.Hour)))
	c[3] = mustCall(t, s, call("f2", "A", n1, base.Add(3*time.Hour))) // same inmate id, other facility
	c[4] = mustCall(t, s, call("f2", "C", n2, base.Add(4*time.Hour)))
	c[5] = mustCall(t, s, call("f1", "A", n1, base.Add(5*time.Hour)))

	cases := []struct {
		name string
		f    parley.CallFilter
		want []*parley.CallRecord
	}{
		{"number", parley.CallFilter{Number: n1}, []*parley.CallRecord{c[5], c[3], c[1], c[0]}},
		{"number+facility", parley.CallFilter{Number: n1, FacilityID: "f2"}, []*parley.CallRecord{c[3]}},
		{"inmate", parley.CallFilter{FacilityID: "f1", InmateID: "A"}, []*parley.CallRecord{c[5], c[2], c[0]}},
		{"inmate+number", parley.CallFilter{FacilityID: "f1", InmateID: "A", Number: n2}, []*parley.CallRecord{c[2]}},
		{"facility", parley.CallFilter{FacilityID: "f2"}, []*parley.CallRecord{c[4], c[3]}},
		{"window", parley.CallFilter{FacilityID: "f1", From: base.Add(time.Hour), To: base.Add(5 * time.Hour)},
			[]*parley.CallRecord{c[2], c[1]}},
		{"from only", parley.CallFilter{Number: n1, From: base.Add(3 * time.Hour)}, []*parley.CallRecord{c[5], c[3]}},
		{"to only", parley.CallFilter{Number: n1, To: base.Add(time.Hour)}, []*parley.CallRecord{c[0]}},
		{"limit", parley.CallFilter{Number: n1, Limit: 2}, []*parley.CallRecord{c[5], c[3]}},
		{"nothing", parley.CallFilter{Number: "+15552220009"}, nil},
		{"unknown inmate", parley.CallFilter{FacilityID: "f1", InmateID: "Z"}, nil},
	}
	for _, tc := range cases {
		got, err := s.FindCalls(ctx(t), tc.f)
		ok(t, tc.name, err)
		equal(t, tc.name, ids(got), ids(tc.want))
	}
	got, err := s.FindCalls(ctx(t), parley.CallFilter{Number: n1, Limit: 1})
	ok(t, "limit 1", err)
	want := *c[5]
	want.StartedAt, want.UpdatedAt = us(want.StartedAt), us(want.UpdatedAt)
	equal(t, "found record", got[0], &want)

	for name, f := range map[string]parley.CallFilter{
		"empty":                {},
		"window only":          {From: base, To: base.Add(time.Hour)},
		"inmate sans facility": {InmateID: "A"},
		"bad number":           {Number: "12"},
		"negative limit":       {FacilityID: "f1", Limit: -1},
	} {
		_, err := s.FindCalls(ctx(t), f)
		wantKind(t, name, err, parley.KindInvalid)
	}
}

func testFindCallsLimit(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	n := parley.Number("+15553330000")
	total := parley.MaxCallResults + 5
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < total; i += 4 {
				c := call("f1", "A", n, base.Add(time.Duration(i)*time.Second))
				if err := s.CreateCall(ctx(t), c); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent CreateCall: %v", err)
	}
	for _, limit := range []int{0, parley.MaxCallResults + 1, 1 << 30} {
		got, err := s.FindCalls(ctx(t), parley.CallFilter{Number: n, Limit: limit})
		ok(t, "find", err)
		if len(got) != parley.MaxCallResults {
			t.Fatalf("limit %d: got %d records, want the cap %d", limit, len(got), parley.MaxCallResults)
		}
		if !got[0].StartedAt.Equal(us(base.Add(time.Duration(total-1) * time.Second))) {
			t.Fatalf("limit %d: first record is not the newest", limit)
		}
		for i := 1; i < len(got); i++ {
			if !got[i].StartedAt.Before(got[i-1].StartedAt) {
				t.Fatalf("limit %d: not newest first at %d", limit, i)
			}
		}
	}
}

func testMarkCallsPrivileged(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	n, other := parley.Number("+15554440000"), parley.Number("+15554440001")
	a := mustCall(t, s, call("f1", "A", n, base))
	b := mustCall(t, s, call("f1", "B", n, base.Add(time.Minute)))
	o := mustCall(t, s, call("f1", "A", other, base))
	already := call("f1", "C", n, base.Add(time.Hour))
	already.Privileged = true
	mustCall(t, s, already)
	changed, err := s.MarkCallsPrivileged(ctx(t), n)
	ok(t, "mark", err)
	if changed != 2 {
		t.Fatalf("changed %d, want 2", changed)
	}
	for _, c := range []*parley.CallRecord{a, b, already} {
		got, err := s.FindCall(ctx(t), c.ID)
		ok(t, "find", err)
		if !got.Privileged {
			t.Fatal("call not marked privileged")
		}
	}
	got, _ := s.FindCall(ctx(t), o.ID)
	if got.Privileged {
		t.Fatal("call to another number marked privileged")
	}
	changed, err = s.MarkCallsPrivileged(ctx(t), n)
	ok(t, "mark again", err)
	if changed != 0 {
		t.Fatalf("second mark changed %d, want 0", changed)
	}
	_, err = s.MarkCallsPrivileged(ctx(t), "nope")
	wantKind(t, "bad number", err, parley.KindInvalid)
}

// testCallPartiesLater checks the life of a live call's record: stored at once without
// inmate or number, its parties filled in by a later update (sealed and indexed, so
// searches find it), and never changed after that.
func testCallPartiesLater(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	c := &parley.CallRecord{FacilityID: "f1", DeviceID: "pod-1", StartedAt: base, Status: parley.CallAttempted,
		Recording: parley.RecordingNone, Source: "sip"}
	ok(t, "create without parties", s.CreateCall(ctx(t), c))
	got, err := s.FindCall(ctx(t), c.ID)
	ok(t, "find", err)
	if got.Number != "" || got.InmateID != "" || got.Status != parley.CallAttempted {
		t.Fatalf("attempt round trip: %+v", got)
	}
	byFacility, err := s.FindCalls(ctx(t), parley.CallFilter{FacilityID: "f1"})
	ok(t, "find by facility", err)
	equal(t, "attempt listed", ids(byFacility), []string{c.ID})

	// A status-only update keeps it anonymous.
	c.Status = parley.CallAttempted
	ok(t, "update without parties", s.UpdateCall(ctx(t), c))

	n := parley.Number("+15556660001")
	c.InmateID, c.InmateName, c.Number = "B-7", "Seven", n
	c.Status, c.Reason = parley.CallDialing, ""
	ok(t, "fill in parties", s.UpdateCall(ctx(t), c))
	got, err = s.FindCall(ctx(t), c.ID)
	ok(t, "find filled", err)
	if got.InmateID != "B-7" || got.InmateName != "Seven" || got.Number != n || got.Status != parley.CallDialing {
		t.Fatalf("parties not filled in: %+v", got)
	}
	byNumber, err := s.FindCalls(ctx(t), parley.CallFilter{Number: n})
	ok(t, "find by number", err)
	equal(t, "found by number", ids(byNumber), []string{c.ID})
	byInmate, err := s.FindCalls(ctx(t), parley.CallFilter{FacilityID: "f1", InmateID: "B-7"})
	ok(t, "find by inmate", err)
	equal(t, "found by inmate", ids(byInmate), []string{c.ID})

	// Once set, the parties never change.
	c.InmateID, c.InmateName, c.Number = "B-8", "Eight", "+15556660002"
	c.Status, c.Duration, c.ChargeCents, c.CreditReason, c.PayingAccount = parley.CallCompleted, time.Minute, 21, "dropped call", "acct-9"
	ok(t, "update after parties", s.UpdateCall(ctx(t), c))
	got, err = s.FindCall(ctx(t), c.ID)
	ok(t, "find final", err)
	if got.InmateID != "B-7" || got.InmateName != "Seven" || got.Number != n {
		t.Fatalf("parties changed after being set: %+v", got)
	}
	if got.Status != parley.CallCompleted || got.Duration != time.Minute || got.ChargeCents != 21 ||
		got.CreditReason != "dropped call" || got.PayingAccount != "acct-9" {
		t.Fatalf("mutable fields not updated: %+v", got)
	}
	other, err := s.FindCalls(ctx(t), parley.CallFilter{Number: "+15556660002"})
	ok(t, "find other number", err)
	if len(other) != 0 {
		t.Fatal("a later number was indexed")
	}

	// A refused attempt with only a number (bad PIN) keeps it, and bad parties are refused
	// without writing anything.
	r := &parley.CallRecord{FacilityID: "f1", StartedAt: base, Status: parley.CallAttempted, Recording: parley.RecordingNone}
	ok(t, "create second", s.CreateCall(ctx(t), r))
	bad := *r
	bad.Number, bad.Status = "5556660003", parley.CallRefused
	wantKind(t, "bad number", s.UpdateCall(ctx(t), &bad), parley.KindInvalid)
	bad.Number, bad.InmateID = "", "bad id"
	wantKind(t, "bad inmate", s.UpdateCall(ctx(t), &bad), parley.KindInvalid)
	got, err = s.FindCall(ctx(t), r.ID)
	ok(t, "find second", err)
	if got.Status != parley.CallAttempted || got.Number != "" || got.InmateID != "" {
		t.Fatalf("a refused update wrote something: %+v", got)
	}
	r.Number, r.Status, r.Reason = "+15556660003", parley.CallRefused, "invalid_pin"
	ok(t, "number only", s.UpdateCall(ctx(t), r))
	got, err = s.FindCall(ctx(t), r.ID)
	ok(t, "find number only", err)
	if got.Number != r.Number || got.InmateID != "" || got.Reason != "invalid_pin" {
		t.Fatalf("number-only parties: %+v", got)
	}
}

// testDropStaleCalls: records a crash left unfinished are ended as dropped; finished ones
// and those started after the cutoff are left alone.
func testDropStaleCalls(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	mk := func(status parley.CallStatus, at time.Time) *parley.CallRecord {
		c := call("f1", "A", "+15558880000", at)
		c.Status = status
		return mustCall(t, s, c)
	}
	stale := []*parley.CallRecord{mk(parley.CallAttempted, base), mk(parley.CallDialing, base), mk(parley.CallAccepted, base)}
	done := mk(parley.CallCompleted, base)
	live := mk(parley.CallAccepted, base.Add(2*time.Hour))
	n, err := s.DropStaleCalls(ctx(t), base.Add(time.Hour), "server_restart")
	ok(t, "drop", err)
	if n != 3 {
		t.Fatalf("dropped %d, want 3", n)
	}
	for _, c := range stale {
		got, err := s.FindCall(ctx(t), c.ID)
		ok(t, "find", err)
		if got.Status != parley.CallDropped || got.Reason != "server_restart" {
			t.Fatalf("stale call now %s %q", got.Status, got.Reason)
		}
	}
	for _, c := range []*parley.CallRecord{done, live} {
		got, err := s.FindCall(ctx(t), c.ID)
		ok(t, "find", err)
		if got.Status != c.Status {
			t.Fatalf("call %s changed to %s", c.Status, got.Status)
		}
	}
	_, err = s.DropStaleCalls(ctx(t), time.Time{}, "x")
	wantKind(t, "no cutoff", err, parley.KindInvalid)
	_, err = s.DropStaleCalls(ctx(t), base, "")
	wantKind(t, "no reason", err, parley.KindInvalid)
}

// BulkCaller is the bulk insert both SQL stores offer beside parley.CallService, for loads
// such as the scale benchmarks' generator.
type BulkCaller interface {
	CreateCalls(ctx context.Context, calls []*parley.CallRecord) error
}

func testCreateCallsBulk(t *testing.T, s parley.Store) {
	bulk, isBulk := s.(BulkCaller)
	if !isBulk {
		t.Fatalf("%T has no CreateCalls", s)
	}
	mustFacility(t, s, "f1")
	n := parley.Number("+15556660002")
	call := func(inmate, key string) *parley.CallRecord {
		return &parley.CallRecord{FacilityID: "f1", InmateID: inmate, InmateName: "Bulk " + inmate, Number: n,
			StartedAt: base, Status: parley.CallCompleted, Recording: parley.RecordingNone, Source: "bulk", ImportKey: key}
	}
	batch := []*parley.CallRecord{call("B-1", "k1"), call("B-2", "k2"), call("B-3", "")}
	ok(t, "bulk create", bulk.CreateCalls(ctx(t), batch))
	got, err := s.FindCalls(ctx(t), parley.CallFilter{Number: n})
	ok(t, "find", err)
	if len(got) != 3 {
		t.Fatalf("bulk create stored %d records, want 3", len(got))
	}
	byInmate, err := s.FindCalls(ctx(t), parley.CallFilter{FacilityID: "f1", InmateID: "B-2"})
	ok(t, "find by inmate", err)
	if len(byInmate) != 1 || byInmate[0].InmateName != "Bulk B-2" || byInmate[0].ID != batch[1].ID {
		t.Fatalf("bulk record round trip: %+v", byInmate)
	}

	// All or none: a bad record, or one whose import key exists, stores nothing.
	bad := call("B-4", "")
	bad.StartedAt = time.Time{}
	if err := bulk.CreateCalls(ctx(t), []*parley.CallRecord{call("B-5", ""), bad}); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("batch with a record without start time: %v, want invalid", err)
	}
	if err := bulk.CreateCalls(ctx(t), []*parley.CallRecord{call("B-6", ""), call("B-7", "k1")}); !parley.IsKind(err, parley.KindConflict) {
		t.Fatalf("batch repeating an import key: %v, want conflict", err)
	}
	got, err = s.FindCalls(ctx(t), parley.CallFilter{Number: n})
	ok(t, "find after refused batches", err)
	if len(got) != 3 {
		t.Fatalf("refused batches left %d records, want the 3 from before", len(got))
	}
}
