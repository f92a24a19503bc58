package admin_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"parley.dev/parley"
)

// TestAddInmateAuditDownAddsNothing: with the audit log down AddInmate fails (unavailable)
// and no inmate is stored.
func TestAddInmateAuditDownAddsNothing(t *testing.T) {
	s, ev := newService(t)
	ev.err = errors.New("audit log down")
	err := s.AddInmate(ctx(), &parley.Inmate{FacilityID: "f1", ID: "A1", Name: "Zed Quill"}, "48213579")
	if !parley.IsKind(err, parley.KindUnavailable) || !strings.Contains(err.Error(), "audit") {
		t.Fatalf("AddInmate with audit down: %v", err)
	}
	if _, err := s.Store.FindInmate(context.Background(), "f1", "A1"); !parley.IsKind(err, parley.KindNotFound) {
		t.Fatalf("inmate stored although the audit log was down: %v", err)
	}
	if in, err := s.Store.FindInmateByPIN(context.Background(), "f1", "48213579"); err == nil {
		t.Fatalf("PIN index stored although the audit log was down: %+v", in)
	}
}

// TestDuplicateInmateAuditedAsRefused: a second inmate with a taken id is refused with
// KindConflict before anything is written, and its one event is not "ok".
func TestDuplicateInmateAuditedAsRefused(t *testing.T) {
	s, ev := newService(t)
	if err := s.AddInmate(ctx(), &parley.Inmate{FacilityID: "f1", ID: "A1", Name: "Zed Quill"}, "48213579"); err != nil {
		t.Fatal(err)
	}
	ev.got = nil
	err := s.AddInmate(ctx(), &parley.Inmate{FacilityID: "f1", ID: "A1", Name: "Other Name"}, "11223344")
	if !parley.IsKind(err, parley.KindConflict) {
		t.Fatalf("duplicate inmate: %v", err)
	}
	if len(ev.got) != 1 || ev.got[0].Action != "inmate.add" || ev.got[0].Outcome != parley.OutcomeError ||
		ev.got[0].Detail != "refused: conflict" || ev.got[0].Actor != "user:u1" {
		t.Fatalf("events for a duplicate inmate: %+v", ev.got)
	}
	if in, err := s.Store.FindInmate(context.Background(), "f1", "A1"); err != nil || in.Name != "Zed Quill" {
		t.Fatalf("the first inmate changed: %+v %v", in, err)
	}
}

// TestFailedWriteAuditedAsError: when the store refuses an audited write (a PIN already
// taken in the facility; a hold on a recording that does not exist) the ok attempt is
// followed by an error event naming the kind, and the store's error comes back.
func TestFailedWriteAuditedAsError(t *testing.T) {
	s, ev := newService(t)
	if err := s.AddInmate(ctx(), &parley.Inmate{FacilityID: "f1", ID: "A1", Name: "Zed Quill"}, "48213579"); err != nil {
		t.Fatal(err)
	}
	ev.got = nil
	if err := s.AddInmate(ctx(), &parley.Inmate{FacilityID: "f1", ID: "A2", Name: "Ann Other"}, "48213579"); !parley.IsKind(err, parley.KindConflict) {
		t.Fatalf("inmate with a taken PIN: %v", err)
	}
	if err := s.SetLegalHold(ctx(), "no-such-recording", true, "court order 12"); err == nil {
		t.Fatal("hold on a missing recording succeeded")
	}
	if len(ev.got) != 4 {
		t.Fatalf("%d events, want 4: %+v", len(ev.got), ev.got)
	}
	for i, want := range []struct{ action, outcome, detail string }{
		{"inmate.add", parley.OutcomeOK, ""},
		{"inmate.add", parley.OutcomeError, "failed: conflict"},
		{"recording.hold", parley.OutcomeOK, "court order 12"},
		{"recording.hold", parley.OutcomeError, "court order 12; failed: not_found"},
	} {
		e := ev.got[i]
		if e.Action != want.action || e.Outcome != want.outcome || e.Detail != want.detail || e.Actor != "user:u1" {
			t.Errorf("event %d = %+v, want %+v", i, e, want)
		}
	}
	if _, err := s.Store.FindInmate(context.Background(), "f1", "A2"); !parley.IsKind(err, parley.KindNotFound) {
		t.Fatalf("inmate with a taken PIN was stored: %v", err)
	}
}
