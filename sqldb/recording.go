package sqldb

import (
	"context"
	"database/sql"
	"time"

	"parley.dev/parley"
)

const recCols = `r.id, r.call_id, r.facility_id, r.class, r.period, r.key_gen, r.wrapped_dek, r.status, r.size,
	r.created_at, r.completed_at, r.legal_hold, r.hold_reason, r.destroyed_at, r.destroy_reason, r.touched_at`

// notDestroyed is the SQL condition for a recording that still has its data key.
const notDestroyed = `r.status <> 'destroyed'`

// CreateRecording stores a new recording in status writing; see parley.RecordingService.
// The generation check and the insert happen in one transaction.
func (db *DB) CreateRecording(ctx context.Context, r *parley.Recording) error {
	const op = "sqldb.CreateRecording"
	switch {
	case parley.ValidateID(r.ID) != nil:
		return invalid(op, "bad recording id")
	case parley.ValidateID(r.FacilityID) != nil:
		return invalid(op, "bad facility id")
	case r.CallID != "" && parley.ValidateID(r.CallID) != nil:
		return invalid(op, "bad call id")
	case !r.Class.Valid():
		return invalid(op, "unknown record class")
	case r.Period == "" || len(r.Period) > 200:
		return invalid(op, "period must be 1 to 200 characters")
	case r.KeyGen < 1:
		return invalid(op, "key generation must be positive")
	case len(r.WrappedDEK) == 0:
		return invalid(op, "wrapped data key is required")
	}
	r.Status = parley.RecordingWriting
	if r.CreatedAt.IsZero() {
		r.CreatedAt = db.now()
	}
	r.CreatedAt = Truncate(r.CreatedAt)
	r.TouchedAt = Truncate(r.TouchedAt) // zero: staleness is judged by CreatedAt
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO periods (period, generation) VALUES (?, ?) ON CONFLICT (period) DO NOTHING`),
			r.Period, r.KeyGen)
		if err != nil {
			return db.dbErr(op, err)
		}
		gen, err := db.lockPeriod(ctx, tx, r.Period)
		if err != nil {
			return db.dbErr(op, err)
		}
		if gen != r.KeyGen {
			return parley.Errorf(op, parley.KindConflict, "period is at generation %d, not %d", gen, r.KeyGen)
		}
		_, err = tx.ExecContext(ctx, db.q(`INSERT INTO recordings (id, call_id, facility_id, class, period, key_gen,
			wrapped_dek, status, size, created_at, completed_at, legal_hold, hold_reason, destroyed_at, destroy_reason, touched_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			r.ID, r.CallID, r.FacilityID, string(r.Class), r.Period, r.KeyGen, r.WrappedDEK, string(r.Status), r.Size,
			micros(r.CreatedAt), micros(r.CompletedAt), r.LegalHold, r.HoldReason, nil, "", micros(r.TouchedAt))
		return db.dbErr(op, err)
	})
}

// lockPeriod returns the generation of a period (0 if unknown), locking its row.
func (db *DB) lockPeriod(ctx context.Context, q querier, period string) (int, error) {
	var gen int
	err := q.QueryRowContext(ctx, db.q(`SELECT generation FROM periods WHERE period = ?`+db.d.ForUpdate), period).Scan(&gen)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return gen, err
}

// FindRecording returns a recording (also a destroyed one), or KindNotFound.
func (db *DB) FindRecording(ctx context.Context, id string) (*parley.Recording, error) {
	const op = "sqldb.FindRecording"
	r, err := scanRecording(db.db.QueryRowContext(ctx, db.q(`SELECT `+recCols+` FROM recordings r WHERE r.id = ?`), id))
	if err == sql.ErrNoRows {
		return nil, parley.Errorf(op, parley.KindNotFound, "recording not found")
	}
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	return r, nil
}

// recordingStatus returns the status of a recording in a transaction: KindNotFound if it
// does not exist, KindDestroyed if it was destroyed.
func (db *DB) recordingStatus(ctx context.Context, tx *sql.Tx, op, id string) error {
	var status string
	err := tx.QueryRowContext(ctx, db.q(`SELECT status FROM recordings WHERE id = ?`+db.d.ForUpdate), id).Scan(&status)
	switch {
	case err == sql.ErrNoRows:
		return parley.Errorf(op, parley.KindNotFound, "recording not found")
	case err != nil:
		return db.dbErr(op, err)
	case status == string(parley.RecordingShredded):
		return parley.Errorf(op, parley.KindDestroyed, "recording %s was destroyed", id)
	}
	return nil
}

// FinishRecording sets status (complete or truncated), size and CompletedAt. KindDestroyed
// if the recording was destroyed meanwhile, KindNotFound if it does not exist.
func (db *DB) FinishRecording(ctx context.Context, id string, status parley.RecordingStatus, size int64, at time.Time) error {
	const op = "sqldb.FinishRecording"
	if status != parley.RecordingComplete && status != parley.RecordingTruncated {
		return invalid(op, "status must be complete or truncated")
	}
	if size < 0 {
		return invalid(op, "negative size")
	}
	if at.IsZero() {
		at = db.now()
	}
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := db.recordingStatus(ctx, tx, op, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.q(`UPDATE recordings SET status = ?, size = ?, completed_at = ? WHERE id = ?`),
			string(status), size, Truncate(at).UnixMicro(), id)
		return db.dbErr(op, err)
	})
}

// SetLegalHold sets or clears a legal hold. KindDestroyed if already destroyed,
// KindNotFound if it does not exist.
func (db *DB) SetLegalHold(ctx context.Context, id string, hold bool, reason string) error {
	const op = "sqldb.SetLegalHold"
	if len(reason) > 500 {
		return invalid(op, "hold reason must be at most 500 characters")
	}
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := db.recordingStatus(ctx, tx, op, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.q(`UPDATE recordings SET legal_hold = ?, hold_reason = ? WHERE id = ?`), hold, reason, id)
		return db.dbErr(op, err)
	})
}

// PeriodGeneration returns the current generation of a period, or 0 if it is unknown.
func (db *DB) PeriodGeneration(ctx context.Context, period string) (int, error) {
	var gen int
	err := db.db.QueryRowContext(ctx, db.q(`SELECT generation FROM periods WHERE period = ?`), period).Scan(&gen)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return gen, db.dbErr("sqldb.PeriodGeneration", err)
}

// ListPeriods returns every known period and its current generation.
func (db *DB) ListPeriods(ctx context.Context) (map[string]int, error) {
	const op = "sqldb.ListPeriods"
	rows, err := db.db.QueryContext(ctx, `SELECT period, generation FROM periods`)
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var p string
		var g int
		if err := rows.Scan(&p, &g); err != nil {
			return nil, db.dbErr(op, err)
		}
		out[p] = g
	}
	return out, db.dbErr(op, rows.Err())
}

// ListPeriodRecordings returns the recordings of a period that are not destroyed, oldest
// first.
func (db *DB) ListPeriodRecordings(ctx context.Context, period string) ([]*parley.Recording, error) {
	return db.queryRecordings(ctx, "sqldb.ListPeriodRecordings", `SELECT `+recCols+` FROM recordings r
		WHERE r.period = ? AND `+notDestroyed+` ORDER BY r.created_at, r.id`, period)
}

// FindRecordingsByNumber returns the recordings not destroyed whose call was to n.
func (db *DB) FindRecordingsByNumber(ctx context.Context, n parley.Number) ([]*parley.Recording, error) {
	const op = "sqldb.FindRecordingsByNumber"
	if !n.Valid() {
		return nil, invalid(op, "number is not E.164")
	}
	return db.queryRecordings(ctx, op, `SELECT `+recCols+` FROM recordings r JOIN calls c ON c.id = r.call_id
		WHERE c.number_idx = ? AND `+notDestroyed+` ORDER BY r.created_at, r.id`, db.numberIdx(n))
}

// FindExpiredRecordings returns up to limit (1000 if limit <= 0) recordings not destroyed
// and not on legal hold, of the facility and class, created before the given time, oldest
// first.
func (db *DB) FindExpiredRecordings(ctx context.Context, facilityID string, class parley.RecordClass, before time.Time, limit int) ([]*parley.Recording, error) {
	const op = "sqldb.FindExpiredRecordings"
	if !class.Valid() {
		return nil, invalid(op, "unknown record class")
	}
	if limit <= 0 {
		limit = 1000
	}
	return db.queryRecordings(ctx, op, `SELECT `+recCols+` FROM recordings r
		WHERE r.facility_id = ? AND r.class = ? AND r.created_at < ? AND r.legal_hold = ? AND `+notDestroyed+`
		ORDER BY r.created_at, r.id LIMIT ?`, facilityID, string(class), before.UnixMicro(), false, limit)
}

// FindStaleWriting returns recordings still in status writing created before the given
// time, oldest first.
func (db *DB) FindStaleWriting(ctx context.Context, before time.Time) ([]*parley.Recording, error) {
	return db.queryRecordings(ctx, "sqldb.FindStaleWriting", `SELECT `+recCols+` FROM recordings r
		WHERE r.status = ? AND COALESCE(r.touched_at, r.created_at) < ? ORDER BY r.created_at, r.id`, string(parley.RecordingWriting), before.UnixMicro())
}

// TouchRecording sets a writing recording's TouchedAt; see parley.RecordingService.
func (db *DB) TouchRecording(ctx context.Context, id string, at time.Time) error {
	const op = "sqldb.TouchRecording"
	if at.IsZero() {
		return invalid(op, "a time is required")
	}
	res, err := db.db.ExecContext(ctx, db.q(`UPDATE recordings SET touched_at = ? WHERE id = ? AND status = ?`),
		Truncate(at).UnixMicro(), id, string(parley.RecordingWriting))
	if err != nil {
		return db.dbErr(op, err)
	}
	return db.rowsAffected(op, res, "no recording being written has that id")
}

// FindOrphanRecordings returns imported recordings no call names; see
// parley.RecordingService.
func (db *DB) FindOrphanRecordings(ctx context.Context, before time.Time) ([]*parley.Recording, error) {
	// The importer names a recording on its own call (r.call_id) right after finishing
	// it, so that call is the only one to look at.
	return db.queryRecordings(ctx, "sqldb.FindOrphanRecordings", `SELECT `+recCols+` FROM recordings r
		WHERE r.class = ? AND (r.status = ? OR (r.status = ? AND r.completed_at < ? AND r.completed_at >= ?))
		AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.id = r.call_id AND c.recording_id = r.id) ORDER BY r.created_at, r.id`,
		string(parley.ClassImported), string(parley.RecordingTruncated), string(parley.RecordingComplete),
		before.UnixMicro(), before.Add(-parley.OrphanWindow).UnixMicro())
}

func (db *DB) queryRecordings(ctx context.Context, op, query string, args ...any) ([]*parley.Recording, error) {
	rows, err := db.db.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	defer rows.Close()
	var out []*parley.Recording
	for rows.Next() {
		r, err := scanRecording(rows)
		if err != nil {
			return nil, db.dbErr(op, err)
		}
		out = append(out, r)
	}
	return out, db.dbErr(op, rows.Err())
}

func scanRecording(s scanner) (*parley.Recording, error) {
	var r parley.Recording
	var class, status string
	var created, completed, destroyed, touched sql.NullInt64
	if err := s.Scan(&r.ID, &r.CallID, &r.FacilityID, &class, &r.Period, &r.KeyGen, &r.WrappedDEK, &status, &r.Size,
		&created, &completed, &r.LegalHold, &r.HoldReason, &destroyed, &r.DestroyReason, &touched); err != nil {
		return nil, err
	}
	r.Class, r.Status = parley.RecordClass(class), parley.RecordingStatus(status)
	r.CreatedAt, r.CompletedAt, r.DestroyedAt = fromMicros(created), fromMicros(completed), fromMicros(destroyed)
	r.TouchedAt = fromMicros(touched)
	return &r, nil
}
