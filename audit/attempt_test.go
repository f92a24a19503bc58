package audit

import (
	"context"
	"errors"
	"strings"
	"testing"

	"parley.dev/parley"
)

func attemptEvent() parley.AuditEvent {
	return parley.AuditEvent{Actor: "cli:tester", Action: ActionFacilityAdd, Object: "facility:f1", Purpose: "p", Detail: "gw 10.0.0.1"}
}

// TestAttemptAuditDownActionNotRun: with the log unwritable the action never runs and the
// error says the audit failed.
func TestAttemptAuditDownActionNotRun(t *testing.T) {
	l, store, _, _ := newTestLog(t)
	store.failAppend = errors.New("disk full")
	ran := false
	err := Attempt(context.Background(), l, attemptEvent(), func() error { ran = true; return nil })
	if ran {
		t.Fatal("the action ran although the audit log could not take its event")
	}
	if !parley.IsKind(err, parley.KindUnavailable) || !strings.Contains(err.Error(), "audit failed") {
		t.Fatalf("err = %v, want unavailable audit failure", err)
	}
	if len(store.records) != 0 {
		t.Fatalf("%d records after a failed append", len(store.records))
	}
}

// TestAttemptOutcomes: a successful action leaves one ok event; a failed one leaves the ok
// attempt followed by an error event naming the failure's kind, and do's error comes back.
func TestAttemptOutcomes(t *testing.T) {
	ctx := context.Background()
	l, _, _, _ := newTestLog(t)
	if err := Attempt(ctx, l, attemptEvent(), func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	dup := parley.Errorf("store", parley.KindConflict, "exists")
	if err := Attempt(ctx, l, attemptEvent(), func() error { return dup }); err != dup {
		t.Fatalf("err = %v, want the action's own error", err)
	}
	evs, err := l.Events(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 {
		t.Fatalf("%d events, want 3: %+v", len(evs), evs)
	}
	if evs[0].Outcome != parley.OutcomeOK || evs[1].Outcome != parley.OutcomeOK {
		t.Errorf("attempts: %+v", evs[:2])
	}
	last := evs[2]
	if last.Outcome != parley.OutcomeError || last.Detail != "gw 10.0.0.1; failed: conflict" ||
		last.Object != "facility:f1" || last.Actor != "cli:tester" || last.Purpose != "p" || !last.Time.After(evs[1].Time) {
		t.Errorf("follow-up event = %+v", last)
	}
}

func TestRefused(t *testing.T) {
	ev := Refused(parley.AuditEvent{Actor: "a", Action: "x", Object: "o"}, parley.Errorf("", parley.KindConflict, "dup"))
	if ev.Outcome != parley.OutcomeError || ev.Detail != "refused: conflict" || ev.Object != "o" {
		t.Fatalf("Refused = %+v", ev)
	}
}
