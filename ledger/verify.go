package ledger

import (
	"context"

	"parley.dev/parley"
)

// Report is what Verify found.
type Report struct {
	Transactions int   // transactions read
	Accounts     int   // accounts checked
	Total        Cents // sum of all balances; zero when the books balance
}

// Verify replays every transaction of the store and proves the ledger's invariants: each
// transaction is valid and balanced, each key, reversal and hold close is unique, Seq is
// strictly increasing, every account's stored balance equals the sum of its entries, no
// paying account is below zero, and all balances sum to zero. It returns a KindIntegrity
// error naming the first broken rule. The store should be quiet while it runs (or serve a
// consistent snapshot), or balances may move under it.
func Verify(ctx context.Context, s Store) (Report, error) {
	const op = "ledger.Verify"
	broken := func(format string, args ...any) (Report, error) {
		return Report{}, parley.Errorf(op, parley.KindIntegrity, format, args...)
	}
	accounts, err := s.Accounts(ctx)
	if err != nil {
		return Report{}, parley.WrapError(op, parley.KindInternal, err)
	}
	kinds := make(map[string]AccountKind, len(accounts))
	for _, a := range accounts {
		kinds[a.ID] = a.Kind
	}
	sums := map[string]Cents{}
	keys, reversed, closed := map[string]bool{}, map[string]bool{}, map[string]bool{}
	var rep Report
	var last int64
	const page = 1000
	for {
		txs, err := s.Transactions(ctx, last, page)
		if err != nil {
			return Report{}, parley.WrapError(op, parley.KindInternal, err)
		}
		for _, tx := range txs {
			if tx.Seq <= last {
				return broken("transaction %s is out of order", tx.ID)
			}
			last = tx.Seq
			rep.Transactions++
			if err := Validate(tx); err != nil {
				return broken("transaction %s is invalid: %v", tx.ID, err)
			}
			if keys[tx.IdempotencyKey] {
				return broken("transaction %s reuses an idempotency key", tx.ID)
			}
			keys[tx.IdempotencyKey] = true
			if tx.Reverses != "" {
				if reversed[tx.Reverses] {
					return broken("transaction %s is reversed twice", tx.Reverses)
				}
				reversed[tx.Reverses] = true
			}
			if tx.Closes != "" {
				if closed[tx.Closes] {
					return broken("hold %s is closed twice", tx.Closes)
				}
				closed[tx.Closes] = true
			}
			for _, e := range tx.Entries {
				if _, ok := kinds[e.Account]; !ok {
					return broken("transaction %s posts to unknown account %s", tx.ID, e.Account)
				}
				sums[e.Account] += e.Amount
				if kinds[e.Account].Paying() && sums[e.Account] < 0 {
					return broken("paying account %s went below zero at transaction %s", e.Account, tx.ID)
				}
			}
		}
		if len(txs) < page {
			break
		}
	}
	balances, err := s.Balances(ctx)
	if err != nil {
		return Report{}, parley.WrapError(op, parley.KindInternal, err)
	}
	for _, a := range accounts {
		rep.Accounts++
		if balances[a.ID] != sums[a.ID] {
			return broken("account %s: stored balance %s, entries sum to %s", a.ID, balances[a.ID], sums[a.ID])
		}
		rep.Total += sums[a.ID]
	}
	if rep.Total != 0 {
		return broken("the books do not balance: all balances sum to %s", rep.Total)
	}
	return rep, nil
}
