package sqldb

import (
	"context"
	"database/sql"
	"encoding/hex"
	"strings"
	"time"

	"parley.dev/parley"
)

// Sealed columns of the call-policy tables. Each holds one number, sealed as one value bound
// to its row's key (see piiColumn), so a number cannot be moved onto another row.
const (
	colAllowedPII  = "allowed_numbers.pii"
	colBlockedPII  = "blocked_numbers.pii"
	colSelfBlkPII  = "self_blocks.pii"
	selfBlockAllID = "*" // the row key of a self-block for every facility
)

func allowedPIIColumn(facilityID string, inmateIdx, numIdx []byte) string {
	return piiColumn(colAllowedPII, facilityID, hex.EncodeToString(inmateIdx), hex.EncodeToString(numIdx))
}

func blockedPIIColumn(facilityID string, numIdx []byte) string {
	return piiColumn(colBlockedPII, facilityID, hex.EncodeToString(numIdx))
}

func selfBlockPIIColumn(numIdx []byte, scope string) string {
	if scope == "" {
		scope = selfBlockAllID
	}
	return piiColumn(colSelfBlkPII, hex.EncodeToString(numIdx), scope)
}

// inmateExists returns KindNotFound if the inmate (by blind index) does not exist.
func (db *DB) inmateExists(ctx context.Context, q querier, op, facilityID string, idx []byte) error {
	var one int
	err := q.QueryRowContext(ctx, db.q(`SELECT 1 FROM inmates WHERE facility_id = ? AND inmate_idx = ?`), facilityID, idx).Scan(&one)
	if err == sql.ErrNoRows {
		return parley.Errorf(op, parley.KindNotFound, "inmate not found")
	}
	return db.dbErr(op, err)
}

// AddAllowedNumber puts a number on an inmate's allowed list; see parley.ContactService.
func (db *DB) AddAllowedNumber(ctx context.Context, a *parley.AllowedNumber) error {
	const op = "sqldb.AddAllowedNumber"
	switch {
	case parley.ValidateID(a.FacilityID) != nil:
		return invalid(op, "bad facility id")
	case parley.ValidateID(a.InmateID) != nil:
		return invalid(op, "bad inmate id")
	case !a.Number.Valid():
		return invalid(op, "number is not E.164")
	case a.MaxCallLength < 0 || a.MaxCallLength > 24*time.Hour:
		return invalid(op, "max call length must be between 0 and 24h")
	}
	if a.AddedAt.IsZero() {
		a.AddedAt = db.now()
	}
	a.AddedAt = Truncate(a.AddedAt)
	inIdx, numIdx := db.inmateIdx(a.FacilityID, a.InmateID), db.numberIdx(a.Number)
	pii, err := db.sealPII(op, allowedPIIColumn(a.FacilityID, inIdx, numIdx), string(a.Number))
	if err != nil {
		return err
	}
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := db.inmateExists(ctx, tx, op, a.FacilityID, inIdx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO allowed_numbers (facility_id, inmate_idx, number_idx, pii, max_call_ns, added_at)
			VALUES (?, ?, ?, ?, ?, ?)`), a.FacilityID, inIdx, numIdx, pii, int64(a.MaxCallLength), micros(a.AddedAt))
		return db.dbErr(op, err)
	})
}

// RemoveAllowedNumber takes a number off an inmate's list; KindNotFound if not listed.
func (db *DB) RemoveAllowedNumber(ctx context.Context, facilityID, inmateID string, n parley.Number) error {
	const op = "sqldb.RemoveAllowedNumber"
	if !n.Valid() {
		return invalid(op, "number is not E.164")
	}
	res, err := db.db.ExecContext(ctx, db.q(`DELETE FROM allowed_numbers WHERE facility_id = ? AND inmate_idx = ? AND number_idx = ?`),
		facilityID, db.inmateIdx(facilityID, inmateID), db.numberIdx(n))
	if err != nil {
		return db.dbErr(op, err)
	}
	return db.rowsAffected(op, res, "number not on the allowed list")
}

// ListAllowedNumbers returns an inmate's allowed list, oldest first.
func (db *DB) ListAllowedNumbers(ctx context.Context, facilityID, inmateID string) ([]*parley.AllowedNumber, error) {
	const op = "sqldb.ListAllowedNumbers"
	inIdx := db.inmateIdx(facilityID, inmateID)
	rows, err := db.db.QueryContext(ctx, db.q(`SELECT number_idx, pii, max_call_ns, added_at FROM allowed_numbers
		WHERE facility_id = ? AND inmate_idx = ? ORDER BY added_at, number_idx`), facilityID, inIdx)
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	defer rows.Close()
	var out []*parley.AllowedNumber
	for rows.Next() {
		var numIdx, pii []byte
		var maxNS int64
		var added sql.NullInt64
		if err := rows.Scan(&numIdx, &pii, &maxNS, &added); err != nil {
			return nil, db.dbErr(op, err)
		}
		var num string
		if err := db.openPII(op, allowedPIIColumn(facilityID, inIdx, numIdx), pii, &num); err != nil {
			return nil, err
		}
		out = append(out, &parley.AllowedNumber{FacilityID: facilityID, InmateID: inmateID, Number: parley.Number(num),
			MaxCallLength: time.Duration(maxNS), AddedAt: fromMicros(added)})
	}
	return out, db.dbErr(op, rows.Err())
}

// AddBlockedNumber blocks a number at a facility; see parley.ContactService.
func (db *DB) AddBlockedNumber(ctx context.Context, facilityID string, n parley.Number) error {
	const op = "sqldb.AddBlockedNumber"
	if !n.Valid() {
		return invalid(op, "number is not E.164")
	}
	idx := db.numberIdx(n)
	pii, err := db.sealPII(op, blockedPIIColumn(facilityID, idx), string(n))
	if err != nil {
		return err
	}
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := db.facilityExists(ctx, tx, op, facilityID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO blocked_numbers (facility_id, number_idx, pii, added_at) VALUES (?, ?, ?, ?)`),
			facilityID, idx, pii, micros(Truncate(db.now())))
		return db.dbErr(op, err)
	})
}

// RemoveBlockedNumber unblocks a number; KindNotFound if it was not blocked.
func (db *DB) RemoveBlockedNumber(ctx context.Context, facilityID string, n parley.Number) error {
	const op = "sqldb.RemoveBlockedNumber"
	if !n.Valid() {
		return invalid(op, "number is not E.164")
	}
	res, err := db.db.ExecContext(ctx, db.q(`DELETE FROM blocked_numbers WHERE facility_id = ? AND number_idx = ?`), facilityID, db.numberIdx(n))
	if err != nil {
		return db.dbErr(op, err)
	}
	return db.rowsAffected(op, res, "number not blocked")
}

// validPrefix reports whether p is '+' then 1 to 15 digits, the first not 0 (as
// policy.Rules.Validate checks).
func validPrefix(p string) bool {
	if len(p) < 2 || len(p) > 16 || p[0] != '+' || p[1] == '0' {
		return false
	}
	return strings.Trim(p[1:], "0123456789") == ""
}

// AddBlockedPrefix blocks a prefix at a facility; see parley.ContactService.
func (db *DB) AddBlockedPrefix(ctx context.Context, facilityID, prefix string) error {
	const op = "sqldb.AddBlockedPrefix"
	if !validPrefix(prefix) {
		return invalid(op, "prefix must be '+' and 1 to 15 digits, not starting with 0")
	}
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := db.facilityExists(ctx, tx, op, facilityID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO blocked_prefixes (facility_id, prefix, added_at) VALUES (?, ?, ?)`),
			facilityID, prefix, micros(Truncate(db.now())))
		return db.dbErr(op, err)
	})
}

// RemoveBlockedPrefix unblocks a prefix; KindNotFound if it was not blocked.
func (db *DB) RemoveBlockedPrefix(ctx context.Context, facilityID, prefix string) error {
	const op = "sqldb.RemoveBlockedPrefix"
	res, err := db.db.ExecContext(ctx, db.q(`DELETE FROM blocked_prefixes WHERE facility_id = ? AND prefix = ?`), facilityID, prefix)
	if err != nil {
		return db.dbErr(op, err)
	}
	return db.rowsAffected(op, res, "prefix not blocked")
}

// FacilityBlocks returns a facility's blocked numbers (oldest first) and prefixes (sorted).
func (db *DB) FacilityBlocks(ctx context.Context, facilityID string) (*parley.FacilityBlocks, error) {
	const op = "sqldb.FacilityBlocks"
	rows, err := db.db.QueryContext(ctx, db.q(`SELECT number_idx, pii FROM blocked_numbers WHERE facility_id = ? ORDER BY added_at, number_idx`), facilityID)
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	defer rows.Close()
	out := &parley.FacilityBlocks{}
	for rows.Next() {
		var idx, pii []byte
		if err := rows.Scan(&idx, &pii); err != nil {
			return nil, db.dbErr(op, err)
		}
		var num string
		if err := db.openPII(op, blockedPIIColumn(facilityID, idx), pii, &num); err != nil {
			return nil, err
		}
		out.Numbers = append(out.Numbers, parley.Number(num))
	}
	if err := rows.Err(); err != nil {
		return nil, db.dbErr(op, err)
	}
	prows, err := db.db.QueryContext(ctx, db.q(`SELECT prefix FROM blocked_prefixes WHERE facility_id = ? ORDER BY prefix`), facilityID)
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	defer prows.Close()
	for prows.Next() {
		var p string
		if err := prows.Scan(&p); err != nil {
			return nil, db.dbErr(op, err)
		}
		out.Prefixes = append(out.Prefixes, p)
	}
	return out, db.dbErr(op, prows.Err())
}

// AddSelfBlock records a called party's block; see parley.ContactService.
func (db *DB) AddSelfBlock(ctx context.Context, b *parley.SelfBlock) error {
	const op = "sqldb.AddSelfBlock"
	if !b.Number.Valid() {
		return invalid(op, "number is not E.164")
	}
	if b.FacilityID != "" && parley.ValidateID(b.FacilityID) != nil {
		return invalid(op, "bad facility id")
	}
	if b.AddedAt.IsZero() {
		b.AddedAt = db.now()
	}
	b.AddedAt = Truncate(b.AddedAt)
	idx := db.numberIdx(b.Number)
	pii, err := db.sealPII(op, selfBlockPIIColumn(idx, b.FacilityID), string(b.Number))
	if err != nil {
		return err
	}
	_, err = db.db.ExecContext(ctx, db.q(`INSERT INTO self_blocks (number_idx, scope, pii, added_at) VALUES (?, ?, ?, ?)`),
		idx, b.FacilityID, pii, micros(b.AddedAt))
	return db.dbErr(op, err)
}

// RemoveSelfBlock removes a called party's block; KindNotFound if it does not exist.
func (db *DB) RemoveSelfBlock(ctx context.Context, n parley.Number, facilityID string) error {
	const op = "sqldb.RemoveSelfBlock"
	if !n.Valid() {
		return invalid(op, "number is not E.164")
	}
	res, err := db.db.ExecContext(ctx, db.q(`DELETE FROM self_blocks WHERE number_idx = ? AND scope = ?`), db.numberIdx(n), facilityID)
	if err != nil {
		return db.dbErr(op, err)
	}
	return db.rowsAffected(op, res, "self-block not found")
}

// FindSelfBlocks returns every self-block of a number, ordered by scope.
func (db *DB) FindSelfBlocks(ctx context.Context, n parley.Number) ([]*parley.SelfBlock, error) {
	const op = "sqldb.FindSelfBlocks"
	if !n.Valid() {
		return nil, invalid(op, "number is not E.164")
	}
	idx := db.numberIdx(n)
	rows, err := db.db.QueryContext(ctx, db.q(`SELECT scope, pii, added_at FROM self_blocks WHERE number_idx = ? ORDER BY scope`), idx)
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	defer rows.Close()
	var out []*parley.SelfBlock
	for rows.Next() {
		var scope, num string
		var pii []byte
		var added sql.NullInt64
		if err := rows.Scan(&scope, &pii, &added); err != nil {
			return nil, db.dbErr(op, err)
		}
		if err := db.openPII(op, selfBlockPIIColumn(idx, scope), pii, &num); err != nil {
			return nil, err
		}
		out = append(out, &parley.SelfBlock{Number: parley.Number(num), FacilityID: scope, AddedAt: fromMicros(added)})
	}
	return out, db.dbErr(op, rows.Err())
}

// ListSelfBlocks returns the self-blocks that apply to a facility, newest first.
func (db *DB) ListSelfBlocks(ctx context.Context, facilityID string) ([]*parley.SelfBlock, error) {
	const op = "sqldb.ListSelfBlocks"
	if parley.ValidateID(facilityID) != nil {
		return nil, invalid(op, "bad facility id")
	}
	rows, err := db.db.QueryContext(ctx, db.q(`SELECT number_idx, scope, pii, added_at FROM self_blocks
		WHERE scope = ? OR scope = '' ORDER BY added_at DESC, scope DESC`), facilityID)
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	defer rows.Close()
	var out []*parley.SelfBlock
	for rows.Next() {
		var scope, num string
		var idx, pii []byte
		var added sql.NullInt64
		if err := rows.Scan(&idx, &scope, &pii, &added); err != nil {
			return nil, db.dbErr(op, err)
		}
		if err := db.openPII(op, selfBlockPIIColumn(idx, scope), pii, &num); err != nil {
			return nil, err
		}
		out = append(out, &parley.SelfBlock{Number: parley.Number(num), FacilityID: scope, AddedAt: fromMicros(added)})
	}
	return out, db.dbErr(op, rows.Err())
}
