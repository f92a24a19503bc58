package ledger

import (
	"fmt"
	"time"

	"parley.dev/parley"
)

// Cents is an amount of money in US cents. Money in parley is never a float.
type Cents int64

// MaxAmount bounds the size of a single entry ($100,000): anything larger is a bug or an
// attack, never a phone deposit.
const MaxAmount Cents = 10_000_000

// String renders c as dollars, e.g. "$12.34" or "-$0.05".
func (c Cents) String() string {
	sign := ""
	u := uint64(c)
	if c < 0 {
		sign = "-"
		u = uint64(-c) // -MinInt64 wraps to itself, which uint64 reads correctly
	}
	return fmt.Sprintf("%s$%d.%02d", sign, u/100, u%100)
}

// AccountKind says what an account is for, and so whether it may go below zero.
type AccountKind string

// Account kinds. Paying kinds belong to a family or an incarcerated person and can never
// be overdrawn; the others are parley's own books.
const (
	InmateDebit    AccountKind = "inmate_debit"    // an incarcerated person's calling account
	Prepaid        AccountKind = "prepaid"         // held by a called party for their number
	Collect        AccountKind = "collect"         // a called party's billed account; funded in advance, parley extends no credit
	Cash           AccountKind = "cash"            // clearing: money received or paid out
	Revenue        AccountKind = "revenue"         // earned call charges
	RefundsPayable AccountKind = "refunds_payable" // balances owed back to holders
	Holds          AccountKind = "holds"           // funds reserved by calls in progress
)

// Valid reports whether k is a known kind.
func (k AccountKind) Valid() bool {
	switch k {
	case InmateDebit, Prepaid, Collect, Cash, Revenue, RefundsPayable, Holds:
		return true
	}
	return false
}

// Paying reports whether accounts of this kind hold a family's money: their balance must
// never go below zero, and nothing may be taken from them while they are inactive.
func (k AccountKind) Paying() bool { return k == InmateDebit || k == Prepaid || k == Collect }

// Account is one account of the ledger. Its balance is not a field: it is the sum of its
// entries, which the Store keeps and Verify checks.
type Account struct {
	ID     string      // operator- or system-chosen id (see parley.ValidateID)
	Kind   AccountKind //
	Holder string      // opaque reference to the holder (an id, never a number or name); empty for system accounts
	Active bool        // inactive paying accounts accept deposits, credits and reversals but pay nothing out, except a refund
}

// Validate checks the account's fields.
func (a Account) Validate() error {
	const op = "ledger.Account.Validate"
	if err := parley.ValidateID(a.ID); err != nil {
		return &parley.Error{Op: op, Kind: parley.KindInvalid, Message: "account id", Err: err}
	}
	if !a.Kind.Valid() {
		return parley.Errorf(op, parley.KindInvalid, "unknown account kind %q", a.Kind)
	}
	if a.Holder != "" {
		if err := parley.ValidateID(a.Holder); err != nil {
			return &parley.Error{Op: op, Kind: parley.KindInvalid, Message: "holder reference must be an opaque id", Err: err}
		}
	}
	if a.Kind.Paying() && a.Holder == "" {
		return parley.Errorf(op, parley.KindInvalid, "paying account %s needs a holder reference", a.ID)
	}
	return nil
}

// TxKind is the kind of a transaction.
type TxKind string

// Transaction kinds.
const (
	Deposit  TxKind = "deposit"  // money in from cash to a paying account
	Reserve  TxKind = "reserve"  // a hold: paying account to holds, at call start
	Charge   TxKind = "charge"   // a call's cost; with Closes set, the settlement of a hold
	Release  TxKind = "release"  // a hold returned whole to its paying account
	Credit   TxKind = "credit"   // money given back for a dropped call
	Refund   TxKind = "refund"   // a paying balance moved to refunds payable
	Reversal TxKind = "reversal" // the exact negation of the transaction named by Reverses
)

// Valid reports whether k is a known kind.
func (k TxKind) Valid() bool {
	switch k {
	case Deposit, Reserve, Charge, Release, Credit, Refund, Reversal:
		return true
	}
	return false
}

// Entry is one leg of a transaction: a signed amount on one account. Positive adds to the
// account's balance, negative takes from it.
type Entry struct {
	Account string
	Amount  Cents
}

// Transaction is an atomic, balanced movement of money. Once appended it never changes.
type Transaction struct {
	ID             string    // assigned by the Store
	Seq            int64     // assigned by the Store: strictly increasing in append order
	IdempotencyKey string    // required; a retry carries the same key
	Time           time.Time // when the caller made it; not part of a retry's identity
	Kind           TxKind
	Entries        []Entry
	Memo           string // short, no personal data
	Reverses       string // for a reversal: the ID of the transaction it negates
	Closes         string // for a settle or release: the ID of the reserve transaction it closes
}

// Posting is one entry as seen from its account: the transaction it belongs to and the
// account's balance just after it.
type Posting struct {
	TxID    string
	Seq     int64
	Time    time.Time
	Kind    TxKind
	Memo    string
	Amount  Cents
	Balance Cents // running balance of the account after this entry
}

// Sentinel errors, matched with errors.Is; each is wrapped in a *parley.Error carrying
// the operation.
var (
	// ErrInsufficientFunds: a debit would take a paying account below zero (KindForbidden).
	ErrInsufficientFunds = &parley.Error{Kind: parley.KindForbidden, Message: "insufficient funds"}
	// ErrInactive: money would leave an inactive paying account (KindForbidden).
	ErrInactive = &parley.Error{Kind: parley.KindForbidden, Message: "account is inactive"}
	// ErrKeyReused: an idempotency key was reused with different content (KindConflict).
	ErrKeyReused = &parley.Error{Kind: parley.KindConflict, Message: "idempotency key already used for a different transaction"}
	// ErrAlreadyReversed: the transaction was reversed before (KindConflict).
	ErrAlreadyReversed = &parley.Error{Kind: parley.KindConflict, Message: "transaction already reversed"}
	// ErrHoldClosed: the hold was settled or released before (KindConflict).
	ErrHoldClosed = &parley.Error{Kind: parley.KindConflict, Message: "hold already closed"}
)

// fail wraps a sentinel with an operation and a safe detail.
func fail(op string, sentinel *parley.Error, format string, args ...any) error {
	return &parley.Error{Op: op, Kind: sentinel.Kind, Message: fmt.Sprintf(format, args...), Err: sentinel}
}
