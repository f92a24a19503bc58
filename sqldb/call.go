package sqldb

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"parley.dev/parley"
)

// colCallPII is the sealed column of a call's personal data: inmate id, inmate name, number
// and import key, sealed as one value bound to the call id (see piiColumn).
const colCallPII = "calls.pii"

func validCallStatus(s parley.CallStatus) bool {
	switch s {
	case parley.CallAttempted, parley.CallRefused, parley.CallDialing, parley.CallAccepted,
		parley.CallDeclined, parley.CallCompleted, parley.CallDropped, parley.CallImported:
		return true
	}
	return false
}

func validRecordingState(s parley.RecordingState) bool {
	switch s {
	case "", parley.RecordingNone, parley.RecordingStored, parley.RecordingPrivileged, parley.RecordingDestroyed:
		return true
	}
	return false
}

// validateMutable checks the fields UpdateCall may change.
func validateMutable(op string, c *parley.CallRecord) error {
	switch {
	case !validCallStatus(c.Status):
		return invalid(op, "unknown call status")
	case !validRecordingState(c.Recording):
		return invalid(op, "unknown recording state")
	case c.Duration < 0:
		return invalid(op, "negative duration")
	case len(c.Reason) > 200:
		return invalid(op, "reason must be at most 200 characters")
	case len(c.RecordingID) > 128:
		return invalid(op, "recording id too long")
	case c.ChargeCents < 0:
		return invalid(op, "negative charge")
	case len(c.CreditReason) > 200:
		return invalid(op, "credit reason must be at most 200 characters")
	case len(c.PayingAccount) > 128:
		return invalid(op, "paying account id too long")
	}
	return validateParties(op, c)
}

// validateParties checks the parties a record may carry from creation or fill in once.
func validateParties(op string, c *parley.CallRecord) error {
	if c.InmateID != "" {
		if err := parley.ValidateID(c.InmateID); err != nil {
			return &parley.Error{Op: op, Kind: parley.KindInvalid, Message: "inmate id", Err: err}
		}
	}
	switch {
	case c.Number != "" && !c.Number.Valid():
		return invalid(op, "number is not E.164")
	case len(c.InmateName) > maxNameLen:
		return invalid(op, "inmate name must be at most 200 characters")
	}
	return nil
}

// callIndexes returns the blind indexes of a record's parties: inmate (nil when unknown)
// and number (empty when unknown: the column is NOT NULL).
func (db *DB) callIndexes(c *parley.CallRecord) (inmateIdx any, numberIdx []byte) {
	if c.InmateID != "" {
		inmateIdx = db.inmateIdx(c.FacilityID, c.InmateID)
	}
	numberIdx = []byte{}
	if c.Number != "" {
		numberIdx = db.numberIdx(c.Number)
	}
	return inmateIdx, numberIdx
}

// insertCall is the statement CreateCall and CreateCalls run, with callRow's arguments.
const insertCall = `INSERT INTO calls (id, facility_id, inmate_idx, device_id, number_idx, pii,
	started_at, duration_ns, status, reason, privileged, recording_state, recording_id, source, import_key_idx,
	updated_at, charge_cents, credit_reason, paying_account)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// CreateCall stores a new call record; see parley.CallService. KindInvalid if a field is
// invalid, KindConflict if the id or the non-empty import key exists.
func (db *DB) CreateCall(ctx context.Context, c *parley.CallRecord) error {
	const op = "sqldb.CreateCall"
	row, err := db.callRow(op, c)
	if err != nil {
		return err
	}
	_, err = db.db.ExecContext(ctx, db.q(insertCall), row...)
	return db.dbErr(op, err)
}

// CreateCalls stores new call records in one transaction, all or none, with the same checks
// as CreateCall. It is for bulk loads (the data generator of the scale benchmarks): the
// records are sealed before the transaction starts, so several callers seal in parallel
// while one writes.
func (db *DB) CreateCalls(ctx context.Context, calls []*parley.CallRecord) error {
	const op = "sqldb.CreateCalls"
	rows := make([][]any, len(calls))
	for i, c := range calls {
		row, err := db.callRow(op, c)
		if err != nil {
			return err
		}
		rows[i] = row
	}
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, db.q(insertCall))
		if err != nil {
			return db.dbErr(op, err)
		}
		defer stmt.Close()
		for _, row := range rows {
			if _, err := stmt.ExecContext(ctx, row...); err != nil {
				return db.dbErr(op, err)
			}
		}
		return nil
	})
}

// callRow checks a new record, fills in its id and times, seals its parties and returns
// the arguments of insertCall.
func (db *DB) callRow(op string, c *parley.CallRecord) ([]any, error) {
	if err := validateMutable(op, c); err != nil {
		return nil, err
	}
	if err := parley.ValidateID(c.FacilityID); err != nil {
		return nil, &parley.Error{Op: op, Kind: parley.KindInvalid, Message: "facility id", Err: err}
	}
	if c.DeviceID != "" {
		if err := parley.ValidateID(c.DeviceID); err != nil {
			return nil, &parley.Error{Op: op, Kind: parley.KindInvalid, Message: "device id", Err: err}
		}
	}
	switch {
	case c.StartedAt.IsZero():
		return nil, invalid(op, "start time is required")
	case len(c.Source) > 64 || len(c.ImportKey) > 256:
		return nil, invalid(op, "source or import key too long")
	case c.ID != "" && parley.ValidateID(c.ID) != nil:
		return nil, invalid(op, "bad call id")
	}
	if c.ID == "" {
		c.ID = newID()
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = db.now()
	}
	c.StartedAt, c.UpdatedAt = Truncate(c.StartedAt), Truncate(c.UpdatedAt)
	var importIdx any
	inmateIdx, numberIdx := db.callIndexes(c)
	if c.ImportKey != "" {
		importIdx = db.fc.BlindIndex("import_key", []byte(c.ImportKey))
	}
	pii, err := db.sealPII(op, piiColumn(colCallPII, c.ID), c.InmateID, c.InmateName, string(c.Number), c.ImportKey)
	if err != nil {
		return nil, err
	}
	return []any{c.ID, c.FacilityID, inmateIdx, c.DeviceID, numberIdx, pii,
		micros(c.StartedAt), int64(c.Duration), string(c.Status), c.Reason, c.Privileged, string(c.Recording),
		c.RecordingID, c.Source, importIdx, micros(c.UpdatedAt), c.ChargeCents, c.CreditReason, c.PayingAccount}, nil
}

// UpdateCall rewrites a record's mutable fields and UpdatedAt (now, if zero), and fills in
// its parties if it has none yet; see parley.CallService. KindNotFound if it does not exist.
func (db *DB) UpdateCall(ctx context.Context, c *parley.CallRecord) error {
	const op = "sqldb.UpdateCall"
	if err := validateMutable(op, c); err != nil {
		return err
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = db.now()
	}
	c.UpdatedAt = Truncate(c.UpdatedAt)
	res, err := db.db.ExecContext(ctx, db.q(`UPDATE calls SET status = ?, reason = ?, duration_ns = ?, recording_state = ?,
		recording_id = ?, privileged = ?, updated_at = ?, charge_cents = ?, credit_reason = ?, paying_account = ?
		WHERE id = ?`),
		string(c.Status), c.Reason, int64(c.Duration), string(c.Recording), c.RecordingID, c.Privileged,
		micros(c.UpdatedAt), c.ChargeCents, c.CreditReason, c.PayingAccount, c.ID)
	if err != nil {
		return db.dbErr(op, err)
	}
	if err := db.rowsAffected(op, res, "call not found"); err != nil {
		return err
	}
	if c.InmateID == "" && c.Number == "" {
		return nil
	}
	// The facility id is read back: the inmate index is scoped to the stored facility,
	// whatever c says. Sealing cannot carry an import key here: records created without
	// parties are live calls, never imports.
	var facilityID string
	if err := db.db.QueryRowContext(ctx, db.q(`SELECT facility_id FROM calls WHERE id = ?`), c.ID).Scan(&facilityID); err != nil {
		return db.dbErr(op, err)
	}
	parties := *c
	parties.FacilityID = facilityID
	inmateIdx, numberIdx := db.callIndexes(&parties)
	pii, err := db.sealPII(op, piiColumn(colCallPII, c.ID), c.InmateID, c.InmateName, string(c.Number), "")
	if err != nil {
		return err
	}
	_, err = db.db.ExecContext(ctx, db.q(`UPDATE calls SET inmate_idx = ?, number_idx = ?, pii = ?
		WHERE id = ? AND inmate_idx IS NULL AND length(number_idx) = 0`),
		inmateIdx, numberIdx, pii, c.ID)
	return db.dbErr(op, err)
}

const callCols = `id, facility_id, device_id, pii, started_at, duration_ns,
	status, reason, privileged, recording_state, recording_id, source, updated_at,
	charge_cents, credit_reason, paying_account`

// FindCall returns one record, or KindNotFound.
func (db *DB) FindCall(ctx context.Context, id string) (*parley.CallRecord, error) {
	const op = "sqldb.FindCall"
	c, err := db.scanCall(op, db.db.QueryRowContext(ctx, db.q(`SELECT `+callCols+` FROM calls WHERE id = ?`), id))
	if err == sql.ErrNoRows {
		return nil, parley.Errorf(op, parley.KindNotFound, "call not found")
	}
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	return c, nil
}

// FindCalls returns the records matching f, newest first, at most
// min(f.Limit, parley.MaxCallResults). KindInvalid if f names neither a number nor a
// facility, or an inmate without a facility.
func (db *DB) FindCalls(ctx context.Context, f parley.CallFilter) ([]*parley.CallRecord, error) {
	const op = "sqldb.FindCalls"
	var where []string
	var args []any
	if f.Number != "" {
		if !f.Number.Valid() {
			return nil, invalid(op, "number is not E.164")
		}
		where, args = append(where, "number_idx = ?"), append(args, db.numberIdx(f.Number))
	}
	if f.InmateID != "" {
		if f.FacilityID == "" {
			return nil, invalid(op, "an inmate search needs a facility")
		}
		where, args = append(where, "inmate_idx = ?"), append(args, db.inmateIdx(f.FacilityID, f.InmateID))
	}
	if f.FacilityID != "" {
		where, args = append(where, "facility_id = ?"), append(args, f.FacilityID)
	}
	if len(where) == 0 {
		return nil, invalid(op, "a search needs a number, a facility or an inmate")
	}
	if f.Limit < 0 {
		return nil, invalid(op, "negative limit")
	}
	if !f.From.IsZero() {
		where, args = append(where, "started_at >= ?"), append(args, f.From.UnixMicro())
	}
	if !f.To.IsZero() {
		where, args = append(where, "started_at < ?"), append(args, f.To.UnixMicro())
	}
	limit := f.Limit
	if limit == 0 || limit > parley.MaxCallResults {
		limit = parley.MaxCallResults
	}
	args = append(args, limit)
	rows, err := db.db.QueryContext(ctx, db.q(`SELECT `+callCols+` FROM calls WHERE `+strings.Join(where, " AND ")+
		` ORDER BY started_at DESC, id DESC LIMIT ?`), args...)
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	defer rows.Close()
	var out []*parley.CallRecord
	for rows.Next() {
		c, err := db.scanCall(op, rows)
		if err != nil {
			return nil, db.dbErr(op, err)
		}
		out = append(out, c)
	}
	return out, db.dbErr(op, rows.Err())
}

// MarkCallsPrivileged sets Privileged on every record to n and returns how many changed.
func (db *DB) MarkCallsPrivileged(ctx context.Context, n parley.Number) (int, error) {
	const op = "sqldb.MarkCallsPrivileged"
	if !n.Valid() {
		return 0, invalid(op, "number is not E.164")
	}
	res, err := db.db.ExecContext(ctx, db.q(`UPDATE calls SET privileged = ?, updated_at = ? WHERE number_idx = ? AND privileged = ?`),
		true, Truncate(db.now()).UnixMicro(), db.numberIdx(n), false)
	if err != nil {
		return 0, db.dbErr(op, err)
	}
	changed, err := res.RowsAffected()
	if err != nil {
		return 0, db.dbErr(op, err)
	}
	return int(changed), nil
}

func (db *DB) scanCall(op string, s scanner) (*parley.CallRecord, error) {
	var c parley.CallRecord
	var pii []byte
	var started, updated sql.NullInt64
	var dur int64
	var status, state, num string
	if err := s.Scan(&c.ID, &c.FacilityID, &c.DeviceID, &pii, &started, &dur,
		&status, &c.Reason, &c.Privileged, &state, &c.RecordingID, &c.Source, &updated,
		&c.ChargeCents, &c.CreditReason, &c.PayingAccount); err != nil {
		return nil, err
	}
	if err := db.openPII(op, piiColumn(colCallPII, c.ID), pii, &c.InmateID, &c.InmateName, &num, &c.ImportKey); err != nil {
		return nil, err
	}
	c.Number = parley.Number(num)
	c.StartedAt, c.UpdatedAt = fromMicros(started), fromMicros(updated)
	c.Duration = time.Duration(dur)
	c.Status, c.Recording = parley.CallStatus(status), parley.RecordingState(state)
	return &c, nil
}

// DropStaleCalls ends unfinished records started before the cutoff; see parley.CallService.
func (db *DB) DropStaleCalls(ctx context.Context, before time.Time, reason string) (int, error) {
	const op = "sqldb.DropStaleCalls"
	if before.IsZero() || reason == "" || len(reason) > 200 {
		return 0, invalid(op, "a cutoff and a reason (at most 200 characters) are required")
	}
	res, err := db.db.ExecContext(ctx, db.q(`UPDATE calls SET status = ?, reason = ?, updated_at = ?
		WHERE status IN (?, ?, ?) AND started_at < ?`),
		string(parley.CallDropped), reason, micros(Truncate(db.now())),
		string(parley.CallAttempted), string(parley.CallDialing), string(parley.CallAccepted), before.UnixMicro())
	if err != nil {
		return 0, db.dbErr(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, db.dbErr(op, err)
	}
	return int(n), nil
}
