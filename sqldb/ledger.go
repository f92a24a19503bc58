package sqldb

import (
	"context"
	"database/sql"
	"slices"

	"parley.dev/parley"
	"parley.dev/parley/ledger"
)

// Ledger is the SQL implementation of ledger.Store, in the same database as the DB that
// made it (tables ledger_accounts, ledger_transactions and ledger_entries). Append runs
// the rule functions of package ledger (Validate, CheckReversal, CheckClose,
// CheckPostings, SameContent) inside one database transaction, serialised with the
// dialect's LedgerLock (PostgreSQL) or by the immediate write transaction (SQLite), so it
// enforces exactly the rules the in-memory store does, and concurrent appends cannot
// overdraw an account, apply a key twice or close a hold twice. Unique constraints on the
// idempotency key, on reverses and on closes back the rules up.
//
// Account holders are stored as given: callers pass an opaque reference (a blind-index
// digest), never a number or a name; Account.Validate refuses anything but an id.
type Ledger struct{ db *DB }

// Ledger returns the ledger store of db. It is safe for concurrent use.
func (db *DB) Ledger() *Ledger { return &Ledger{db: db} }

var _ ledger.Store = (*Ledger)(nil)

// CreateAccount implements ledger.Store.
func (l *Ledger) CreateAccount(ctx context.Context, a ledger.Account) error {
	const op = "sqldb.Ledger.CreateAccount"
	if err := a.Validate(); err != nil {
		return parley.WrapError(op, parley.KindInvalid, err)
	}
	_, err := l.db.db.ExecContext(ctx, l.db.q(`INSERT INTO ledger_accounts (id, kind, holder, active, balance)
		VALUES (?, ?, ?, ?, 0)`), a.ID, string(a.Kind), a.Holder, a.Active)
	if err != nil && l.db.d.IsUniqueViolation(err) {
		return parley.Errorf(op, parley.KindConflict, "account %s exists", a.ID)
	}
	return l.db.dbErr(op, err)
}

const accountCols = `id, kind, holder, active`

func scanAccount(s scanner) (ledger.Account, error) {
	var a ledger.Account
	var kind string
	err := s.Scan(&a.ID, &kind, &a.Holder, &a.Active)
	a.Kind = ledger.AccountKind(kind)
	return a, err
}

// Account implements ledger.Store.
func (l *Ledger) Account(ctx context.Context, id string) (ledger.Account, error) {
	const op = "sqldb.Ledger.Account"
	a, err := scanAccount(l.db.db.QueryRowContext(ctx, l.db.q(`SELECT `+accountCols+` FROM ledger_accounts WHERE id = ?`), id))
	if err == sql.ErrNoRows {
		return ledger.Account{}, noAccount(op, id)
	}
	if err != nil {
		return ledger.Account{}, l.db.dbErr(op, err)
	}
	return a, nil
}

func noAccount(op, id string) error {
	return parley.Errorf(op, parley.KindNotFound, "account %s does not exist", id)
}

func noTx(op, id string) error {
	return parley.Errorf(op, parley.KindNotFound, "transaction %s does not exist", id)
}

// SetAccountActive implements ledger.Store.
func (l *Ledger) SetAccountActive(ctx context.Context, id string, active bool) error {
	const op = "sqldb.Ledger.SetAccountActive"
	res, err := l.db.db.ExecContext(ctx, l.db.q(`UPDATE ledger_accounts SET active = ? WHERE id = ?`), active, id)
	if err != nil {
		return l.db.dbErr(op, err)
	}
	return l.db.rowsAffected(op, res, "account "+id+" does not exist")
}

// Accounts implements ledger.Store.
func (l *Ledger) Accounts(ctx context.Context) ([]ledger.Account, error) {
	const op = "sqldb.Ledger.Accounts"
	rows, err := l.db.db.QueryContext(ctx, `SELECT `+accountCols+` FROM ledger_accounts ORDER BY id`)
	if err != nil {
		return nil, l.db.dbErr(op, err)
	}
	defer rows.Close()
	var out []ledger.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, l.db.dbErr(op, err)
		}
		out = append(out, a)
	}
	return out, l.db.dbErr(op, rows.Err())
}

// Append implements ledger.Store: steps 1 to 6 of its contract run in one database
// transaction, which writes nothing unless every rule holds.
func (l *Ledger) Append(ctx context.Context, tx ledger.Transaction) (ledger.Transaction, bool, error) {
	const op = "sqldb.Ledger.Append"
	tx.Entries = slices.Clone(tx.Entries)
	tx.Time = Truncate(tx.Time)
	var stored ledger.Transaction
	applied := false
	err := l.db.inTx(ctx, op, func(q *sql.Tx) (err error) {
		if err := l.lock(ctx, q, op); err != nil {
			return err
		}
		stored, applied, err = l.appendIn(ctx, q, op, tx)
		return err
	})
	if err != nil {
		return ledger.Transaction{}, false, err
	}
	return stored, applied, nil
}

// lock takes the dialect's ledger lock (if any) in q, before any ledger read.
func (l *Ledger) lock(ctx context.Context, q *sql.Tx, op string) error {
	if l.db.d.LedgerLock == "" {
		return nil
	}
	_, err := q.ExecContext(ctx, l.db.d.LedgerLock)
	return l.db.dbErr(op, err)
}

// appendIn is steps 1 to 6 of Append inside the database transaction q, which holds the
// ledger lock.
func (l *Ledger) appendIn(ctx context.Context, q *sql.Tx, op string, tx ledger.Transaction) (ledger.Transaction, bool, error) {
	if tx.IdempotencyKey != "" {
		prev, err := l.loadTx(ctx, q, op, "idempotency_key", tx.IdempotencyKey)
		switch {
		case err == nil && ledger.SameContent(prev, tx):
			return prev, false, nil
		case err == nil:
			return ledger.Transaction{}, false, &parley.Error{Op: op, Kind: parley.KindConflict, Message: "transaction " + prev.ID, Err: ledger.ErrKeyReused}
		case !parley.IsKind(err, parley.KindNotFound):
			return ledger.Transaction{}, false, err
		}
	}
	if err := ledger.Validate(tx); err != nil {
		return ledger.Transaction{}, false, parley.WrapError(op, parley.KindInvalid, err)
	}
	if tx.Reverses != "" {
		if err := l.checkLinked(ctx, q, op, "reverses", tx, ledger.ErrAlreadyReversed, ledger.CheckReversal); err != nil {
			return ledger.Transaction{}, false, err
		}
	}
	if tx.Closes != "" {
		if err := l.checkLinked(ctx, q, op, "closes", tx, ledger.ErrHoldClosed, ledger.CheckClose); err != nil {
			return ledger.Transaction{}, false, err
		}
	}
	accounts, balances, err := l.lockAccounts(ctx, q, op, tx.Entries)
	if err != nil {
		return ledger.Transaction{}, false, err
	}
	if err := ledger.CheckPostings(tx, accounts, balances); err != nil {
		return ledger.Transaction{}, false, parley.WrapError(op, parley.KindInvalid, err)
	}
	if err := l.insert(ctx, q, op, &tx); err != nil {
		return ledger.Transaction{}, false, err
	}
	return tx, true, nil
}

// checkLinked loads the transaction tx names in column ("reverses" or "closes"), refuses
// a second link to it (sentinel) and runs check(original, tx).
func (l *Ledger) checkLinked(ctx context.Context, q querier, op, column string, tx ledger.Transaction,
	sentinel *parley.Error, check func(orig, tx ledger.Transaction) error) error {
	target := tx.Reverses
	if column == "closes" {
		target = tx.Closes
	}
	orig, err := l.loadTx(ctx, q, op, "id", target)
	if err != nil {
		return err
	}
	var by string
	err = q.QueryRowContext(ctx, l.db.q(`SELECT id FROM ledger_transactions WHERE `+column+` = ?`), target).Scan(&by)
	switch {
	case err == nil:
		return &parley.Error{Op: op, Kind: sentinel.Kind, Message: "transaction " + target + ", by " + by, Err: sentinel}
	case err != sql.ErrNoRows:
		return l.db.dbErr(op, err)
	}
	if err := check(orig, tx); err != nil {
		return parley.WrapError(op, parley.KindInvalid, err)
	}
	return nil
}

// lockAccounts loads (and on PostgreSQL locks) the accounts entries touch, with their
// balances. A missing account is simply absent: CheckPostings reports it.
func (l *Ledger) lockAccounts(ctx context.Context, q querier, op string, entries []ledger.Entry) (map[string]ledger.Account, map[string]ledger.Cents, error) {
	accounts := make(map[string]ledger.Account, len(entries))
	balances := make(map[string]ledger.Cents, len(entries))
	for _, e := range entries {
		var a ledger.Account
		var kind string
		var bal int64
		err := q.QueryRowContext(ctx, l.db.q(`SELECT `+accountCols+`, balance FROM ledger_accounts WHERE id = ?`+l.db.d.ForUpdate),
			e.Account).Scan(&a.ID, &kind, &a.Holder, &a.Active, &bal)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return nil, nil, l.db.dbErr(op, err)
		}
		a.Kind = ledger.AccountKind(kind)
		accounts[a.ID], balances[a.ID] = a, ledger.Cents(bal)
	}
	return accounts, balances, nil
}

// insert assigns tx its ID and the next Seq and stores it, its entries and the new
// balances.
func (l *Ledger) insert(ctx context.Context, q querier, op string, tx *ledger.Transaction) error {
	var last sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT MAX(seq) FROM ledger_transactions`).Scan(&last); err != nil {
		return l.db.dbErr(op, err)
	}
	tx.Seq = last.Int64 + 1
	tx.ID = "tx-" + newID()
	_, err := q.ExecContext(ctx, l.db.q(`INSERT INTO ledger_transactions
		(seq, id, idempotency_key, occurred_at, kind, memo, reverses, closes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		tx.Seq, tx.ID, tx.IdempotencyKey, tx.Time.UnixMicro(), string(tx.Kind), tx.Memo, nullString(tx.Reverses), nullString(tx.Closes))
	if err != nil {
		return l.db.dbErr(op, err)
	}
	for i, e := range tx.Entries {
		_, err := q.ExecContext(ctx, l.db.q(`INSERT INTO ledger_entries (tx_seq, n, account, amount) VALUES (?, ?, ?, ?)`),
			tx.Seq, i, e.Account, int64(e.Amount))
		if err != nil {
			return l.db.dbErr(op, err)
		}
		_, err = q.ExecContext(ctx, l.db.q(`UPDATE ledger_accounts SET balance = balance + ? WHERE id = ?`), int64(e.Amount), e.Account)
		if err != nil {
			return l.db.dbErr(op, err)
		}
	}
	return nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
