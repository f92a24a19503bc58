package records

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
)

type fakeCalls struct {
	parley.CallService
	got   []parley.CallFilter
	calls []*parley.CallRecord
}

func (f *fakeCalls) FindCalls(_ context.Context, cf parley.CallFilter) ([]*parley.CallRecord, error) {
	f.got = append(f.got, cf)
	return f.calls, nil
}

type fakeAuditor struct {
	events []parley.AuditEvent
	err    error
}

func (a *fakeAuditor) Audit(_ context.Context, e parley.AuditEvent) error {
	if a.err != nil {
		return a.err
	}
	a.events = append(a.events, e)
	return nil
}

func digest(col string, v []byte) []byte {
	h := sha256.Sum256(append([]byte(col), v...))
	return h[:]
}

func TestSearchAuditsWithoutPersonalData(t *testing.T) {
	calls := &fakeCalls{calls: []*parley.CallRecord{{ID: "c1"}}}
	aud := &fakeAuditor{}
	s := &Searcher{Calls: calls, Auditor: aud, Digest: digest}
	ctx := parley.NewContextWithActor(context.Background(), "cli:tester")
	got, err := s.Search(ctx, Query{
		Filter:  parley.CallFilter{Number: "+14155552671", FacilityID: "f1", InmateID: "A123"},
		Purpose: "investigation", Case: "2026-001",
	})
	if err != nil || len(got) != 1 {
		t.Fatalf("Search = %v, %v", got, err)
	}
	if len(aud.events) != 1 {
		t.Fatalf("audit events = %d, want 1", len(aud.events))
	}
	e := aud.events[0]
	if e.Actor != "cli:tester" || e.Action != "calls.search" || e.Purpose != "investigation" || e.Case != "2026-001" {
		t.Errorf("event = %+v", e)
	}
	for _, secret := range []string{"4155552671", "A123"} {
		if strings.Contains(e.Object, secret) {
			t.Errorf("audit object %q reveals %q", e.Object, secret)
		}
	}
	if !strings.Contains(e.Object, "number:#") || !strings.Contains(e.Object, "facility:f1") {
		t.Errorf("audit object %q does not name the search", e.Object)
	}
	if calls.got[0].Limit != parley.MaxCallResults {
		t.Errorf("limit = %d, want the cap %d", calls.got[0].Limit, parley.MaxCallResults)
	}
}

func TestSearchFailsClosedWhenAuditFails(t *testing.T) {
	calls := &fakeCalls{}
	s := &Searcher{Calls: calls, Auditor: &fakeAuditor{err: errors.New("disk full")}, Digest: digest}
	_, err := s.Search(context.Background(), Query{Filter: parley.CallFilter{FacilityID: "f1"}})
	if !parley.IsKind(err, parley.KindUnavailable) {
		t.Fatalf("err = %v, want unavailable", err)
	}
	if len(calls.got) != 0 {
		t.Fatal("searched although the audit failed")
	}
}

func TestSearchRejectsBadQueries(t *testing.T) {
	now := time.Now()
	for name, f := range map[string]parley.CallFilter{
		"empty":           {},
		"bad number":      {Number: "555-1234"},
		"inmate alone":    {InmateID: "A1"},
		"inverted window": {FacilityID: "f", From: now, To: now.Add(-time.Hour)},
		"negative limit":  {FacilityID: "f", Limit: -1},
	} {
		t.Run(name, func(t *testing.T) {
			calls, aud := &fakeCalls{}, &fakeAuditor{}
			s := &Searcher{Calls: calls, Auditor: aud, Digest: digest}
			if _, err := s.Search(context.Background(), Query{Filter: f}); !parley.IsKind(err, parley.KindInvalid) {
				t.Fatalf("err = %v, want invalid", err)
			}
			if len(calls.got)+len(aud.events) != 0 {
				t.Fatal("a rejected query was searched or audited")
			}
		})
	}
}
