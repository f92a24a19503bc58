package ledgertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley.dev/parley/ledger"
)

// NoOverdraftUnderLoad drives an empty store through ledger.Books the way parallel calls
// do: many goroutines reserve on one prepaid account at once, and settle or release what
// they got, while others deposit. It checks that the account never goes below zero, that
// exactly the money deposited and not charged remains, and that Verify passes.
func NoOverdraftUnderLoad(t *testing.T, s ledger.Store) {
	t.Helper()
	ctx := context.Background()
	books := ledger.NewBooks(s, ledger.DefaultSystemAccounts(), func() time.Time { return t0 })
	if err := books.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if err := books.OpenAccount(ctx, "family", ledger.Prepaid, "holder-load"); err != nil {
		t.Fatal(err)
	}
	if _, err := books.Deposit(ctx, "family", 1000, "load-dep-0"); err != nil {
		t.Fatal(err)
	}
	const workers, rounds, hold, cost = 24, 6, 90, 40
	var charged, deposited, refused atomic.Int64
	deposited.Store(1000)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				key := fmt.Sprintf("load-%d-%d", w, r)
				if w%6 == 5 { // a family topping up while calls run
					if _, err := books.Deposit(ctx, "family", 25, key); err != nil {
						t.Errorf("deposit %s: %v", key, err)
						return
					}
					deposited.Add(25)
					continue
				}
				h, err := books.Reserve(ctx, "family", hold, key)
				if errors.Is(err, ledger.ErrInsufficientFunds) {
					refused.Add(1)
					continue
				}
				if err != nil {
					t.Errorf("reserve %s: %v", key, err)
					return
				}
				if bal, err := s.Balance(ctx, "family"); err != nil || bal < 0 {
					t.Errorf("balance during load = %s, %v", bal, err)
				}
				if r%2 == 0 {
					if _, err := books.Settle(ctx, h.ID, cost, key+"-settle"); err != nil {
						t.Errorf("settle %s: %v", key, err)
						return
					}
					charged.Add(cost)
				} else if _, err := books.Release(ctx, h.ID, key+"-release"); err != nil {
					t.Errorf("release %s: %v", key, err)
					return
				}
			}
		})
	}
	wg.Wait()
	bal, err := s.Balance(ctx, "family")
	if err != nil {
		t.Fatal(err)
	}
	if want := ledger.Cents(deposited.Load() - charged.Load()); bal != want || bal < 0 {
		t.Errorf("balance after load = %s, want %s (deposited %d¢, charged %d¢)", bal, want, deposited.Load(), charged.Load())
	}
	if held, err := s.Balance(ctx, ledger.DefaultSystemAccounts().Holds); err != nil || held != 0 {
		t.Errorf("holds after every call closed = %s, %v", held, err)
	}
	if _, err := ledger.Verify(ctx, s); err != nil {
		t.Errorf("Verify after load: %v", err)
	}
	t.Logf("%d reservations refused for want of funds", refused.Load())
}
