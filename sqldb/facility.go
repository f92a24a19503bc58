package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"

	"parley.dev/parley"
)

const facilityCols = `id, name, type, adp, timezone, retention_days, class_retention, created_at`

// CreateFacility stores a new facility; see parley.FacilityService.
func (db *DB) CreateFacility(ctx context.Context, f *parley.Facility) error {
	const op = "sqldb.CreateFacility"
	if err := f.Validate(); err != nil {
		return parley.WrapError(op, parley.KindInvalid, err)
	}
	if f.CreatedAt.IsZero() {
		f.CreatedAt = db.now()
	}
	f.CreatedAt = Truncate(f.CreatedAt)
	cr, err := classJSON(f)
	if err != nil {
		return parley.WrapError(op, parley.KindInternal, err)
	}
	_, err = db.db.ExecContext(ctx, db.q(`INSERT INTO facilities (`+facilityCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		f.ID, f.Name, string(f.Type), f.ADP, f.Timezone, f.RetentionDays, cr, micros(f.CreatedAt))
	return db.dbErr(op, err)
}

// FindFacility returns a facility, or KindNotFound.
func (db *DB) FindFacility(ctx context.Context, id string) (*parley.Facility, error) {
	const op = "sqldb.FindFacility"
	row := db.db.QueryRowContext(ctx, db.q(`SELECT `+facilityCols+` FROM facilities WHERE id = ?`), id)
	f, err := scanFacility(row)
	if err == sql.ErrNoRows {
		return nil, parley.Errorf(op, parley.KindNotFound, "facility not found")
	}
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	return f, nil
}

// ListFacilities returns all facilities ordered by id.
func (db *DB) ListFacilities(ctx context.Context) ([]*parley.Facility, error) {
	const op = "sqldb.ListFacilities"
	rows, err := db.db.QueryContext(ctx, `SELECT `+facilityCols+` FROM facilities ORDER BY id`)
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	defer rows.Close()
	var out []*parley.Facility
	for rows.Next() {
		f, err := scanFacility(rows)
		if err != nil {
			return nil, db.dbErr(op, err)
		}
		out = append(out, f)
	}
	return out, db.dbErr(op, rows.Err())
}

// UpdateFacility replaces the mutable fields of a facility; KindNotFound if it does not
// exist, KindInvalid if Validate fails.
func (db *DB) UpdateFacility(ctx context.Context, f *parley.Facility) error {
	const op = "sqldb.UpdateFacility"
	if err := f.Validate(); err != nil {
		return parley.WrapError(op, parley.KindInvalid, err)
	}
	cr, err := classJSON(f)
	if err != nil {
		return parley.WrapError(op, parley.KindInternal, err)
	}
	res, err := db.db.ExecContext(ctx, db.q(`UPDATE facilities SET name = ?, type = ?, adp = ?, timezone = ?,
		retention_days = ?, class_retention = ? WHERE id = ?`),
		f.Name, string(f.Type), f.ADP, f.Timezone, f.RetentionDays, cr, f.ID)
	if err != nil {
		return db.dbErr(op, err)
	}
	return db.rowsAffected(op, res, "facility not found")
}

// facilityExists returns KindNotFound if the facility does not exist.
func (db *DB) facilityExists(ctx context.Context, q querier, op, id string) error {
	var one int
	err := q.QueryRowContext(ctx, db.q(`SELECT 1 FROM facilities WHERE id = ?`), id).Scan(&one)
	if err == sql.ErrNoRows {
		return parley.Errorf(op, parley.KindNotFound, "facility not found")
	}
	return db.dbErr(op, err)
}

func classJSON(f *parley.Facility) (string, error) {
	if len(f.ClassRetentionDays) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(f.ClassRetentionDays)
	return string(b), err
}

type scanner interface{ Scan(dest ...any) error }

func scanFacility(s scanner) (*parley.Facility, error) {
	var f parley.Facility
	var typ, cr string
	var created sql.NullInt64
	if err := s.Scan(&f.ID, &f.Name, &typ, &f.ADP, &f.Timezone, &f.RetentionDays, &cr, &created); err != nil {
		return nil, err
	}
	f.Type = parley.FacilityType(typ)
	f.CreatedAt = fromMicros(created)
	if cr != "" && cr != "{}" {
		if err := json.Unmarshal([]byte(cr), &f.ClassRetentionDays); err != nil {
			return nil, err
		}
	}
	return &f, nil
}
