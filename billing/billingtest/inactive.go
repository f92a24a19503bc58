package billingtest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/billing"
	"parley.dev/parley/ledger"
)

// auditLog records audit events in memory.
type auditLog struct {
	mu     sync.Mutex
	events []parley.AuditEvent
}

func (a *auditLog) Audit(_ context.Context, e parley.AuditEvent) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, e)
	return nil
}

// RunInactive runs the inactive-account suite on a real ledger store: accounts idle more
// than 180 days with money in them are deactivated and refunded once, the others are
// left alone, a dry run writes nothing, and nothing may be taken from an inactive account.
func RunInactive(t *testing.T, s ledger.Store) {
	ctx := context.Background()
	t0 := time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)
	now := t0
	books := ledger.NewBooks(s, ledger.DefaultSystemAccounts(), func() time.Time { return now })
	if err := books.Init(ctx); err != nil {
		t.Fatal(err)
	}
	open := func(id string, cents ledger.Cents) {
		t.Helper()
		if err := books.OpenAccount(ctx, id, ledger.Prepaid, "holder-"+id); err != nil {
			t.Fatal(err)
		}
		if _, err := books.Deposit(ctx, id, cents, "dep-"+id+now.Format(time.RFC3339)); err != nil {
			t.Fatal(err)
		}
	}
	open("idle", 1234) // last activity t0
	open("spent", 500)
	h, err := books.Reserve(ctx, "spent", 500, "hold-spent")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := books.Settle(ctx, h.ID, 500, "settle-spent"); err != nil { // balance 0
		t.Fatal(err)
	}
	now = t0.AddDate(0, 0, 100)
	open("recent", 700)

	audit := &auditLog{}
	r := &billing.InactiveRefunder{Books: books, Audit: audit, Actor: "test"}
	count := func() int {
		txs, err := s.Transactions(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(txs)
	}

	// Exactly 180 days after the last activity: not yet.
	now = t0.AddDate(0, 0, billing.InactiveDays)
	rep, err := r.Run(ctx, now, false)
	if err != nil || len(rep.Refunds) != 0 {
		t.Fatalf("at 180 days: %+v, %v", rep, err)
	}
	// A second later, a dry run reports "idle" and writes nothing.
	now = now.Add(time.Second)
	before := count()
	rep, err = r.Run(ctx, now, true)
	if err != nil || len(rep.Refunds) != 1 || rep.Refunds[0].Account != "idle" || rep.Total != 1234 || rep.Refunds[0].Transaction != "" {
		t.Fatalf("dry run: %+v, %v", rep, err)
	}
	if count() != before || len(audit.events) != 0 {
		t.Errorf("dry run wrote %d transactions, %d audit events", count()-before, len(audit.events))
	}
	if a, _ := s.Account(ctx, "idle"); !a.Active {
		t.Error("dry run deactivated the account")
	}
	// The real run: deactivated, refunded, audited.
	rep, err = r.Run(ctx, now, false)
	if err != nil || len(rep.Refunds) != 1 || rep.Refunds[0].Transaction == "" {
		t.Fatalf("run: %+v, %v", rep, err)
	}
	for id, want := range map[string]ledger.Cents{"idle": 0, "spent": 0, "recent": 700, ledger.DefaultSystemAccounts().RefundsPayable: 1234} {
		if b, err := s.Balance(ctx, id); err != nil || b != want {
			t.Errorf("balance of %s = %s, %v; want %s", id, b, err, want)
		}
	}
	if a, _ := s.Account(ctx, "idle"); a.Active {
		t.Error("refunded account still active")
	}
	if len(audit.events) != 1 || audit.events[0].Object != "account:idle" || !strings.Contains(audit.events[0].Detail, "64.6130") {
		t.Errorf("audit = %+v", audit.events)
	}
	// Again: nothing more moves.
	before = count()
	if rep, err := r.Run(ctx, now.Add(time.Hour), false); err != nil || len(rep.Refunds) != 0 || count() != before {
		t.Errorf("second run: %+v, %v, %d new transactions", rep, err, count()-before)
	}
	// No funds may be taken from an inactive account; deposits are still accepted.
	if _, err := books.Deposit(ctx, "idle", 300, "dep-after"); err != nil {
		t.Fatal(err)
	}
	if _, err := books.Reserve(ctx, "idle", 100, "hold-inactive"); !errors.Is(err, ledger.ErrInactive) {
		t.Errorf("reserve on an inactive account: %v, want ErrInactive", err)
	}
	if _, err := r.Run(ctx, time.Time{}, false); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("zero as-of: %v", err)
	}
	// A state's longer period: "recent" (idle 81 days at now) is not due under 365 days
	// even much later than 180; a period shorter than the federal one is refused.
	long := &billing.InactiveRefunder{Books: books, Audit: audit, Days: 365}
	if rep, err := long.Run(ctx, t0.AddDate(0, 0, 100+300), true); err != nil || len(rep.Refunds) != 0 {
		t.Errorf("365-day period at 300 days idle: %+v, %v", rep, err)
	}
	if rep, err := long.Run(ctx, t0.AddDate(0, 0, 100+366), true); err != nil || len(rep.Refunds) != 1 || rep.Refunds[0].Account != "recent" {
		t.Errorf("365-day period at 366 days idle: %+v, %v", rep, err)
	}
	if _, err := (&billing.InactiveRefunder{Books: books, Audit: audit, Days: 90}).Run(ctx, now, true); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("90-day period: %v", err)
	}
	if _, err := ledger.Verify(ctx, s); err != nil {
		t.Errorf("Verify: %v", err)
	}
}
