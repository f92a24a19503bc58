// Package ledgertest is the conformance suite every ledger.Store passes: Run checks each
// method's contract (round trips, error kinds, idempotency, append-only corrections,
// holds, atomicity under concurrency) and that a failed append writes nothing.
package ledgertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/ledger"
)

// Opener returns a new, empty store for one test. It registers its own cleanup.
type Opener func(t *testing.T) ledger.Store

// Run runs the conformance suite, one subtest per area, each on a fresh store.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s ledger.Store)
	}{
		{"Accounts", testAccounts},
		{"AppendAndBalances", testAppend},
		{"Idempotency", testIdempotency},
		{"RejectsWriteNothing", testRejects},
		{"Overdraft", testOverdraft},
		{"Inactive", testInactive},
		{"Reversal", testReversal},
		{"Holds", testHolds},
		{"Postings", testPostings},
		{"ConcurrentReserves", testConcurrentReserves},
		{"ConcurrentSameKey", testConcurrentSameKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			tc.fn(t, s)
			if _, err := ledger.Verify(context.Background(), s); err != nil {
				t.Errorf("Verify after %s: %v", tc.name, err)
			}
		})
	}
}

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 123456000, time.UTC)

// setup creates cash, revenue, holds, refunds and two active prepaid accounts, and
// deposits $10.00 into "acct-a".
func setup(t *testing.T, s ledger.Store) {
	t.Helper()
	ctx := context.Background()
	for _, a := range []ledger.Account{
		{ID: "cash", Kind: ledger.Cash, Active: true},
		{ID: "revenue", Kind: ledger.Revenue, Active: true},
		{ID: "holds", Kind: ledger.Holds, Active: true},
		{ID: "refunds", Kind: ledger.RefundsPayable, Active: true},
		{ID: "acct-a", Kind: ledger.Prepaid, Holder: "holder-1", Active: true},
		{ID: "acct-b", Kind: ledger.InmateDebit, Holder: "holder-2", Active: true},
	} {
		if err := s.CreateAccount(ctx, a); err != nil {
			t.Fatalf("CreateAccount %s: %v", a.ID, err)
		}
	}
	mustAppend(t, s, tx("dep-a", ledger.Deposit, e("cash", -1000), e("acct-a", 1000)))
}

func e(account string, amount ledger.Cents) ledger.Entry {
	return ledger.Entry{Account: account, Amount: amount}
}

func tx(key string, kind ledger.TxKind, entries ...ledger.Entry) ledger.Transaction {
	return ledger.Transaction{IdempotencyKey: key, Time: t0, Kind: kind, Entries: entries, Memo: string(kind)}
}

func mustAppend(t *testing.T, s ledger.Store, x ledger.Transaction) ledger.Transaction {
	t.Helper()
	got, applied, err := s.Append(context.Background(), x)
	if err != nil || !applied {
		t.Fatalf("Append %s: applied=%v err=%v", x.IdempotencyKey, applied, err)
	}
	return got
}

func wantKind(t *testing.T, what string, err error, kind parley.Kind) {
	t.Helper()
	if !parley.IsKind(err, kind) {
		t.Errorf("%s: err = %v, want kind %s", what, err, kind)
	}
}

func balance(t *testing.T, s ledger.Store, id string) ledger.Cents {
	t.Helper()
	b, err := s.Balance(context.Background(), id)
	if err != nil {
		t.Fatalf("Balance %s: %v", id, err)
	}
	return b
}

func testAccounts(t *testing.T, s ledger.Store) {
	ctx := context.Background()
	setup(t, s)
	wantKind(t, "duplicate", s.CreateAccount(ctx, ledger.Account{ID: "cash", Kind: ledger.Cash}), parley.KindConflict)
	wantKind(t, "bad kind", s.CreateAccount(ctx, ledger.Account{ID: "x", Kind: "wallet"}), parley.KindInvalid)
	wantKind(t, "paying without holder", s.CreateAccount(ctx, ledger.Account{ID: "y", Kind: ledger.Prepaid}), parley.KindInvalid)
	wantKind(t, "holder is a number", s.CreateAccount(ctx, ledger.Account{ID: "z", Kind: ledger.Prepaid, Holder: "+15551234567"}), parley.KindInvalid)
	_, err := s.Account(ctx, "nope")
	wantKind(t, "missing account", err, parley.KindNotFound)
	wantKind(t, "SetAccountActive missing", s.SetAccountActive(ctx, "nope", false), parley.KindNotFound)
	a, err := s.Account(ctx, "acct-a")
	if err != nil || a.Holder != "holder-1" || a.Kind != ledger.Prepaid || !a.Active {
		t.Errorf("Account = %+v, %v", a, err)
	}
	list, err := s.Accounts(ctx)
	if err != nil || len(list) != 6 {
		t.Fatalf("Accounts: %d, %v", len(list), err)
	}
	for i := 1; i < len(list); i++ {
		if list[i-1].ID >= list[i].ID {
			t.Errorf("Accounts not ordered by id: %s before %s", list[i-1].ID, list[i].ID)
		}
	}
	if err := s.SetAccountActive(ctx, "acct-a", false); err != nil {
		t.Fatal(err)
	}
	if a, _ := s.Account(ctx, "acct-a"); a.Active {
		t.Error("SetAccountActive(false) did not stick")
	}
}

func testAppend(t *testing.T, s ledger.Store) {
	ctx := context.Background()
	setup(t, s)
	got := mustAppend(t, s, tx("chg-1", ledger.Charge, e("acct-a", -250), e("revenue", 250)))
	if got.ID == "" || got.Seq <= 0 || !got.Time.Equal(t0.Truncate(time.Microsecond)) {
		t.Errorf("stored = %+v", got)
	}
	back, err := s.Transaction(ctx, got.ID)
	if err != nil || !ledger.SameContent(back, got) || back.Seq != got.Seq || back.IdempotencyKey != "chg-1" {
		t.Errorf("Transaction(%s) = %+v, %v", got.ID, back, err)
	}
	byKey, err := s.TransactionByKey(ctx, "chg-1")
	if err != nil || byKey.ID != got.ID {
		t.Errorf("TransactionByKey = %+v, %v", byKey, err)
	}
	_, err = s.TransactionByKey(ctx, "nope")
	wantKind(t, "TransactionByKey missing", err, parley.KindNotFound)
	_, err = s.Transaction(ctx, "nope")
	wantKind(t, "Transaction missing", err, parley.KindNotFound)
	if b := balance(t, s, "acct-a"); b != 750 {
		t.Errorf("balance = %s, want $7.50", b)
	}
	all, err := s.Balances(ctx)
	if err != nil || all["revenue"] != 250 || all["cash"] != -1000 || all["acct-b"] != 0 || len(all) != 6 {
		t.Errorf("Balances = %v, %v", all, err)
	}
	txs, err := s.Transactions(ctx, 0, 0)
	if err != nil || len(txs) != 2 || txs[0].Seq >= txs[1].Seq {
		t.Fatalf("Transactions = %+v, %v", txs, err)
	}
	page, err := s.Transactions(ctx, txs[0].Seq, 1)
	if err != nil || len(page) != 1 || page[0].ID != txs[1].ID {
		t.Errorf("Transactions(after first, 1) = %+v, %v", page, err)
	}
	_, err = s.Balance(ctx, "nope")
	wantKind(t, "Balance missing", err, parley.KindNotFound)
}

func testIdempotency(t *testing.T, s ledger.Store) {
	ctx := context.Background()
	setup(t, s)
	first := mustAppend(t, s, tx("chg-1", ledger.Charge, e("acct-a", -100), e("revenue", 100)))
	retry := tx("chg-1", ledger.Charge, e("acct-a", -100), e("revenue", 100))
	retry.Time = t0.Add(time.Hour) // a retry made later is the same transaction
	got, applied, err := s.Append(ctx, retry)
	if err != nil || applied || got.ID != first.ID {
		t.Errorf("retry: applied=%v id=%s err=%v, want the first (%s) not applied", applied, got.ID, err, first.ID)
	}
	if b := balance(t, s, "acct-a"); b != 900 {
		t.Errorf("balance after retry = %s, want $9.00", b)
	}
	_, _, err = s.Append(ctx, tx("chg-1", ledger.Charge, e("acct-a", -200), e("revenue", 200)))
	wantKind(t, "same key, other content", err, parley.KindConflict)
	if !errors.Is(err, ledger.ErrKeyReused) {
		t.Errorf("err = %v, want ErrKeyReused", err)
	}
	if b := balance(t, s, "acct-a"); b != 900 {
		t.Errorf("balance after conflicting key = %s, want $9.00", b)
	}
}

func testRejects(t *testing.T, s ledger.Store) {
	ctx := context.Background()
	setup(t, s)
	before, _ := s.Transactions(ctx, 0, 0)
	cases := []struct {
		name string
		tx   ledger.Transaction
		kind parley.Kind
	}{
		{"unbalanced", tx("k1", ledger.Charge, e("acct-a", -100), e("revenue", 99)), parley.KindInvalid},
		{"zero amount", tx("k2", ledger.Charge, e("acct-a", 0), e("revenue", 0)), parley.KindInvalid},
		{"one entry", tx("k3", ledger.Charge, e("acct-a", 0)), parley.KindInvalid},
		{"empty key", tx("", ledger.Charge, e("acct-a", -1), e("revenue", 1)), parley.KindInvalid},
		{"absurd", tx("k4", ledger.Deposit, e("cash", -ledger.MaxAmount-1), e("acct-a", ledger.MaxAmount+1)), parley.KindInvalid},
		{"unknown kind", tx("k5", "gift", e("cash", -1), e("acct-a", 1)), parley.KindInvalid},
		{"same account twice", tx("k6", ledger.Charge, e("acct-a", -1), e("acct-a", 1)), parley.KindInvalid},
		{"unknown account", tx("k7", ledger.Deposit, e("cash", -1), e("ghost", 1)), parley.KindNotFound},
		{"reserve to revenue", tx("k8", ledger.Reserve, e("acct-a", -1), e("revenue", 1)), parley.KindInvalid},
		{"overdraft", tx("k9", ledger.Charge, e("acct-a", -1001), e("revenue", 1001)), parley.KindForbidden},
		{"reverses unknown", func() ledger.Transaction {
			x := tx("k10", ledger.Reversal, e("cash", 1), e("acct-a", -1))
			x.Reverses = "ghost"
			return x
		}(), parley.KindNotFound},
		{"closes unknown", func() ledger.Transaction {
			x := tx("k11", ledger.Release, e("holds", -1), e("acct-a", 1))
			x.Closes = "ghost"
			return x
		}(), parley.KindNotFound},
	}
	for _, c := range cases {
		_, applied, err := s.Append(ctx, c.tx)
		if applied {
			t.Errorf("%s: applied", c.name)
		}
		wantKind(t, c.name, err, c.kind)
	}
	after, _ := s.Transactions(ctx, 0, 0)
	if len(after) != len(before) {
		t.Errorf("rejected appends wrote %d transactions", len(after)-len(before))
	}
	if b := balance(t, s, "acct-a"); b != 1000 {
		t.Errorf("balance = %s after rejects, want $10.00", b)
	}
	// A rejected key stays free.
	mustAppend(t, s, tx("k9", ledger.Charge, e("acct-a", -1000), e("revenue", 1000)))
}

func testOverdraft(t *testing.T, s ledger.Store) {
	setup(t, s)
	mustAppend(t, s, tx("c1", ledger.Charge, e("acct-a", -1000), e("revenue", 1000)))
	_, _, err := s.Append(context.Background(), tx("c2", ledger.Charge, e("acct-a", -1), e("revenue", 1)))
	if !errors.Is(err, ledger.ErrInsufficientFunds) || !parley.IsKind(err, parley.KindForbidden) {
		t.Errorf("charge on empty account: %v, want ErrInsufficientFunds", err)
	}
	// System accounts may go below zero.
	mustAppend(t, s, tx("c3", ledger.Credit, e("cash", -5), e("acct-b", 5)))
}

func testInactive(t *testing.T, s ledger.Store) {
	ctx := context.Background()
	setup(t, s)
	if err := s.SetAccountActive(ctx, "acct-a", false); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.Append(ctx, tx("c1", ledger.Charge, e("acct-a", -1), e("revenue", 1)))
	if !errors.Is(err, ledger.ErrInactive) {
		t.Errorf("charge on inactive account: %v, want ErrInactive", err)
	}
	mustAppend(t, s, tx("d1", ledger.Deposit, e("cash", -5), e("acct-a", 5)))
	mustAppend(t, s, tx("r1", ledger.Refund, e("acct-a", -1005), e("refunds", 1005)))
	if b := balance(t, s, "acct-a"); b != 0 {
		t.Errorf("balance after refund = %s", b)
	}
}

func testReversal(t *testing.T, s ledger.Store) {
	ctx := context.Background()
	setup(t, s)
	orig := mustAppend(t, s, tx("c1", ledger.Charge, e("acct-a", -300), e("revenue", 300)))
	bad := ledger.NewReversal(orig, "rev-bad", t0, "oops")
	bad.Entries[0].Amount++
	bad.Entries[1].Amount--
	_, _, err := s.Append(ctx, bad)
	wantKind(t, "inexact reversal", err, parley.KindInvalid)
	rev := mustAppend(t, s, ledger.NewReversal(orig, "rev-1", t0, "billing error"))
	if b := balance(t, s, "acct-a"); b != 1000 {
		t.Errorf("balance after reversal = %s, want $10.00", b)
	}
	if by, err := s.ReversedBy(ctx, orig.ID); err != nil || by != rev.ID {
		t.Errorf("ReversedBy = %q, %v", by, err)
	}
	if by, err := s.ReversedBy(ctx, rev.ID); err != nil || by != "" {
		t.Errorf("ReversedBy(reversal) = %q, %v", by, err)
	}
	_, err = s.ReversedBy(ctx, "ghost")
	wantKind(t, "ReversedBy missing", err, parley.KindNotFound)
	_, _, err = s.Append(ctx, ledger.NewReversal(orig, "rev-2", t0, "again"))
	if !errors.Is(err, ledger.ErrAlreadyReversed) {
		t.Errorf("second reversal: %v, want ErrAlreadyReversed", err)
	}
	_, _, err = s.Append(ctx, ledger.NewReversal(rev, "rev-3", t0, "undo"))
	wantKind(t, "reversal of a reversal", err, parley.KindInvalid)
}

func testHolds(t *testing.T, s ledger.Store) {
	ctx := context.Background()
	setup(t, s)
	hold := mustAppend(t, s, tx("h1", ledger.Reserve, e("acct-a", -600), e("holds", 600)))
	if b := balance(t, s, "acct-a"); b != 400 {
		t.Errorf("balance with hold = %s, want $4.00", b)
	}
	_, _, err := s.Append(ctx, tx("h2", ledger.Reserve, e("acct-a", -401), e("holds", 401)))
	if !errors.Is(err, ledger.ErrInsufficientFunds) {
		t.Errorf("hold beyond the rest: %v", err)
	}
	short := tx("s0", ledger.Charge, e("holds", -500), e("revenue", 500))
	short.Closes = hold.ID
	_, _, err = s.Append(ctx, short)
	wantKind(t, "settle not emptying the hold", err, parley.KindInvalid)
	settle := tx("s1", ledger.Charge, e("holds", -600), e("revenue", 250), e("acct-a", 350))
	settle.Closes = hold.ID
	st := mustAppend(t, s, settle)
	if by, err := s.ClosedBy(ctx, hold.ID); err != nil || by != st.ID {
		t.Errorf("ClosedBy = %q, %v", by, err)
	}
	again := tx("s2", ledger.Release, e("holds", -600), e("acct-a", 600))
	again.Closes = hold.ID
	_, _, err = s.Append(ctx, again)
	if !errors.Is(err, ledger.ErrHoldClosed) {
		t.Errorf("second close: %v, want ErrHoldClosed", err)
	}
	if b := balance(t, s, "acct-a"); b != 750 {
		t.Errorf("balance after settle = %s, want $7.50", b)
	}
	_, _, err = s.Append(ctx, ledger.NewReversal(hold, "rv", t0, ""))
	wantKind(t, "reversing a hold", err, parley.KindInvalid)
}

func testPostings(t *testing.T, s ledger.Store) {
	ctx := context.Background()
	setup(t, s) // $10.00 at t0
	for i := 1; i <= 3; i++ {
		x := tx(fmt.Sprintf("c%d", i), ledger.Charge, e("acct-a", -100), e("revenue", 100))
		x.Time = t0.Add(time.Duration(i) * time.Hour)
		mustAppend(t, s, x)
	}
	ps, err := s.Postings(ctx, "acct-a", t0.Add(time.Hour), t0.Add(3*time.Hour))
	if err != nil || len(ps) != 2 {
		t.Fatalf("Postings = %+v, %v", ps, err)
	}
	if ps[0].Balance != 900 || ps[1].Balance != 800 || ps[0].Amount != -100 || ps[0].Seq >= ps[1].Seq {
		t.Errorf("running balances = %+v", ps)
	}
	all, _ := s.Postings(ctx, "acct-a", time.Time{}, time.Time{})
	if len(all) != 4 || all[3].Balance != 700 {
		t.Errorf("all postings = %+v", all)
	}
	last, err := s.LastActivity(ctx, "acct-a")
	if err != nil || !last.Equal(t0.Add(3*time.Hour).Truncate(time.Microsecond)) {
		t.Errorf("LastActivity = %v, %v", last, err)
	}
	if last, err := s.LastActivity(ctx, "acct-b"); err != nil || !last.IsZero() {
		t.Errorf("LastActivity of unused account = %v, %v", last, err)
	}
	_, err = s.Postings(ctx, "ghost", time.Time{}, time.Time{})
	wantKind(t, "Postings missing", err, parley.KindNotFound)
}

func testConcurrentReserves(t *testing.T, s ledger.Store) {
	ctx := context.Background()
	setup(t, s) // $10.00
	const workers, amount = 40, 70
	var wg sync.WaitGroup
	var mu sync.Mutex
	var won ledger.Cents
	for i := range workers {
		wg.Go(func() {
			_, applied, err := s.Append(ctx, tx(fmt.Sprintf("h%d", i), ledger.Reserve, e("acct-a", -amount), e("holds", amount)))
			switch {
			case err == nil && applied:
				mu.Lock()
				won += amount
				mu.Unlock()
			case err != nil && !errors.Is(err, ledger.ErrInsufficientFunds):
				t.Errorf("reserve %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if won > 1000 || won < 1000-amount {
		t.Errorf("parallel holds took %s of $10.00", won)
	}
	if b := balance(t, s, "acct-a"); b != 1000-won || b < 0 {
		t.Errorf("balance = %s, holds = %s", b, won)
	}
}

func testConcurrentSameKey(t *testing.T, s ledger.Store) {
	ctx := context.Background()
	setup(t, s)
	var wg sync.WaitGroup
	var mu sync.Mutex
	applied, ids := 0, map[string]bool{}
	for range 20 {
		wg.Go(func() {
			got, ok, err := s.Append(ctx, tx("same", ledger.Charge, e("acct-a", -10), e("revenue", 10)))
			if err != nil {
				t.Errorf("append: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ids[got.ID] = true
			if ok {
				applied++
			}
		})
	}
	wg.Wait()
	if applied != 1 || len(ids) != 1 {
		t.Errorf("one key applied %d times, %d ids", applied, len(ids))
	}
	if b := balance(t, s, "acct-a"); b != 990 {
		t.Errorf("balance = %s, want $9.90", b)
	}
}
