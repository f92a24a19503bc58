package sqldb

import (
	"context"
	"database/sql"
	"encoding/hex"

	"parley.dev/parley"
)

// colInmatePII is the sealed column of an inmate's personal data: id, name and PIN hash,
// sealed as one value bound to the row's key, the facility id and the inmate's blind index
// (see piiColumn), so neither a name nor a PIN hash can be moved onto another inmate.
const colInmatePII = "inmates.pii"

const (
	maxNameLen       = 200
	maxPINHashLength = 1024
)

// inmatePIIColumn is the column name an inmate row's pii value is sealed for.
func inmatePIIColumn(facilityID string, idx []byte) string {
	return piiColumn(colInmatePII, facilityID, hex.EncodeToString(idx))
}

// CreateInmate stores a new inmate; see parley.InmateService.
func (db *DB) CreateInmate(ctx context.Context, in *parley.Inmate) error {
	return db.createInmate(ctx, "sqldb.CreateInmate", in, "")
}

// CreateInmateWithPIN stores a new inmate and the PIN's lookup index in one transaction;
// see parley.ContactService.
func (db *DB) CreateInmateWithPIN(ctx context.Context, in *parley.Inmate, pin string) error {
	const op = "sqldb.CreateInmateWithPIN"
	if pin == "" || len(pin) > 64 || in.PINHash == "" {
		return invalid(op, "bad PIN")
	}
	return db.createInmate(ctx, op, in, pin)
}

// createInmate inserts the inmate and, when pin is set, its PIN index, all or nothing.
func (db *DB) createInmate(ctx context.Context, op string, in *parley.Inmate, pin string) error {
	if err := parley.ValidateID(in.FacilityID); err != nil {
		return &parley.Error{Op: op, Kind: parley.KindInvalid, Message: "facility id", Err: err}
	}
	if err := parley.ValidateID(in.ID); err != nil {
		return &parley.Error{Op: op, Kind: parley.KindInvalid, Message: "inmate id", Err: err}
	}
	if len(in.Name) > maxNameLen {
		return invalid(op, "name must be at most 200 characters")
	}
	if len(in.PINHash) > maxPINHashLength {
		return invalid(op, "pin hash too long")
	}
	if in.CreatedAt.IsZero() {
		in.CreatedAt = db.now()
	}
	in.CreatedAt = Truncate(in.CreatedAt)
	idx := db.inmateIdx(in.FacilityID, in.ID)
	pii, err := db.sealPII(op, inmatePIIColumn(in.FacilityID, idx), in.ID, in.Name, in.PINHash)
	if err != nil {
		return err
	}
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := db.facilityExists(ctx, tx, op, in.FacilityID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO inmates (facility_id, inmate_idx, pii, do_not_record, created_at)
			VALUES (?, ?, ?, ?, ?)`),
			in.FacilityID, idx, pii, in.DoNotRecord, micros(in.CreatedAt))
		if err != nil || pin == "" {
			return db.dbErr(op, err)
		}
		_, err = tx.ExecContext(ctx, db.q(`INSERT INTO pin_index (facility_id, pin_idx, inmate_idx) VALUES (?, ?, ?)`),
			in.FacilityID, db.pinIdx(in.FacilityID, pin), idx)
		if err != nil && db.d.IsUniqueViolation(err) {
			return &parley.Error{Op: op, Kind: parley.KindConflict, Message: parley.PINUnavailable}
		}
		return db.dbErr(op, err)
	})
}

const inmateCols = `facility_id, inmate_idx, pii, do_not_record, created_at`

// FindInmate returns an inmate, or KindNotFound.
func (db *DB) FindInmate(ctx context.Context, facilityID, inmateID string) (*parley.Inmate, error) {
	const op = "sqldb.FindInmate"
	row := db.db.QueryRowContext(ctx, db.q(`SELECT `+inmateCols+` FROM inmates WHERE facility_id = ? AND inmate_idx = ?`),
		facilityID, db.inmateIdx(facilityID, inmateID))
	in, err := db.scanInmate(op, row)
	if err == sql.ErrNoRows {
		return nil, parley.Errorf(op, parley.KindNotFound, "inmate not found")
	}
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	return in, nil
}

// ListInmates returns the inmates of a facility (none if it does not exist).
func (db *DB) ListInmates(ctx context.Context, facilityID string) ([]*parley.Inmate, error) {
	const op = "sqldb.ListInmates"
	rows, err := db.db.QueryContext(ctx, db.q(`SELECT `+inmateCols+` FROM inmates WHERE facility_id = ? ORDER BY created_at`), facilityID)
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	defer rows.Close()
	var out []*parley.Inmate
	for rows.Next() {
		in, err := db.scanInmate(op, rows)
		if err != nil {
			return nil, db.dbErr(op, err)
		}
		out = append(out, in)
	}
	return out, db.dbErr(op, rows.Err())
}

// SetInmateDoNotRecord sets or clears an inmate's do-not-record flag; KindNotFound if the
// inmate does not exist.
func (db *DB) SetInmateDoNotRecord(ctx context.Context, facilityID, inmateID string, dnr bool) error {
	const op = "sqldb.SetInmateDoNotRecord"
	res, err := db.db.ExecContext(ctx, db.q(`UPDATE inmates SET do_not_record = ? WHERE facility_id = ? AND inmate_idx = ?`),
		dnr, facilityID, db.inmateIdx(facilityID, inmateID))
	if err != nil {
		return db.dbErr(op, err)
	}
	return db.rowsAffected(op, res, "inmate not found")
}

func (db *DB) scanInmate(op string, s scanner) (*parley.Inmate, error) {
	var in parley.Inmate
	var idx, pii []byte
	var created sql.NullInt64
	if err := s.Scan(&in.FacilityID, &idx, &pii, &in.DoNotRecord, &created); err != nil {
		return nil, err
	}
	if err := db.openPII(op, inmatePIIColumn(in.FacilityID, idx), pii, &in.ID, &in.Name, &in.PINHash); err != nil {
		return nil, err
	}
	in.CreatedAt = fromMicros(created)
	return &in, nil
}

// CreateDevice stores a new device; see parley.DeviceService.
func (db *DB) CreateDevice(ctx context.Context, d *parley.Device) error {
	const op = "sqldb.CreateDevice"
	if err := parley.ValidateID(d.FacilityID); err != nil {
		return &parley.Error{Op: op, Kind: parley.KindInvalid, Message: "facility id", Err: err}
	}
	if err := parley.ValidateID(d.ID); err != nil {
		return &parley.Error{Op: op, Kind: parley.KindInvalid, Message: "device id", Err: err}
	}
	if len(d.Name) > maxNameLen {
		return invalid(op, "name must be at most 200 characters")
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = db.now()
	}
	d.CreatedAt = Truncate(d.CreatedAt)
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := db.facilityExists(ctx, tx, op, d.FacilityID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO devices (facility_id, id, name, do_not_record, created_at)
			VALUES (?, ?, ?, ?, ?)`), d.FacilityID, d.ID, d.Name, d.DoNotRecord, micros(d.CreatedAt))
		return db.dbErr(op, err)
	})
}

const deviceCols = `facility_id, id, name, do_not_record, created_at`

// FindDevice returns a device, or KindNotFound.
func (db *DB) FindDevice(ctx context.Context, facilityID, deviceID string) (*parley.Device, error) {
	const op = "sqldb.FindDevice"
	d, err := scanDevice(db.db.QueryRowContext(ctx, db.q(`SELECT `+deviceCols+` FROM devices
		WHERE facility_id = ? AND id = ?`), facilityID, deviceID))
	if err == sql.ErrNoRows {
		return nil, parley.Errorf(op, parley.KindNotFound, "device not found")
	}
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	return d, nil
}

// ListDevices returns a facility's devices, oldest first; see parley.DeviceService. The
// facility check and the read share a transaction, so a facility that exists is never
// reported with devices of another moment.
func (db *DB) ListDevices(ctx context.Context, facilityID string) ([]*parley.Device, error) {
	const op = "sqldb.ListDevices"
	out := []*parley.Device{}
	err := db.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := db.facilityExists(ctx, tx, op, facilityID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, db.q(`SELECT `+deviceCols+` FROM devices WHERE facility_id = ?
			ORDER BY created_at, id`), facilityID)
		if err != nil {
			return db.dbErr(op, err)
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanDevice(rows)
			if err != nil {
				return db.dbErr(op, err)
			}
			out = append(out, d)
		}
		return db.dbErr(op, rows.Err())
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RemoveDevice deletes a device and its wrong-PIN state in one transaction; see
// parley.DeviceService. Calls keep their device id (no key refers to devices).
func (db *DB) RemoveDevice(ctx context.Context, facilityID, deviceID string) error {
	const op = "sqldb.RemoveDevice"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`DELETE FROM devices WHERE facility_id = ? AND id = ?`), facilityID, deviceID)
		if err != nil {
			return db.dbErr(op, err)
		}
		if err := db.rowsAffected(op, res, "device not found"); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, db.q(`DELETE FROM pin_failures WHERE facility_id = ? AND subject = ?`),
			facilityID, "device:"+deviceID)
		return db.dbErr(op, err)
	})
}

func scanDevice(s scanner) (*parley.Device, error) {
	var d parley.Device
	var created sql.NullInt64
	if err := s.Scan(&d.FacilityID, &d.ID, &d.Name, &d.DoNotRecord, &created); err != nil {
		return nil, err
	}
	d.CreatedAt = fromMicros(created)
	return &d, nil
}

// SetDeviceDoNotRecord sets or clears a device's do-not-record flag; KindNotFound if the
// device does not exist.
func (db *DB) SetDeviceDoNotRecord(ctx context.Context, facilityID, deviceID string, dnr bool) error {
	const op = "sqldb.SetDeviceDoNotRecord"
	res, err := db.db.ExecContext(ctx, db.q(`UPDATE devices SET do_not_record = ? WHERE facility_id = ? AND id = ?`),
		dnr, facilityID, deviceID)
	if err != nil {
		return db.dbErr(op, err)
	}
	return db.rowsAffected(op, res, "device not found")
}
