package billingtest

import (
	"context"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/billing"
	"parley.dev/parley/ledger"
)

// InterruptedStore is what EndInterrupted needs of one database: facilities and rates
// (for the charger), call records, and the ending of interrupted calls with their holds.
type InterruptedStore interface {
	Store
	parley.CallService
	billing.InterruptedCallStore
}

// RunInterrupted checks billing.EndInterrupted on a real store: calls a crashed node left
// unfinished before the cutoff end as dropped with the reason and charge nothing, their
// holds released at once (in the store's one transaction) under the settle key so a late
// Settle is refused; a call without a hold just ends; a settled call, and a call started
// after the cutoff, are left alone; a second run changes nothing; the ledger verifies.
func RunInterrupted(t *testing.T, s InterruptedStore, l ledger.Store) {
	ctx := context.Background()
	f := fixtureOn(t, s, l)
	a := inmateAcct("R1")
	f.fund(a, 2000)
	crashed, free, settled, later := newCall("int-1", "R1", famNumber), newCall("int-2", "R1", famNumber),
		newCall("int-3", "R1", famNumber), newCall("int-4", "R1", famNumber)
	later.StartedAt = callStart.Add(time.Hour)
	for _, c := range []*parley.CallRecord{crashed, settled, later} {
		if _, err := f.ch.Authorize(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []*parley.CallRecord{crashed, free, settled, later} {
		c.Status = parley.CallAccepted
		if err := s.CreateCall(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.ch.Settle(ctx, ended(settled, parley.CallCompleted, "inmate_hangup"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateCall(ctx, settled); err != nil {
		t.Fatal(err)
	}
	held := f.balance(a.ID)
	if held != 2000-450-15-450 {
		t.Fatalf("balance before the restart = %s", held)
	}
	if _, err := billing.EndInterrupted(ctx, s, time.Time{}, "server_restart"); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("no cutoff: %v", err)
	}
	cutoff := callStart.Add(time.Minute)
	n, err := billing.EndInterrupted(ctx, s, cutoff, "server_restart")
	if err != nil || n != 2 {
		t.Fatalf("EndInterrupted = %d, %v; want 2 (the crashed and the free call)", n, err)
	}
	if b := f.balance(a.ID); b != 2000-15-450 {
		t.Errorf("balance after the restart = %s, want $15.35 (the crashed call's hold back, nothing charged)", b)
	}
	for _, c := range []*parley.CallRecord{crashed, free} {
		got, err := s.FindCall(ctx, c.ID)
		if err != nil || got.Status != parley.CallDropped || got.Reason != "server_restart" || got.ChargeCents != 0 {
			t.Errorf("call %s after the restart: %+v, %v", c.ID, got, err)
		}
	}
	for _, c := range []*parley.CallRecord{settled, later} {
		if got, _ := s.FindCall(ctx, c.ID); got.Status == parley.CallDropped {
			t.Errorf("call %s was ended: %+v", c.ID, got)
		}
	}
	rel, err := l.TransactionByKey(ctx, "call-settle:int-1")
	if err != nil || rel.Kind != ledger.Release {
		t.Fatalf("release of the crashed call: %+v, %v", rel, err)
	}
	before := f.txCount()
	if n, err := billing.EndInterrupted(ctx, s, cutoff, "server_restart"); err != nil || n != 0 {
		t.Errorf("second EndInterrupted = %d, %v", n, err)
	}
	if err := f.ch.Settle(ctx, ended(crashed, parley.CallCompleted, "inmate_hangup"), 5*time.Minute); err == nil {
		t.Error("late Settle of a call ended by the restart succeeded")
	}
	if f.txCount() != before || f.balance(a.ID) != 2000-15-450 {
		t.Error("a second run or a late Settle moved money")
	}
	if _, err := ledger.Verify(ctx, l); err != nil {
		t.Errorf("Verify: %v", err)
	}
}
