package sqldb

import (
	"context"
	"time"
)

// Staff accounts (users) and public accounts (public_accounts) keep the same sign-in
// state columns; these two writes serve both. table is a constant, never input.

// updateAuth rewrites an account's sealed secrets and sign-in state. The last used TOTP
// step never goes back (a stale update must not reopen a spent code).
func (db *DB) updateAuth(ctx context.Context, op, table string, pii []byte, factorVersion, failed int,
	lockedUntil time.Time, totpStep int64, id string, nameIdx []byte) error {
	res, err := db.db.ExecContext(ctx, db.q(`UPDATE `+table+` SET pii = ?, factor_version = ?, failed_sign_ins = ?,
		locked_until = ?, last_totp_step = CASE WHEN last_totp_step > ? THEN last_totp_step ELSE ? END
		WHERE id = ? AND name_idx = ?`),
		pii, factorVersion, failed, micros(lockedUntil), totpStep, totpStep, id, nameIdx)
	if err != nil {
		return db.dbErr(op, err)
	}
	return db.rowsAffected(op, res, "account not found")
}

// advanceTOTPStep moves an account's last used TOTP step forward, atomically: it reports
// false when the step was used already. exists gives KindNotFound for an unknown account.
func (db *DB) advanceTOTPStep(ctx context.Context, op, table, id string, step int64, exists func() error) (bool, error) {
	res, err := db.db.ExecContext(ctx, db.q(`UPDATE `+table+` SET last_totp_step = ? WHERE id = ? AND last_totp_step < ?`), step, id, step)
	if err != nil {
		return false, db.dbErr(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, db.dbErr(op, err)
	}
	if n == 1 {
		return true, nil
	}
	return false, exists()
}
