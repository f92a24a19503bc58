package ledger

import (
	"slices"
	"time"
	"unicode"

	"parley.dev/parley"
)

// Limits on the shape of a transaction.
const (
	MaxEntries = 16  // entries in one transaction
	MaxKeyLen  = 128 // bytes of an idempotency key
	MaxMemoLen = 200 // bytes of a memo
)

// Validate checks a transaction on its own, before any store is consulted: a known kind,
// an idempotency key, a time, 2 to MaxEntries entries on distinct accounts, each non-zero
// and at most MaxAmount in size, summing to zero, and Reverses/Closes used only by the
// kinds that take them. It returns KindInvalid errors.
func Validate(tx Transaction) error {
	const op = "ledger.Validate"
	switch {
	case tx.IdempotencyKey == "":
		return parley.Errorf(op, parley.KindInvalid, "idempotency key is required")
	case len(tx.IdempotencyKey) > MaxKeyLen || !printable(tx.IdempotencyKey):
		return parley.Errorf(op, parley.KindInvalid, "idempotency key must be at most %d printable bytes", MaxKeyLen)
	case !tx.Kind.Valid():
		return parley.Errorf(op, parley.KindInvalid, "unknown transaction kind %q", tx.Kind)
	case tx.Time.IsZero():
		return parley.Errorf(op, parley.KindInvalid, "transaction time is required")
	case len(tx.Memo) > MaxMemoLen || !printable(tx.Memo):
		return parley.Errorf(op, parley.KindInvalid, "memo must be at most %d printable bytes", MaxMemoLen)
	case len(tx.Entries) < 2 || len(tx.Entries) > MaxEntries:
		return parley.Errorf(op, parley.KindInvalid, "a transaction needs 2 to %d entries, not %d", MaxEntries, len(tx.Entries))
	case (tx.Kind == Reversal) != (tx.Reverses != ""):
		return parley.Errorf(op, parley.KindInvalid, "a reversal, and only a reversal, names the transaction it reverses")
	case tx.Closes != "" && tx.Kind != Charge && tx.Kind != Release:
		return parley.Errorf(op, parley.KindInvalid, "only a charge or a release may close a hold")
	case tx.Kind == Release && tx.Closes == "":
		return parley.Errorf(op, parley.KindInvalid, "a release must name the hold it closes")
	case tx.Kind == Reserve && len(tx.Entries) != 2:
		return parley.Errorf(op, parley.KindInvalid, "a reserve has exactly two entries")
	}
	seen := make(map[string]bool, len(tx.Entries))
	var sum Cents
	for i, e := range tx.Entries {
		switch {
		case e.Account == "":
			return parley.Errorf(op, parley.KindInvalid, "entry %d has no account", i)
		case seen[e.Account]:
			return parley.Errorf(op, parley.KindInvalid, "account %s appears twice", e.Account)
		case e.Amount == 0:
			return parley.Errorf(op, parley.KindInvalid, "entry %d has a zero amount", i)
		case e.Amount > MaxAmount || e.Amount < -MaxAmount:
			return parley.Errorf(op, parley.KindInvalid, "entry %d is larger than %s", i, MaxAmount)
		}
		seen[e.Account] = true
		sum += e.Amount // bounded: at most MaxEntries × MaxAmount
	}
	if sum != 0 {
		return parley.Errorf(op, parley.KindInvalid, "transaction does not balance: entries sum to %s", sum)
	}
	return nil
}

// printable reports whether s has no control characters.
func printable(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return false
		}
	}
	return true
}

// CheckPostings checks a valid transaction against the accounts it touches and their
// balances before it, as a Store sees them inside its atomic append: every account exists
// (KindNotFound), no debit leaves an inactive paying account except a refund
// (ErrInactive), no paying account ends below zero (ErrInsufficientFunds), and a reserve
// moves money from a paying account to a holds account (KindInvalid).
func CheckPostings(tx Transaction, accounts map[string]Account, balances map[string]Cents) error {
	const op = "ledger.CheckPostings"
	for _, e := range tx.Entries {
		a, ok := accounts[e.Account]
		if !ok {
			return parley.Errorf(op, parley.KindNotFound, "account %s does not exist", e.Account)
		}
		if tx.Kind == Reserve {
			if e.Amount < 0 && !a.Kind.Paying() || e.Amount > 0 && a.Kind != Holds {
				return parley.Errorf(op, parley.KindInvalid, "a reserve moves money from a paying account to a holds account")
			}
		}
		if !a.Kind.Paying() || e.Amount > 0 {
			continue
		}
		if !a.Active && tx.Kind != Refund {
			return fail(op, ErrInactive, "account %s", a.ID)
		}
		if after := balances[e.Account] + e.Amount; after < 0 {
			return fail(op, ErrInsufficientFunds, "account %s: %s needed, %s available", a.ID, -e.Amount, balances[e.Account])
		}
	}
	return nil
}

// SameContent reports whether two transactions carry the same movement: kind, entries in
// order, memo, Reverses and Closes. ID, Seq, Time and the key itself are not compared, so
// a retry made later is still the same transaction.
func SameContent(a, b Transaction) bool {
	return a.Kind == b.Kind && a.Memo == b.Memo && a.Reverses == b.Reverses &&
		a.Closes == b.Closes && slices.Equal(a.Entries, b.Entries)
}

// CheckReversal checks that rev exactly negates orig: the same accounts, each amount
// negated. Reversals, and the transactions of a hold's life (reserve, settle, release),
// cannot be reversed: a hold is undone by releasing it. KindInvalid otherwise.
func CheckReversal(orig, rev Transaction) error {
	const op = "ledger.CheckReversal"
	switch {
	case rev.Reverses != orig.ID:
		return parley.Errorf(op, parley.KindInvalid, "reversal names %s, not %s", rev.Reverses, orig.ID)
	case orig.Kind == Reversal:
		return parley.Errorf(op, parley.KindInvalid, "a reversal cannot be reversed; post a new transaction")
	case orig.Kind == Reserve || orig.Kind == Release || orig.Closes != "":
		return parley.Errorf(op, parley.KindInvalid, "a hold's transactions cannot be reversed; release or credit instead")
	case len(rev.Entries) != len(orig.Entries):
		return parley.Errorf(op, parley.KindInvalid, "reversal of %s must negate each of its entries", orig.ID)
	}
	want := make(map[string]Cents, len(orig.Entries))
	for _, e := range orig.Entries {
		want[e.Account] = -e.Amount
	}
	for _, e := range rev.Entries {
		if amt, ok := want[e.Account]; !ok || amt != e.Amount {
			return parley.Errorf(op, parley.KindInvalid, "reversal of %s must negate each of its entries exactly", orig.ID)
		}
	}
	return nil
}

// NewReversal builds the reversal of orig under a new idempotency key.
func NewReversal(orig Transaction, key string, at time.Time, memo string) Transaction {
	rev := Transaction{IdempotencyKey: key, Time: at, Kind: Reversal, Memo: memo, Reverses: orig.ID}
	for _, e := range orig.Entries {
		rev.Entries = append(rev.Entries, Entry{Account: e.Account, Amount: -e.Amount})
	}
	return rev
}

// HoldAmount returns the paying account, holds account and amount of a reserve
// transaction, or a KindInvalid error if reserve is not one.
func HoldAmount(reserve Transaction) (paying, holds string, amount Cents, err error) {
	if reserve.Kind != Reserve || len(reserve.Entries) != 2 {
		return "", "", 0, parley.Errorf("ledger.HoldAmount", parley.KindInvalid, "transaction %s is not a hold", reserve.ID)
	}
	for _, e := range reserve.Entries {
		if e.Amount < 0 {
			paying, amount = e.Account, -e.Amount
		} else {
			holds = e.Account
		}
	}
	return paying, holds, amount, nil
}

// ReleaseOf returns the transaction that releases the hold reserve in full (the whole
// amount back to the paying account, nothing charged), under key and memo, for Append.
// Books.Settle with a zero charge posts the same; a store ending calls a crashed node left
// posts it in its own transaction. KindInvalid if reserve is not a hold.
func ReleaseOf(reserve Transaction, key, memo string) (Transaction, error) {
	paying, holds, amount, err := HoldAmount(reserve)
	if err != nil {
		return Transaction{}, err
	}
	return Transaction{IdempotencyKey: key, Kind: Release, Memo: memo, Closes: reserve.ID,
		Entries: []Entry{{holds, -amount}, {paying, amount}}}, nil
}

// CheckClose checks that close (a charge or release naming reserve in Closes) empties the
// hold exactly: the holds account gives back the whole amount; a release returns all of it
// to the paying account; a settling charge returns the unspent part (if any) to the paying
// account and puts the rest, more than zero, on exactly one other account. KindInvalid
// otherwise.
func CheckClose(reserve, close Transaction) error {
	const op = "ledger.CheckClose"
	paying, holds, held, err := HoldAmount(reserve)
	if err != nil {
		return err
	}
	if close.Closes != reserve.ID {
		return parley.Errorf(op, parley.KindInvalid, "transaction closes %s, not %s", close.Closes, reserve.ID)
	}
	var fromHolds, toPaying, toOther Cents
	others := 0
	for _, e := range close.Entries {
		switch e.Account {
		case holds:
			fromHolds = -e.Amount
		case paying:
			toPaying = e.Amount
		default:
			others++
			toOther = e.Amount
		}
	}
	switch {
	case fromHolds != held:
		return parley.Errorf(op, parley.KindInvalid, "closing hold %s must take exactly %s from holds", reserve.ID, held)
	case close.Kind == Release && (toPaying != held || others != 0):
		return parley.Errorf(op, parley.KindInvalid, "a release returns the whole hold %s to its account", reserve.ID)
	case close.Kind == Charge && (toPaying < 0 || others != 1 || toOther <= 0):
		return parley.Errorf(op, parley.KindInvalid, "a settlement of hold %s charges one account and returns the rest", reserve.ID)
	}
	return nil
}
