package sqldb

import (
	"context"
	"database/sql"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/ledger"
)

// DropStaleCallsReleasing is DropStaleCalls that also releases, in the same database
// transaction, the money each ended call still holds: for each call, keys gives the
// idempotency key of its hold, and the key and memo of the release (ledger.ReleaseOf)
// that closes it in full. A call without a hold, or whose hold is closed already, only
// ends. A crash between ending and releasing is impossible: both commit or neither.
// A call whose recording the vault holds (complete or truncated) is given its id and
// the state stored, as the call itself would have at its end. It returns how many calls
// it ended; their charge is zero.
func (db *DB) DropStaleCallsReleasing(ctx context.Context, before time.Time, reason string,
	keys func(callID string) (holdKey, releaseKey, memo string)) (int, error) {
	const op = "sqldb.DropStaleCallsReleasing"
	if before.IsZero() || reason == "" || len(reason) > 200 || keys == nil {
		return 0, invalid(op, "a cutoff, a reason (at most 200 characters) and hold keys are required")
	}
	l := db.Ledger()
	n := 0
	err := db.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := l.lock(ctx, tx, op); err != nil {
			return err
		}
		ids, err := db.staleCallIDs(ctx, tx, op, before)
		if err != nil {
			return err
		}
		now := micros(Truncate(db.now()))
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE calls SET status = ?, reason = ?, updated_at = ?, charge_cents = 0 WHERE id = ?`),
				string(parley.CallDropped), reason, now, id); err != nil {
				return db.dbErr(op, err)
			}
			// The record names its recording only when the call ends: name the one the
			// vault holds for it (Recover has closed it as truncated).
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE calls SET recording_state = ?, recording_id =
				(SELECT MIN(r.id) FROM recordings r WHERE r.call_id = calls.id AND r.status IN (?, ?))
				WHERE id = ? AND recording_id = '' AND EXISTS (SELECT 1 FROM recordings r WHERE r.call_id = calls.id AND r.status IN (?, ?))`),
				string(parley.RecordingStored), string(parley.RecordingComplete), string(parley.RecordingTruncated), id,
				string(parley.RecordingComplete), string(parley.RecordingTruncated)); err != nil {
				return db.dbErr(op, err)
			}
			holdKey, releaseKey, memo := keys(id)
			if err := l.releaseIn(ctx, tx, op, holdKey, releaseKey, memo); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// staleCallIDs returns the unfinished calls started before the cutoff, locked on
// PostgreSQL.
func (db *DB) staleCallIDs(ctx context.Context, tx *sql.Tx, op string, before time.Time) ([]string, error) {
	rows, err := tx.QueryContext(ctx, db.q(`SELECT id FROM calls WHERE status IN (?, ?, ?) AND started_at < ? ORDER BY id`+db.d.ForUpdate),
		string(parley.CallAttempted), string(parley.CallDialing), string(parley.CallAccepted), before.UnixMicro())
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, db.dbErr(op, err)
		}
		ids = append(ids, id)
	}
	return ids, db.dbErr(op, rows.Err())
}

// releaseIn releases the hold keyed holdKey in full, inside q, unless there is none or it
// is closed already.
func (l *Ledger) releaseIn(ctx context.Context, q *sql.Tx, op, holdKey, releaseKey, memo string) error {
	hold, err := l.loadTx(ctx, q, op, "idempotency_key", holdKey)
	if parley.IsKind(err, parley.KindNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var by string
	switch err := q.QueryRowContext(ctx, l.db.q(`SELECT id FROM ledger_transactions WHERE closes = ?`), hold.ID).Scan(&by); {
	case err == nil:
		return nil // settled before the crash, or released by the stale-hold job
	case err != sql.ErrNoRows:
		return l.db.dbErr(op, err)
	}
	rel, err := ledger.ReleaseOf(hold, releaseKey, memo)
	if err != nil {
		return parley.WrapError(op, parley.KindInternal, err)
	}
	rel.Time = Truncate(l.db.now())
	_, _, err = l.appendIn(ctx, q, op, rel)
	return err
}
