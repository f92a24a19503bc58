package sqldb

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"time"

	"parley.dev/parley"
)

// AddPublicNumber stores a number claimed by a public account; see parley.PublicService.
func (db *DB) AddPublicNumber(ctx context.Context, n *parley.PublicNumber) error {
	const op = "sqldb.AddPublicNumber"
	if !n.Number.Valid() {
		return invalid(op, "number must be E.164")
	}
	switch n.Label {
	case parley.LabelOffice, parley.LabelCell, parley.LabelHome:
	default:
		return invalid(op, "label must be office, cell or home")
	}
	switch n.State {
	case parley.NumberPending, parley.NumberVerified, parley.NumberRegistered:
	default:
		return invalid(op, "state must be pending, verified or registered")
	}
	if n.ID == "" {
		n.ID = newID()
	}
	if n.CreatedAt.IsZero() {
		n.CreatedAt = db.now()
	}
	n.CreatedAt, n.VerifiedAt = Truncate(n.CreatedAt), Truncate(n.VerifiedAt)
	pii, err := db.sealPII(op, piiColumn(colNumberPII, n.ID), string(n.Number))
	if err != nil {
		return err
	}
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, db.q(`SELECT 1 FROM public_accounts WHERE id = ?`), n.AccountID).Scan(&one)
		if err == sql.ErrNoRows {
			return parley.Errorf(op, parley.KindNotFound, "account not found")
		}
		if err != nil {
			return db.dbErr(op, err)
		}
		_, err = tx.ExecContext(ctx, db.q(`INSERT INTO public_numbers (id, account_id, number_idx, pii, label, state, privileged_id,
			created_at, verified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), n.ID, n.AccountID, db.numberIdx(n.Number), pii,
			n.Label, string(n.State), n.PrivilegedID, micros(n.CreatedAt), micros(n.VerifiedAt))
		if err != nil && db.d.IsUniqueViolation(err) {
			return parley.Errorf(op, parley.KindConflict, "the account has that number already")
		}
		return db.dbErr(op, err)
	})
}

const numberCols = `id, account_id, pii, label, state, privileged_id, created_at, verified_at`

func (db *DB) scanNumber(op string, row interface{ Scan(...any) error }) (*parley.PublicNumber, error) {
	n := &parley.PublicNumber{}
	var pii []byte
	var state string
	var created, verified sql.NullInt64
	if err := row.Scan(&n.ID, &n.AccountID, &pii, &n.Label, &state, &n.PrivilegedID, &created, &verified); err != nil {
		return nil, err
	}
	n.State, n.CreatedAt, n.VerifiedAt = parley.NumberState(state), fromMicros(created), fromMicros(verified)
	var num string
	if err := db.openPII(op, piiColumn(colNumberPII, n.ID), pii, &num); err != nil {
		return nil, err
	}
	n.Number = parley.Number(num)
	return n, nil
}

// FindPublicNumber returns a claimed number by id, or KindNotFound.
func (db *DB) FindPublicNumber(ctx context.Context, id string) (*parley.PublicNumber, error) {
	const op = "sqldb.FindPublicNumber"
	n, err := db.scanNumber(op, db.db.QueryRowContext(ctx, db.q(`SELECT `+numberCols+` FROM public_numbers WHERE id = ?`), id))
	if err == sql.ErrNoRows {
		return nil, parley.Errorf(op, parley.KindNotFound, "number not found")
	}
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	return n, nil
}

// ListPublicNumbers returns an account's numbers, oldest first.
func (db *DB) ListPublicNumbers(ctx context.Context, accountID string) ([]*parley.PublicNumber, error) {
	const op = "sqldb.ListPublicNumbers"
	rows, err := db.db.QueryContext(ctx, db.q(`SELECT `+numberCols+` FROM public_numbers WHERE account_id = ? ORDER BY created_at, id`), accountID)
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	defer rows.Close()
	var out []*parley.PublicNumber
	for rows.Next() {
		n, err := db.scanNumber(op, rows)
		if err != nil {
			return nil, db.dbErr(op, err)
		}
		out = append(out, n)
	}
	return out, db.dbErr(op, rows.Err())
}

// UpdatePublicNumber stores a number's state, registry entry and verification time.
func (db *DB) UpdatePublicNumber(ctx context.Context, n *parley.PublicNumber) error {
	const op = "sqldb.UpdatePublicNumber"
	switch n.State {
	case parley.NumberPending, parley.NumberVerified, parley.NumberRegistered:
	default:
		return invalid(op, "state must be pending, verified or registered")
	}
	n.VerifiedAt = Truncate(n.VerifiedAt)
	res, err := db.db.ExecContext(ctx, db.q(`UPDATE public_numbers SET state = ?, privileged_id = ?, verified_at = ? WHERE id = ?`),
		string(n.State), n.PrivilegedID, micros(n.VerifiedAt), n.ID)
	if err != nil {
		return db.dbErr(op, err)
	}
	return db.rowsAffected(op, res, "number not found")
}

// DeletePublicNumber removes an account's number; see parley.PublicService.
func (db *DB) DeletePublicNumber(ctx context.Context, accountID, id string) error {
	const op = "sqldb.DeletePublicNumber"
	res, err := db.db.ExecContext(ctx, db.q(`DELETE FROM public_numbers WHERE id = ? AND account_id = ?`), id, accountID)
	if err != nil {
		return db.dbErr(op, err)
	}
	return db.rowsAffected(op, res, "number not found")
}

// SetVerificationCode replaces a number's code with a fresh one.
func (db *DB) SetVerificationCode(ctx context.Context, numberID, code string, expires time.Time) error {
	const op = "sqldb.SetVerificationCode"
	if len(code) != 6 {
		return invalid(op, "a code has 6 digits")
	}
	res, err := db.db.ExecContext(ctx, db.q(`UPDATE public_numbers SET code_hash = ?, code_expires = ?, code_tries = 0 WHERE id = ?`),
		db.codeHash(numberID, code), micros(Truncate(expires)), numberID)
	if err != nil {
		return db.dbErr(op, err)
	}
	return db.rowsAffected(op, res, "number not found")
}

// CheckVerificationCode counts a try and compares the code; see parley.PublicService. The
// try is taken by one conditional UPDATE and the code spent by another, so concurrent
// checks never exceed maxTries nor pass one code twice.
func (db *DB) CheckVerificationCode(ctx context.Context, numberID, code string, now time.Time, maxTries int) (parley.CodeResult, error) {
	const op = "sqldb.CheckVerificationCode"
	var result parley.CodeResult
	err := db.inTx(ctx, op, func(tx *sql.Tx) error {
		var hash []byte
		var expires sql.NullInt64
		var tries int
		err := tx.QueryRowContext(ctx, db.q(`SELECT code_hash, code_expires, code_tries FROM public_numbers WHERE id = ?`), numberID).
			Scan(&hash, &expires, &tries)
		if err == sql.ErrNoRows {
			return parley.Errorf(op, parley.KindNotFound, "number not found")
		}
		if err != nil {
			return db.dbErr(op, err)
		}
		if hash == nil || !now.Before(fromMicros(expires)) {
			result = parley.CodeExpired
			return nil
		}
		res, err := tx.ExecContext(ctx, db.q(`UPDATE public_numbers SET code_tries = code_tries + 1 WHERE id = ? AND code_tries < ?
			AND code_hash IS NOT NULL`), numberID, maxTries)
		if err != nil {
			return db.dbErr(op, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			result = parley.CodeExhausted
			return db.dbErr(op, err)
		}
		if len(code) != 6 || subtle.ConstantTimeCompare(hash, db.codeHash(numberID, code)) != 1 {
			result = parley.CodeWrong
			return nil
		}
		res, err = tx.ExecContext(ctx, db.q(`UPDATE public_numbers SET code_hash = NULL, code_expires = NULL WHERE id = ? AND code_hash = ?`),
			numberID, hash)
		if err != nil {
			return db.dbErr(op, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			result = parley.CodeExpired // spent by a concurrent check
			return db.dbErr(op, err)
		}
		result = parley.CodeOK
		return nil
	})
	return result, err
}

// RecordCodeSend notes a code sent to a number for an account.
func (db *DB) RecordCodeSend(ctx context.Context, accountID string, n parley.Number, at time.Time) error {
	const op = "sqldb.RecordCodeSend"
	if !n.Valid() {
		return invalid(op, "number must be E.164")
	}
	_, err := db.db.ExecContext(ctx, db.q(`INSERT INTO code_sends (account_id, number_idx, sent_at) VALUES (?, ?, ?)`),
		accountID, db.numberIdx(n), micros(Truncate(at)))
	return db.dbErr(op, err)
}

// CountCodeSends counts codes sent since a time, for the account and for the number.
func (db *DB) CountCodeSends(ctx context.Context, accountID string, n parley.Number, since time.Time) (int, int, error) {
	const op = "sqldb.CountCodeSends"
	var byAccount, byNumber int
	err := db.db.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM code_sends WHERE account_id = ? AND sent_at >= ?`),
		accountID, since.UnixMicro()).Scan(&byAccount)
	if err != nil {
		return 0, 0, db.dbErr(op, err)
	}
	err = db.db.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM code_sends WHERE number_idx = ? AND sent_at >= ?`),
		db.numberIdx(n), since.UnixMicro()).Scan(&byNumber)
	return byAccount, byNumber, db.dbErr(op, err)
}

// CountRecordingsToNumber counts the recordings of calls to n: stored and destroyed.
func (db *DB) CountRecordingsToNumber(ctx context.Context, n parley.Number) (int, int, error) {
	const op = "sqldb.CountRecordingsToNumber"
	var stored, destroyed int
	err := db.db.QueryRowContext(ctx, db.q(`SELECT
		COALESCE(SUM(CASE WHEN r.status <> ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.status = ? THEN 1 ELSE 0 END), 0)
		FROM recordings r JOIN calls c ON c.id = r.call_id WHERE c.number_idx = ?`),
		string(parley.RecordingShredded), string(parley.RecordingShredded), db.numberIdx(n)).Scan(&stored, &destroyed)
	return stored, destroyed, db.dbErr(op, err)
}
