package ledger

import (
	"context"
	"time"

	"parley.dev/parley"
)

// SystemAccounts names parley's own accounts, the other side of every family movement.
type SystemAccounts struct {
	Cash           string // clearing account for money received and paid out
	Revenue        string // earned call charges; credits for dropped calls come out of it
	RefundsPayable string // balances owed back to holders of inactive or closed accounts
	Holds          string // funds reserved by calls in progress
	// Trust is the clearing account of transfers from facilities' inmate trust
	// (commissary) funds, kept apart from Cash so each side reconciles on its own.
	Trust string
}

// DefaultSystemAccounts returns the ids "sys.cash", "sys.revenue", "sys.refunds",
// "sys.holds" and "sys.trust".
func DefaultSystemAccounts() SystemAccounts {
	return SystemAccounts{Cash: "sys.cash", Revenue: "sys.revenue", RefundsPayable: "sys.refunds", Holds: "sys.holds", Trust: "sys.trust"}
}

// Books is the ledger service: the operations parley performs on money, each one balanced
// transaction appended through a Store. Every method takes an idempotency key; calling it
// again with the same key and arguments returns the first result and moves no money.
type Books struct {
	store Store
	sys   SystemAccounts
	now   func() time.Time
}

// NewBooks returns the service over store. now is the clock (time.Now if nil).
func NewBooks(store Store, sys SystemAccounts, now func() time.Time) *Books {
	if now == nil {
		now = time.Now
	}
	return &Books{store: store, sys: sys, now: now}
}

// Store returns the underlying store.
func (b *Books) Store() Store { return b.store }

// Init creates the system accounts that do not exist yet.
func (b *Books) Init(ctx context.Context) error {
	for id, kind := range map[string]AccountKind{b.sys.Cash: Cash, b.sys.Revenue: Revenue,
		b.sys.RefundsPayable: RefundsPayable, b.sys.Holds: Holds, b.sys.Trust: Cash} {
		if id == "" {
			continue
		}
		err := b.store.CreateAccount(ctx, Account{ID: id, Kind: kind, Active: true})
		if err != nil && !parley.IsKind(err, parley.KindConflict) {
			return parley.WrapError("ledger.Books.Init", parley.KindInternal, err)
		}
	}
	return nil
}

// OpenAccount creates an active paying account for a holder reference (an opaque id).
func (b *Books) OpenAccount(ctx context.Context, id string, kind AccountKind, holder string) error {
	const op = "ledger.Books.OpenAccount"
	if !kind.Paying() {
		return parley.Errorf(op, parley.KindInvalid, "%q is not a paying account kind", kind)
	}
	return parley.WrapError(op, parley.KindInternal,
		b.store.CreateAccount(ctx, Account{ID: id, Kind: kind, Holder: holder, Active: true}))
}

// positive checks an amount argument.
func positive(op string, amount Cents) error {
	if amount <= 0 || amount > MaxAmount {
		return parley.Errorf(op, parley.KindInvalid, "amount must be between $0.01 and %s, not %s", MaxAmount, amount)
	}
	return nil
}

// paying checks that id names a paying account.
func (b *Books) paying(ctx context.Context, op, id string) error {
	a, err := b.store.Account(ctx, id)
	if err != nil {
		return parley.WrapError(op, parley.KindInternal, err)
	}
	if !a.Kind.Paying() {
		return parley.Errorf(op, parley.KindInvalid, "account %s is not a paying account", id)
	}
	return nil
}

// post appends a two-or-more-entry transaction.
func (b *Books) post(ctx context.Context, op string, tx Transaction) (Transaction, error) {
	tx.Time = b.now()
	stored, _, err := b.store.Append(ctx, tx)
	if err != nil {
		return Transaction{}, parley.WrapError(op, parley.KindInternal, err)
	}
	return stored, nil
}

// Deposit records money received for a paying account.
func (b *Books) Deposit(ctx context.Context, account string, amount Cents, key string) (Transaction, error) {
	tx, _, err := b.DepositOnce(ctx, account, amount, key)
	return tx, err
}

// DepositOnce is Deposit that also reports whether this call applied the deposit: false
// for a retry with the same key and arguments, which returns the first deposit and moves
// no money.
func (b *Books) DepositOnce(ctx context.Context, account string, amount Cents, key string) (Transaction, bool, error) {
	return b.depositFrom(ctx, "ledger.Books.Deposit", b.sys.Cash, "deposit", account, amount, key)
}

// TrustTransferMemo is the memo of a transfer from an inmate's trust account.
const TrustTransferMemo = "transfer from trust"

// TransferFromTrust records money moved from an inmate's trust (commissary) account at
// the facility into their debit account, through the Trust clearing account. Only an
// inmate debit account may receive it. It reports whether this call applied it (false
// for a retry with the same key and arguments).
func (b *Books) TransferFromTrust(ctx context.Context, account string, amount Cents, key string) (Transaction, bool, error) {
	const op = "ledger.Books.TransferFromTrust"
	if b.sys.Trust == "" {
		return Transaction{}, false, parley.Errorf(op, parley.KindInvalid, "no trust clearing account is configured")
	}
	a, err := b.store.Account(ctx, account)
	if err != nil {
		return Transaction{}, false, parley.WrapError(op, parley.KindInternal, err)
	}
	if a.Kind != InmateDebit {
		return Transaction{}, false, parley.Errorf(op, parley.KindInvalid, "only an inmate debit account receives trust transfers, not %s", a.Kind)
	}
	return b.depositFrom(ctx, op, b.sys.Trust, TrustTransferMemo, account, amount, key)
}

// depositFrom moves amount from a clearing account to a paying account.
func (b *Books) depositFrom(ctx context.Context, op, source, memo, account string, amount Cents, key string) (Transaction, bool, error) {
	if err := positive(op, amount); err != nil {
		return Transaction{}, false, err
	}
	if err := b.paying(ctx, op, account); err != nil {
		return Transaction{}, false, err
	}
	stored, applied, err := b.store.Append(ctx, Transaction{IdempotencyKey: key, Kind: Deposit, Memo: memo,
		Time: b.now(), Entries: []Entry{{source, -amount}, {account, amount}}})
	if err != nil {
		return Transaction{}, false, parley.WrapError(op, parley.KindInternal, err)
	}
	return stored, applied, nil
}

// Hold is an open reservation: money set aside for a call in progress.
type Hold struct {
	ID      string // the reserve transaction's id
	Account string // the paying account
	Amount  Cents  // the most the call may cost
}

// Reserve sets aside maxAmount of the account's balance for a call about to start
// (the cost of the most minutes the balance can pay for, at most the call length limit).
// It fails with ErrInsufficientFunds if the balance, less other open holds, cannot cover
// it, and with ErrInactive for an inactive account. Parallel reservations on one account
// never exceed its balance: each is an atomic append.
func (b *Books) Reserve(ctx context.Context, account string, maxAmount Cents, key string) (Hold, error) {
	return b.ReserveMemo(ctx, account, maxAmount, key, "call hold")
}

// ReserveMemo is Reserve with the memo statements show (e.g. the call's id; never
// personal data).
func (b *Books) ReserveMemo(ctx context.Context, account string, maxAmount Cents, key, memo string) (Hold, error) {
	const op = "ledger.Books.Reserve"
	if err := positive(op, maxAmount); err != nil {
		return Hold{}, err
	}
	if err := b.paying(ctx, op, account); err != nil {
		return Hold{}, err
	}
	tx, err := b.post(ctx, op, Transaction{IdempotencyKey: key, Kind: Reserve, Memo: memo,
		Entries: []Entry{{account, -maxAmount}, {b.sys.Holds, maxAmount}}})
	if err != nil {
		return Hold{}, err
	}
	return Hold{ID: tx.ID, Account: account, Amount: maxAmount}, nil
}

// hold loads and checks an open hold by its id.
func (b *Books) hold(ctx context.Context, op, id string) (Transaction, Hold, error) {
	tx, err := b.store.Transaction(ctx, id)
	if err != nil {
		return Transaction{}, Hold{}, parley.WrapError(op, parley.KindInternal, err)
	}
	paying, _, amount, err := HoldAmount(tx)
	if err != nil {
		return Transaction{}, Hold{}, parley.WrapError(op, parley.KindInvalid, err)
	}
	return tx, Hold{ID: tx.ID, Account: paying, Amount: amount}, nil
}

// Settle closes a hold at the end of a call: actual (at most the held amount) goes to
// revenue and the rest back to the account. An actual of zero releases the hold.
func (b *Books) Settle(ctx context.Context, holdID string, actual Cents, key string) (Transaction, error) {
	return b.SettleMemo(ctx, holdID, actual, key, "call charge")
}

// SettleMemo is Settle with the memo statements show (e.g. the call's id, length and
// price; never personal data). A zero actual releases the hold under the same memo.
func (b *Books) SettleMemo(ctx context.Context, holdID string, actual Cents, key, memo string) (Transaction, error) {
	const op = "ledger.Books.Settle"
	hold, h, err := b.hold(ctx, op, holdID)
	if err != nil {
		return Transaction{}, err
	}
	if actual < 0 || actual > h.Amount {
		return Transaction{}, parley.Errorf(op, parley.KindInvalid, "a call on hold %s may cost $0.00 to %s, not %s", holdID, h.Amount, actual)
	}
	if actual == 0 {
		rel, err := ReleaseOf(hold, key, memo)
		if err != nil {
			return Transaction{}, parley.WrapError(op, parley.KindInvalid, err)
		}
		return b.post(ctx, op, rel)
	}
	entries := []Entry{{b.sys.Holds, -h.Amount}, {b.sys.Revenue, actual}}
	if rest := h.Amount - actual; rest > 0 {
		entries = append(entries, Entry{h.Account, rest})
	}
	return b.post(ctx, op, Transaction{IdempotencyKey: key, Kind: Charge, Memo: memo,
		Closes: holdID, Entries: entries})
}

// Release closes a hold without charging: the whole amount goes back to the account
// (a call that never connected).
func (b *Books) Release(ctx context.Context, holdID string, key string) (Transaction, error) {
	const op = "ledger.Books.Release"
	_, h, err := b.hold(ctx, op, holdID)
	if err != nil {
		return Transaction{}, err
	}
	return b.post(ctx, op, Transaction{IdempotencyKey: key, Kind: Release, Memo: "hold released",
		Closes: holdID, Entries: []Entry{{b.sys.Holds, -h.Amount}, {h.Account, h.Amount}}})
}

// Credit gives amount back to a paying account out of revenue, for a dropped call or a
// billing error. reason is a short code (e.g. "dropped"), never personal data.
func (b *Books) Credit(ctx context.Context, account string, amount Cents, reason, key string) (Transaction, error) {
	const op = "ledger.Books.Credit"
	if err := positive(op, amount); err != nil {
		return Transaction{}, err
	}
	if reason == "" {
		return Transaction{}, parley.Errorf(op, parley.KindInvalid, "a credit needs a reason")
	}
	if err := b.paying(ctx, op, account); err != nil {
		return Transaction{}, err
	}
	return b.post(ctx, op, Transaction{IdempotencyKey: key, Kind: Credit, Memo: "credit: " + reason,
		Entries: []Entry{{b.sys.Revenue, -amount}, {account, amount}}})
}

// Refund moves the whole balance of a paying account to refunds payable, to be paid back
// to its holder (an inactive account under FCC 24-75, or a closed one). It works on
// inactive accounts. It returns KindInvalid if the balance is zero.
func (b *Books) Refund(ctx context.Context, account, key string) (Transaction, error) {
	const op = "ledger.Books.Refund"
	if err := b.paying(ctx, op, account); err != nil {
		return Transaction{}, err
	}
	// A retry after success finds a zero balance: answer it from the key first.
	if prev, err := b.store.TransactionByKey(ctx, key); err == nil {
		if prev.Kind != Refund || len(prev.Entries) != 2 || prev.Entries[0].Account != account {
			return Transaction{}, fail(op, ErrKeyReused, "transaction %s", prev.ID)
		}
		return prev, nil
	} else if !parley.IsKind(err, parley.KindNotFound) {
		return Transaction{}, parley.WrapError(op, parley.KindInternal, err)
	}
	bal, err := b.store.Balance(ctx, account)
	if err != nil {
		return Transaction{}, parley.WrapError(op, parley.KindInternal, err)
	}
	if bal <= 0 {
		return Transaction{}, parley.Errorf(op, parley.KindInvalid, "account %s has nothing to refund", account)
	}
	return b.post(ctx, op, Transaction{IdempotencyKey: key, Kind: Refund, Memo: "refund of balance",
		Entries: []Entry{{account, -bal}, {b.sys.RefundsPayable, bal}}})
}

// Reverse posts the exact negation of transaction id, once. It cannot reverse a
// reversal or a hold's transactions (use Release or Credit).
func (b *Books) Reverse(ctx context.Context, id, memo, key string) (Transaction, error) {
	const op = "ledger.Books.Reverse"
	orig, err := b.store.Transaction(ctx, id)
	if err != nil {
		return Transaction{}, parley.WrapError(op, parley.KindInternal, err)
	}
	return b.post(ctx, op, NewReversal(orig, key, time.Time{}, memo))
}

// Statement returns the account's postings with Time in [from, to), each with the running
// balance after it, and the balance before the first of them.
func (b *Books) Statement(ctx context.Context, account string, from, to time.Time) (opening Cents, postings []Posting, err error) {
	const op = "ledger.Books.Statement"
	postings, err = b.store.Postings(ctx, account, from, to)
	if err != nil {
		return 0, nil, parley.WrapError(op, parley.KindInternal, err)
	}
	if len(postings) > 0 {
		opening = postings[0].Balance - postings[0].Amount
	} else if !from.IsZero() {
		before, err := b.store.Postings(ctx, account, time.Time{}, from)
		if err != nil {
			return 0, nil, parley.WrapError(op, parley.KindInternal, err)
		}
		if n := len(before); n > 0 {
			opening = before[n-1].Balance
		}
	}
	return opening, postings, nil
}

// Dormant is a paying account with money in it and no activity for a while.
type Dormant struct {
	Account      Account
	Balance      Cents
	LastActivity time.Time // zero if it never had a transaction
}

// InactiveSince returns the paying accounts with a positive balance and no transaction in
// the last days days, ordered by id: the accounts whose holders FCC 24-75 requires to be
// contacted and refunded after 180 days of inactivity.
func (b *Books) InactiveSince(ctx context.Context, days int) ([]Dormant, error) {
	const op = "ledger.Books.InactiveSince"
	if days < 1 || days > 36500 {
		return nil, parley.Errorf(op, parley.KindInvalid, "days must be between 1 and 36500")
	}
	cutoff := b.now().AddDate(0, 0, -days)
	accounts, err := b.store.Accounts(ctx)
	if err != nil {
		return nil, parley.WrapError(op, parley.KindInternal, err)
	}
	var out []Dormant
	for _, a := range accounts {
		if !a.Kind.Paying() {
			continue
		}
		bal, err := b.store.Balance(ctx, a.ID)
		if err != nil {
			return nil, parley.WrapError(op, parley.KindInternal, err)
		}
		last, err := b.store.LastActivity(ctx, a.ID)
		if err != nil {
			return nil, parley.WrapError(op, parley.KindInternal, err)
		}
		if bal > 0 && last.Before(cutoff) {
			out = append(out, Dormant{Account: a, Balance: bal, LastActivity: last})
		}
	}
	return out, nil
}
