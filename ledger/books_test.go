package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/ledger"
)

// clock is a test clock that only moves when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newBooks(t *testing.T, accounts ...string) (*ledger.Books, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	b := ledger.NewBooks(ledger.NewMemStore(), ledger.DefaultSystemAccounts(), clk.now)
	ctx := context.Background()
	if err := b.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Init(ctx); err != nil { // idempotent
		t.Fatal(err)
	}
	for i, id := range accounts {
		if err := b.OpenAccount(ctx, id, ledger.Prepaid, fmt.Sprintf("holder-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	return b, clk
}

func bal(t *testing.T, b *ledger.Books, id string) ledger.Cents {
	t.Helper()
	c, err := b.Store().Balance(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func verify(t *testing.T, b *ledger.Books) {
	t.Helper()
	if _, err := ledger.Verify(context.Background(), b.Store()); err != nil {
		t.Fatal(err)
	}
}

func TestBooksCallLifecycle(t *testing.T) {
	ctx := context.Background()
	b, clk := newBooks(t, "fam")
	if _, err := b.Deposit(ctx, "fam", 2000, "dep-1"); err != nil {
		t.Fatal(err)
	}
	h, err := b.Reserve(ctx, "fam", 900, "call-1/hold")
	if err != nil || h.Amount != 900 || h.Account != "fam" {
		t.Fatalf("Reserve = %+v, %v", h, err)
	}
	if bal(t, b, "fam") != 1100 {
		t.Errorf("balance during call = %s", bal(t, b, "fam"))
	}
	clk.add(15 * time.Minute)
	if _, err := b.Settle(ctx, h.ID, 315, "call-1/settle"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Settle(ctx, h.ID, 315, "call-1/settle"); err != nil { // retry
		t.Errorf("retry of settle: %v", err)
	}
	if _, err := b.Settle(ctx, h.ID, 100, "call-1/settle-again"); !errors.Is(err, ledger.ErrHoldClosed) {
		t.Errorf("second settle: %v", err)
	}
	if got := bal(t, b, "fam"); got != 1685 {
		t.Errorf("balance after call = %s, want $16.85", got)
	}
	h2, _ := b.Reserve(ctx, "fam", 500, "call-2/hold")
	if _, err := b.Settle(ctx, h2.ID, 501, "call-2/settle"); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("settle above the hold: %v", err)
	}
	if _, err := b.Settle(ctx, h2.ID, 0, "call-2/settle"); err != nil { // never connected
		t.Fatal(err)
	}
	if _, err := b.Credit(ctx, "fam", 315, "dropped", "credit-call-1"); err != nil {
		t.Fatal(err)
	}
	if got := bal(t, b, "fam"); got != 2000 {
		t.Errorf("balance after credit = %s, want $20.00", got)
	}
	opening, ps, err := b.Statement(ctx, "fam", clk.now().Add(-time.Minute), time.Time{})
	if err != nil || opening != 1100 || len(ps) < 3 || ps[len(ps)-1].Balance != 2000 {
		t.Errorf("Statement = %s, %+v, %v", opening, ps, err)
	}
	verify(t, b)
}

func TestBooksBadInputWritesNothing(t *testing.T) {
	ctx := context.Background()
	b, _ := newBooks(t, "fam")
	if _, err := b.Deposit(ctx, "fam", 1000, "dep"); err != nil {
		t.Fatal(err)
	}
	before, _ := b.Store().Transactions(ctx, 0, 0)
	checks := map[string]error{
		"negative deposit": second(b.Deposit(ctx, "fam", -5, "k1")),
		"absurd deposit":   second(b.Deposit(ctx, "fam", ledger.MaxAmount+1, "k2")),
		"zero deposit":     second(b.Deposit(ctx, "fam", 0, "k3")),
		"unknown account":  second(b.Deposit(ctx, "ghost", 5, "k4")),
		"empty key":        second(b.Deposit(ctx, "fam", 5, "")),
		"system account":   second(b.Deposit(ctx, "sys.revenue", 5, "k5")),
		"overdraw hold":    second(b.Reserve(ctx, "fam", 1001, "k6")),
		"credit no reason": second(b.Credit(ctx, "fam", 5, "", "k7")),
		"settle unknown":   second(b.Settle(ctx, "tx-999", 5, "k8")),
		"settle a deposit": second(b.Settle(ctx, before[0].ID, 5, "k9")),
		"key reused":       second(b.Deposit(ctx, "fam", 999, "dep")),
	}
	kinds := map[string]parley.Kind{"unknown account": parley.KindNotFound, "settle unknown": parley.KindNotFound,
		"overdraw hold": parley.KindForbidden, "key reused": parley.KindConflict}
	for name, err := range checks {
		want, ok := kinds[name]
		if !ok {
			want = parley.KindInvalid
		}
		if !parley.IsKind(err, want) {
			t.Errorf("%s: %v, want %s", name, err, want)
		}
	}
	after, _ := b.Store().Transactions(ctx, 0, 0)
	if len(after) != len(before) || bal(t, b, "fam") != 1000 {
		t.Errorf("bad input wrote %d transactions", len(after)-len(before))
	}
}

func second[T any](_ T, err error) error { return err }

func TestBooksInactiveAndRefund(t *testing.T) {
	ctx := context.Background()
	b, clk := newBooks(t, "old", "new", "empty")
	b.Deposit(ctx, "old", 700, "d-old")
	clk.add(181 * 24 * time.Hour)
	b.Deposit(ctx, "new", 300, "d-new")
	dormant, err := b.InactiveSince(ctx, 180)
	if err != nil || len(dormant) != 1 || dormant[0].Account.ID != "old" || dormant[0].Balance != 700 {
		t.Fatalf("InactiveSince = %+v, %v", dormant, err)
	}
	if _, err := b.InactiveSince(ctx, 0); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("days 0: %v", err)
	}
	if err := b.Store().SetAccountActive(ctx, "old", false); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Reserve(ctx, "old", 100, "h-old"); !errors.Is(err, ledger.ErrInactive) {
		t.Errorf("hold on inactive account: %v", err)
	}
	r1, err := b.Refund(ctx, "old", "refund-old")
	if err != nil {
		t.Fatal(err)
	}
	r2, err := b.Refund(ctx, "old", "refund-old") // retry after success
	if err != nil || r2.ID != r1.ID {
		t.Errorf("refund retry = %+v, %v", r2, err)
	}
	if bal(t, b, "old") != 0 || bal(t, b, "sys.refunds") != 700 {
		t.Error("refund did not move the balance")
	}
	if _, err := b.Refund(ctx, "empty", "refund-empty"); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("refund of empty account: %v", err)
	}
	if _, err := b.Refund(ctx, "new", "refund-old"); !errors.Is(err, ledger.ErrKeyReused) {
		t.Errorf("refund key reused: %v", err)
	}
	dep, _ := b.Store().TransactionByKey(ctx, "d-new")
	if _, err := b.Reverse(ctx, dep.ID, "chargeback", "rev-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Reverse(ctx, dep.ID, "chargeback", "rev-2"); !errors.Is(err, ledger.ErrAlreadyReversed) {
		t.Errorf("second reversal: %v", err)
	}
	verify(t, b)
}

// TestPropertyRandomOperations applies random sequences of deposits, holds, settlements,
// releases, credits, refunds, reversals and retries (reusing earlier keys) and checks
// the invariants after every step.
func TestPropertyRandomOperations(t *testing.T) {
	ctx := context.Background()
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 7))
		accts := []string{"a", "b", "c"}
		b, clk := newBooks(t, accts...)
		var holds []ledger.Hold
		var txIDs []string
		var keys []string
		for step := range 300 {
			clk.add(time.Minute)
			acct := accts[r.IntN(len(accts))]
			amt := ledger.Cents(r.Int64N(3000)) - 100 // sometimes negative or zero
			key := fmt.Sprintf("k%d", step)
			if len(keys) > 0 && r.IntN(5) == 0 {
				key = keys[r.IntN(len(keys))] // a retry, possibly with other content
			}
			keys = append(keys, key)
			before := bal(t, b, acct)
			var err error
			var tx ledger.Transaction
			switch r.IntN(7) {
			case 0, 1:
				tx, err = b.Deposit(ctx, acct, amt, key)
			case 2:
				var h ledger.Hold
				h, err = b.Reserve(ctx, acct, amt, key)
				if err == nil {
					holds = append(holds, h)
				}
			case 3:
				if len(holds) > 0 {
					h := holds[r.IntN(len(holds))]
					tx, err = b.Settle(ctx, h.ID, ledger.Cents(r.Int64N(int64(h.Amount)+1)), key)
				}
			case 4:
				if len(holds) > 0 {
					tx, err = b.Release(ctx, holds[r.IntN(len(holds))].ID, key)
				}
			case 5:
				tx, err = b.Credit(ctx, acct, amt, "dropped", key)
			case 6:
				if len(txIDs) > 0 && r.IntN(2) == 0 {
					tx, err = b.Reverse(ctx, txIDs[r.IntN(len(txIDs))], "fix", key)
				} else {
					tx, err = b.Refund(ctx, acct, key)
				}
			}
			if err == nil && tx.ID != "" {
				txIDs = append(txIDs, tx.ID)
			}
			if err != nil && amt > 0 && before < 0 {
				t.Fatalf("seed %d step %d: paying balance was negative", seed, step)
			}
			for _, a := range accts {
				if got := bal(t, b, a); got < 0 {
					t.Fatalf("seed %d step %d: account %s at %s", seed, step, a, got)
				}
			}
			if _, err := ledger.Verify(ctx, b.Store()); err != nil {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
		}
		// Each key was applied at most once.
		txs, _ := b.Store().Transactions(ctx, 0, 0)
		seen := map[string]bool{}
		for _, tx := range txs {
			if seen[tx.IdempotencyKey] {
				t.Fatalf("seed %d: key %s applied twice", seed, tx.IdempotencyKey)
			}
			seen[tx.IdempotencyKey] = true
		}
	}
}

// TestPropertyConcurrentReservations: goroutines reserving, settling and releasing on
// one account in parallel never take it below zero, and the holds granted never exceed
// what was deposited.
func TestPropertyConcurrentReservations(t *testing.T) {
	ctx := context.Background()
	for round := range 5 {
		b, _ := newBooks(t, "fam")
		const deposit = 5000
		if _, err := b.Deposit(ctx, "fam", deposit, "dep"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var charged ledger.Cents
		for g := range 16 {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(round), uint64(g)))
				for i := range 20 {
					amt := ledger.Cents(r.Int64N(900) + 1)
					h, err := b.Reserve(ctx, "fam", amt, fmt.Sprintf("g%d-%d-hold", g, i))
					if errors.Is(err, ledger.ErrInsufficientFunds) {
						continue
					}
					if err != nil {
						t.Errorf("reserve: %v", err)
						return
					}
					if c := bal(t, b, "fam"); c < 0 {
						t.Errorf("balance %s during holds", c)
					}
					actual := ledger.Cents(r.Int64N(int64(amt) + 1))
					if _, err := b.Settle(ctx, h.ID, actual, fmt.Sprintf("g%d-%d-settle", g, i)); err != nil {
						t.Errorf("settle: %v", err)
						return
					}
					mu.Lock()
					charged += actual
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if got := bal(t, b, "fam"); got != deposit-charged || got < 0 {
			t.Errorf("round %d: balance %s, deposited %d, charged %s", round, got, deposit, charged)
		}
		if got := bal(t, b, "sys.revenue"); got != charged {
			t.Errorf("round %d: revenue %s, charged %s", round, got, charged)
		}
		if got := bal(t, b, "sys.holds"); got != 0 {
			t.Errorf("round %d: %s left on hold", round, got)
		}
		verify(t, b)
	}
}
