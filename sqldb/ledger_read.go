package sqldb

import (
	"context"
	"database/sql"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/ledger"
)

const txCols = `seq, id, idempotency_key, occurred_at, kind, memo, reverses, closes`

func scanTx(s scanner) (ledger.Transaction, error) {
	var tx ledger.Transaction
	var kind string
	var at int64
	var rev, closes sql.NullString
	if err := s.Scan(&tx.Seq, &tx.ID, &tx.IdempotencyKey, &at, &kind, &tx.Memo, &rev, &closes); err != nil {
		return ledger.Transaction{}, err
	}
	tx.Time = time.UnixMicro(at).UTC()
	tx.Kind = ledger.TxKind(kind)
	tx.Reverses, tx.Closes = rev.String, closes.String
	return tx, nil
}

// loadTx returns the transaction whose column ("id" or "idempotency_key") equals value,
// with its entries, or KindNotFound.
func (l *Ledger) loadTx(ctx context.Context, q querier, op, column, value string) (ledger.Transaction, error) {
	tx, err := scanTx(q.QueryRowContext(ctx, l.db.q(`SELECT `+txCols+` FROM ledger_transactions WHERE `+column+` = ?`), value))
	if err == sql.ErrNoRows {
		if column == "id" {
			return ledger.Transaction{}, noTx(op, value)
		}
		return ledger.Transaction{}, parley.Errorf(op, parley.KindNotFound, "no transaction has that key")
	}
	if err != nil {
		return ledger.Transaction{}, l.db.dbErr(op, err)
	}
	txs := []ledger.Transaction{tx}
	if err := l.loadEntries(ctx, q, op, txs); err != nil {
		return ledger.Transaction{}, err
	}
	return txs[0], nil
}

// loadEntries fills in the entries of txs, which are in Seq order.
func (l *Ledger) loadEntries(ctx context.Context, q querier, op string, txs []ledger.Transaction) error {
	if len(txs) == 0 {
		return nil
	}
	index := make(map[int64]int, len(txs))
	for i, tx := range txs {
		index[tx.Seq] = i
	}
	rows, err := q.QueryContext(ctx, l.db.q(`SELECT tx_seq, account, amount FROM ledger_entries
		WHERE tx_seq >= ? AND tx_seq <= ? ORDER BY tx_seq, n`), txs[0].Seq, txs[len(txs)-1].Seq)
	if err != nil {
		return l.db.dbErr(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq, amount int64
		var account string
		if err := rows.Scan(&seq, &account, &amount); err != nil {
			return l.db.dbErr(op, err)
		}
		if i, ok := index[seq]; ok {
			txs[i].Entries = append(txs[i].Entries, ledger.Entry{Account: account, Amount: ledger.Cents(amount)})
		}
	}
	return l.db.dbErr(op, rows.Err())
}

// Transaction implements ledger.Store.
func (l *Ledger) Transaction(ctx context.Context, id string) (ledger.Transaction, error) {
	return l.loadTx(ctx, l.db.db, "sqldb.Ledger.Transaction", "id", id)
}

// TransactionByKey implements ledger.Store.
func (l *Ledger) TransactionByKey(ctx context.Context, key string) (ledger.Transaction, error) {
	return l.loadTx(ctx, l.db.db, "sqldb.Ledger.TransactionByKey", "idempotency_key", key)
}

// Transactions implements ledger.Store.
func (l *Ledger) Transactions(ctx context.Context, after int64, limit int) ([]ledger.Transaction, error) {
	const op = "sqldb.Ledger.Transactions"
	query := `SELECT ` + txCols + ` FROM ledger_transactions WHERE seq > ? ORDER BY seq`
	args := []any{after}
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := l.db.db.QueryContext(ctx, l.db.q(query), args...)
	if err != nil {
		return nil, l.db.dbErr(op, err)
	}
	var out []ledger.Transaction
	for rows.Next() {
		tx, err := scanTx(rows)
		if err != nil {
			rows.Close()
			return nil, l.db.dbErr(op, err)
		}
		out = append(out, tx)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, l.db.dbErr(op, err)
	}
	if err := l.loadEntries(ctx, l.db.db, op, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ReversedBy implements ledger.Store.
func (l *Ledger) ReversedBy(ctx context.Context, id string) (string, error) {
	return l.link(ctx, "sqldb.Ledger.ReversedBy", "reverses", id)
}

// ClosedBy implements ledger.Store.
func (l *Ledger) ClosedBy(ctx context.Context, id string) (string, error) {
	return l.link(ctx, "sqldb.Ledger.ClosedBy", "closes", id)
}

func (l *Ledger) link(ctx context.Context, op, column, id string) (string, error) {
	var one int
	err := l.db.db.QueryRowContext(ctx, l.db.q(`SELECT 1 FROM ledger_transactions WHERE id = ?`), id).Scan(&one)
	if err == sql.ErrNoRows {
		return "", noTx(op, id)
	}
	if err != nil {
		return "", l.db.dbErr(op, err)
	}
	var by string
	err = l.db.db.QueryRowContext(ctx, l.db.q(`SELECT id FROM ledger_transactions WHERE `+column+` = ?`), id).Scan(&by)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return by, l.db.dbErr(op, err)
}

// Balance implements ledger.Store: the balance kept with the account, which Append
// updates with every entry and ledger.Verify checks against the entries.
func (l *Ledger) Balance(ctx context.Context, account string) (ledger.Cents, error) {
	const op = "sqldb.Ledger.Balance"
	var bal int64
	err := l.db.db.QueryRowContext(ctx, l.db.q(`SELECT balance FROM ledger_accounts WHERE id = ?`), account).Scan(&bal)
	if err == sql.ErrNoRows {
		return 0, noAccount(op, account)
	}
	if err != nil {
		return 0, l.db.dbErr(op, err)
	}
	return ledger.Cents(bal), nil
}

// Balances implements ledger.Store.
func (l *Ledger) Balances(ctx context.Context) (map[string]ledger.Cents, error) {
	const op = "sqldb.Ledger.Balances"
	rows, err := l.db.db.QueryContext(ctx, `SELECT id, balance FROM ledger_accounts`)
	if err != nil {
		return nil, l.db.dbErr(op, err)
	}
	defer rows.Close()
	out := map[string]ledger.Cents{}
	for rows.Next() {
		var id string
		var bal int64
		if err := rows.Scan(&id, &bal); err != nil {
			return nil, l.db.dbErr(op, err)
		}
		out[id] = ledger.Cents(bal)
	}
	return out, l.db.dbErr(op, rows.Err())
}

// accountExists returns KindNotFound if the account does not exist.
func (l *Ledger) accountExists(ctx context.Context, op, id string) error {
	var one int
	err := l.db.db.QueryRowContext(ctx, l.db.q(`SELECT 1 FROM ledger_accounts WHERE id = ?`), id).Scan(&one)
	if err == sql.ErrNoRows {
		return noAccount(op, id)
	}
	return l.db.dbErr(op, err)
}

// Postings implements ledger.Store. The running balance counts every entry of the
// account in Seq order, also those before from.
func (l *Ledger) Postings(ctx context.Context, account string, from, to time.Time) ([]ledger.Posting, error) {
	const op = "sqldb.Ledger.Postings"
	if err := l.accountExists(ctx, op, account); err != nil {
		return nil, err
	}
	rows, err := l.db.db.QueryContext(ctx, l.db.q(`SELECT t.seq, t.id, t.occurred_at, t.kind, t.memo, e.amount
		FROM ledger_entries e JOIN ledger_transactions t ON t.seq = e.tx_seq
		WHERE e.account = ? ORDER BY t.seq`), account)
	if err != nil {
		return nil, l.db.dbErr(op, err)
	}
	defer rows.Close()
	var out []ledger.Posting
	var bal ledger.Cents
	for rows.Next() {
		var p ledger.Posting
		var at, amount int64
		var kind string
		if err := rows.Scan(&p.Seq, &p.TxID, &at, &kind, &p.Memo, &amount); err != nil {
			return nil, l.db.dbErr(op, err)
		}
		p.Time, p.Kind, p.Amount = time.UnixMicro(at).UTC(), ledger.TxKind(kind), ledger.Cents(amount)
		bal += p.Amount
		p.Balance = bal
		if (!from.IsZero() && p.Time.Before(from)) || (!to.IsZero() && !p.Time.Before(to)) {
			continue
		}
		out = append(out, p)
	}
	return out, l.db.dbErr(op, rows.Err())
}

// LastActivity implements ledger.Store.
func (l *Ledger) LastActivity(ctx context.Context, account string) (time.Time, error) {
	const op = "sqldb.Ledger.LastActivity"
	if err := l.accountExists(ctx, op, account); err != nil {
		return time.Time{}, err
	}
	var last sql.NullInt64
	err := l.db.db.QueryRowContext(ctx, l.db.q(`SELECT MAX(t.occurred_at) FROM ledger_entries e
		JOIN ledger_transactions t ON t.seq = e.tx_seq WHERE e.account = ?`), account).Scan(&last)
	if err != nil {
		return time.Time{}, l.db.dbErr(op, err)
	}
	return fromMicros(last), nil
}
