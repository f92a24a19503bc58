package sqldb

import (
	"context"
	"database/sql"

	"parley.dev/parley"
)

// ShredPeriod applies s in one transaction; see parley.RecordingService. It fails with
// KindConflict, changing nothing, if the period is not at generation s.FromGen, if a
// recording of the period that is not destroyed is in neither s.Destroyed nor s.Rewrapped,
// or if s names a recording that is not a live recording of the period.
func (db *DB) ShredPeriod(ctx context.Context, s parley.PeriodShred) error {
	const op = "sqldb.ShredPeriod"
	switch {
	case s.Period == "":
		return invalid(op, "period is required")
	case s.ToGen <= s.FromGen || s.FromGen < 0:
		return invalid(op, "the new generation must be greater than the old")
	case len(s.Reason) > 200:
		return invalid(op, "reason must be at most 200 characters")
	}
	destroyed := make(map[string]bool, len(s.Destroyed))
	for _, id := range s.Destroyed {
		if _, ok := s.Rewrapped[id]; ok {
			return invalid(op, "a recording cannot be both destroyed and re-wrapped")
		}
		destroyed[id] = true
	}
	for _, w := range s.Rewrapped {
		if len(w) == 0 {
			return invalid(op, "empty re-wrapped data key")
		}
	}
	at := s.At
	if at.IsZero() {
		at = db.now()
	}
	atMicros := Truncate(at).UnixMicro()
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		gen, err := db.lockPeriod(ctx, tx, s.Period)
		if err != nil {
			return db.dbErr(op, err)
		}
		if gen != s.FromGen {
			return parley.Errorf(op, parley.KindConflict, "period is at generation %d, not %d", gen, s.FromGen)
		}
		live, err := db.liveIDs(ctx, tx, op, s.Period)
		if err != nil {
			return err
		}
		for id := range live {
			_, rewrapped := s.Rewrapped[id]
			if !rewrapped && !destroyed[id] {
				return parley.Errorf(op, parley.KindConflict, "recording %s of the period is neither destroyed nor re-wrapped", id)
			}
		}
		for id := range destroyed {
			if !live[id] {
				return parley.Errorf(op, parley.KindConflict, "recording %s is not a live recording of the period", id)
			}
		}
		for id, w := range s.Rewrapped {
			if !live[id] {
				return parley.Errorf(op, parley.KindConflict, "recording %s is not a live recording of the period", id)
			}
			_, err := tx.ExecContext(ctx, db.q(`UPDATE recordings SET wrapped_dek = ?, key_gen = ? WHERE id = ?`), w, s.ToGen, id)
			if err != nil {
				return db.dbErr(op, err)
			}
		}
		for _, id := range s.Destroyed {
			_, err := tx.ExecContext(ctx, db.q(`UPDATE recordings SET wrapped_dek = NULL, status = ?, destroyed_at = ?,
				destroy_reason = ? WHERE id = ?`), string(parley.RecordingShredded), atMicros, s.Reason, id)
			if err != nil {
				return db.dbErr(op, err)
			}
			_, err = tx.ExecContext(ctx, db.q(`UPDATE calls SET recording_state = ?, updated_at = ? WHERE recording_id = ?`),
				string(parley.RecordingDestroyed), atMicros, id)
			if err != nil {
				return db.dbErr(op, err)
			}
		}
		res, err := tx.ExecContext(ctx, db.q(`UPDATE periods SET generation = ? WHERE period = ?`), s.ToGen, s.Period)
		if err != nil {
			return db.dbErr(op, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return db.dbErr(op, err)
		} else if n == 0 {
			_, err = tx.ExecContext(ctx, db.q(`INSERT INTO periods (period, generation) VALUES (?, ?)`), s.Period, s.ToGen)
			return db.dbErr(op, err)
		}
		return nil
	})
}

// liveIDs returns the ids of the period's recordings that are not destroyed.
func (db *DB) liveIDs(ctx context.Context, tx *sql.Tx, op, period string) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, db.q(`SELECT r.id FROM recordings r WHERE r.period = ? AND `+notDestroyed+db.d.ForUpdate), period)
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	defer rows.Close()
	live := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, db.dbErr(op, err)
		}
		live[id] = true
	}
	return live, db.dbErr(op, rows.Err())
}
