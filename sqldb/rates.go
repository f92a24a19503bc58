package sqldb

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/rates"
)

// SetFacilityRates stores per-minute rates, all or none, in one transaction; it
// implements billing.RateStore. Each rate is checked with caps.CheckFacilityRate against
// the facility's type and ADP read in the same transaction: KindNotFound if the facility
// does not exist or no cap is in force on the rate's first day, KindForbidden (naming the
// cap and its source) if the rate is above the cap. SetAt defaults to now.
func (db *DB) SetFacilityRates(ctx context.Context, caps *rates.Caps, rs []rates.FacilityRate) error {
	const op = "sqldb.SetFacilityRates"
	if caps == nil || len(rs) == 0 {
		return invalid(op, "caps and at least one rate are required")
	}
	rs = slices.Clone(rs)
	for i := range rs {
		rs[i].Effective = rates.Day(rs[i].Effective)
		if rs[i].SetAt.IsZero() {
			rs[i].SetAt = db.now()
		}
		rs[i].SetAt = Truncate(rs[i].SetAt)
		if err := rs[i].Validate(); err != nil {
			return parley.WrapError(op, parley.KindInvalid, err)
		}
	}
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		facilities := map[string]*parley.Facility{}
		for _, r := range rs {
			f, ok := facilities[r.FacilityID]
			if !ok {
				var err error
				f, err = scanFacility(tx.QueryRowContext(ctx, db.q(`SELECT `+facilityCols+` FROM facilities WHERE id = ?`+db.d.ForUpdate), r.FacilityID))
				if err == sql.ErrNoRows {
					return parley.Errorf(op, parley.KindNotFound, "facility not found")
				}
				if err != nil {
					return db.dbErr(op, err)
				}
				facilities[r.FacilityID] = f
			}
			if _, err := caps.CheckFacilityRate(r, f.Type, f.ADP); err != nil {
				return parley.WrapError(op, parley.KindForbidden, err)
			}
			_, err := tx.ExecContext(ctx, db.q(`INSERT INTO facility_rates (facility_id, service, rate_micros, effective_from, set_by, set_at)
				VALUES (?, ?, ?, ?, ?, ?)`), r.FacilityID, string(r.Service), int64(r.Rate),
				r.Effective.Format(time.DateOnly), r.SetBy, r.SetAt.UnixMicro())
			if err != nil {
				return db.dbErr(op, err)
			}
		}
		return nil
	})
}

const rateCols = `facility_id, service, rate_micros, effective_from, set_by, set_at`

func scanRate(s scanner) (rates.FacilityRate, error) {
	var r rates.FacilityRate
	var service, eff string
	var micros, setAt int64
	if err := s.Scan(&r.FacilityID, &service, &micros, &eff, &r.SetBy, &setAt); err != nil {
		return rates.FacilityRate{}, err
	}
	day, err := time.Parse(time.DateOnly, eff)
	if err != nil {
		return rates.FacilityRate{}, parley.Errorf("sqldb.scanRate", parley.KindIntegrity, "stored effective date is not a date")
	}
	r.Service, r.Rate, r.Effective, r.SetAt = rates.Service(service), rates.Microdollars(micros), day, time.UnixMicro(setAt).UTC()
	return r, nil
}

// FacilityRate returns the facility's rate for service in force on on's calendar day (in
// on's location), or KindNotFound; it implements billing.RateStore.
func (db *DB) FacilityRate(ctx context.Context, facilityID string, service rates.Service, on time.Time) (rates.FacilityRate, error) {
	const op = "sqldb.FacilityRate"
	if on.IsZero() {
		return rates.FacilityRate{}, invalid(op, "a date is required")
	}
	day := rates.Day(on).Format(time.DateOnly)
	r, err := scanRate(db.db.QueryRowContext(ctx, db.q(`SELECT `+rateCols+` FROM facility_rates
		WHERE facility_id = ? AND service = ? AND effective_from <= ?
		ORDER BY effective_from DESC, id DESC LIMIT 1`), facilityID, string(service), day))
	if err == sql.ErrNoRows {
		return rates.FacilityRate{}, parley.Errorf(op, parley.KindNotFound, "facility %s has no %s rate in force on %s", facilityID, service, day)
	}
	if err != nil {
		return rates.FacilityRate{}, db.dbErr(op, err)
	}
	return r, nil
}

// FacilityRates returns every rate set for the facility, ordered by service, effective
// day and the order they were set in; it implements billing.RateStore.
func (db *DB) FacilityRates(ctx context.Context, facilityID string) ([]rates.FacilityRate, error) {
	const op = "sqldb.FacilityRates"
	rows, err := db.db.QueryContext(ctx, db.q(`SELECT `+rateCols+` FROM facility_rates WHERE facility_id = ?
		ORDER BY service, effective_from, id`), facilityID)
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	defer rows.Close()
	var out []rates.FacilityRate
	for rows.Next() {
		r, err := scanRate(rows)
		if err != nil {
			return nil, db.dbErr(op, err)
		}
		out = append(out, r)
	}
	return out, db.dbErr(op, rows.Err())
}
