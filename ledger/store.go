package ledger

import (
	"context"
	"time"
)

// Store persists accounts and transactions. NewMemStore is the in-memory implementation;
// SQL implementations live in sqldb. Every implementation must pass the conformance suite
// in ledger/ledgertest.
//
// Errors are *parley.Error values: KindInvalid for bad input, KindNotFound for a missing
// account or transaction, KindConflict for a lost race or a broken uniqueness rule, and
// KindForbidden (wrapping ErrInsufficientFunds or ErrInactive) for money a paying account
// may not give. A failed call writes nothing.
//
// All methods are safe for concurrent use.
type Store interface {
	// CreateAccount stores a new account. KindInvalid if Validate fails, KindConflict if
	// the id exists.
	CreateAccount(ctx context.Context, a Account) error
	// Account returns the account, or KindNotFound.
	Account(ctx context.Context, id string) (Account, error)
	// SetAccountActive activates or deactivates an account. KindNotFound if it does not
	// exist. Deactivation does not move money.
	SetAccountActive(ctx context.Context, id string, active bool) error
	// Accounts returns every account, ordered by id.
	Accounts(ctx context.Context) ([]Account, error)

	// Append applies tx atomically and returns it as stored, with ID and Seq assigned,
	// and whether it was applied by this call.
	//
	// In one atomic step (a serializable database transaction, or an equivalent lock) it:
	//  1. looks up tx.IdempotencyKey: if a transaction with that key exists and
	//     SameContent holds, it returns the stored one and applied == false, writing
	//     nothing (a retry); if the content differs, it returns a KindConflict error
	//     wrapping ErrKeyReused;
	//  2. runs Validate (KindInvalid);
	//  3. if tx.Reverses is set, loads that transaction (KindNotFound), refuses a second
	//     reversal of it (ErrAlreadyReversed) and runs CheckReversal;
	//  4. if tx.Closes is set, loads that transaction (KindNotFound), refuses a second
	//     close of it (ErrHoldClosed) and runs CheckClose;
	//  5. loads every account tx touches and their balances and runs CheckPostings
	//     (KindNotFound, ErrInactive, ErrInsufficientFunds);
	//  6. assigns a new unique ID and a Seq greater than every Seq before it, and stores
	//     the transaction and its entries, updating balances.
	//
	// Because steps 1 to 6 are one atomic step, concurrent appends never overdraw a
	// paying account, never apply one key twice and never reverse or close one
	// transaction twice. Time is stored as given (to the microsecond, in UTC).
	Append(ctx context.Context, tx Transaction) (stored Transaction, applied bool, err error)

	// Transaction returns a stored transaction by id, or KindNotFound.
	Transaction(ctx context.Context, id string) (Transaction, error)
	// TransactionByKey returns the stored transaction with that idempotency key, or
	// KindNotFound.
	TransactionByKey(ctx context.Context, key string) (Transaction, error)
	// Transactions returns the stored transactions with after < Seq, in Seq order, at most
	// limit of them (limit <= 0 means all).
	Transactions(ctx context.Context, after int64, limit int) ([]Transaction, error)
	// ReversedBy returns the id of the reversal of transaction id, or "" if it has none.
	// KindNotFound if id does not exist.
	ReversedBy(ctx context.Context, id string) (string, error)
	// ClosedBy returns the id of the transaction that closed hold id, or "" if it is
	// still open. KindNotFound if id does not exist.
	ClosedBy(ctx context.Context, id string) (string, error)

	// Balance returns the account's balance: the sum of its entries. KindNotFound if the
	// account does not exist.
	Balance(ctx context.Context, account string) (Cents, error)
	// Balances returns the balance of every account (zero for those without entries).
	Balances(ctx context.Context) (map[string]Cents, error)
	// Postings returns the account's entries whose transaction Time is in [from, to)
	// (a zero bound is open), in Seq order, each with the account's running balance after
	// it (counting every earlier entry, also those before from). KindNotFound if the
	// account does not exist.
	Postings(ctx context.Context, account string, from, to time.Time) ([]Posting, error)
	// LastActivity returns the Time of the account's latest transaction, or the zero time
	// if it has none. KindNotFound if the account does not exist.
	LastActivity(ctx context.Context, account string) (time.Time, error)
}
