package billing

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/ledger"
)

type auditCount struct{ n atomic.Int64 }

func (a *auditCount) Audit(context.Context, parley.AuditEvent) error { a.n.Add(1); return nil }

// TestInactiveRefunderEvery: the periodic job runs at once, as of the clock it is given,
// and returns when its context ends.
func TestInactiveRefunderEvery(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := t0
	books := ledger.NewBooks(ledger.NewMemStore(), ledger.DefaultSystemAccounts(), func() time.Time { return clock })
	if err := books.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if err := books.OpenAccount(ctx, "fam", ledger.Prepaid, "holder-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := books.Deposit(ctx, "fam", 700, "d1"); err != nil {
		t.Fatal(err)
	}
	clock = t0.AddDate(0, 0, InactiveDays+1)
	audit := &auditCount{}
	r := &InactiveRefunder{Books: books, Audit: audit}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		r.Every(runCtx, 5*time.Millisecond, func() time.Time { return clock })
		close(done)
	}()
	guard := time.Now().Add(30 * time.Second) // a guard only
	for {
		if b, _ := books.Store().Balance(ctx, "fam"); b == 0 {
			break
		}
		if time.Now().After(guard) {
			t.Fatal("the job never refunded the idle account")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let it run again: nothing more may move
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second): // a guard only
		t.Fatal("Every did not return after its context ended")
	}
	if n := audit.n.Load(); n != 1 {
		t.Errorf("%d audit events, want one refund", n)
	}
	if b, _ := books.Store().Balance(ctx, ledger.DefaultSystemAccounts().RefundsPayable); b != 700 {
		t.Errorf("refunds payable = %s, want $7.00", b)
	}
}
