package sqldb

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/policy"
)

// rulesDoc is the JSON text of a facility's call rules: the configurable fields of
// policy.Rules. The facility id and time zone come from the facilities table, the blocked
// numbers and prefixes from their own tables. Durations are nanoseconds.
type rulesDoc struct {
	Version        int         `json:"v"`
	Hours          [7][]string `json:"hours"` // by time.Weekday, "HH:MM-HH:MM"
	MaxCallNS      int64       `json:"max_call_ns"`
	MinGapNS       int64       `json:"min_gap_ns,omitempty"`
	MonthlyQuotaNS int64       `json:"monthly_quota_ns,omitempty"`
	Lockdown       bool        `json:"lockdown,omitempty"`
	LockdownUntil  int64       `json:"lockdown_until_us,omitempty"` // UTC microseconds; 0 = until cleared
	MaxConcurrent  int         `json:"max_concurrent,omitempty"`
	OpenDialing    bool        `json:"open_dialing,omitempty"`
	PINMaxFailures int         `json:"pin_max_failures,omitempty"`
	PINLockoutNS   int64       `json:"pin_lockout_ns,omitempty"`
}

func docFromRules(r *policy.Rules) rulesDoc {
	d := rulesDoc{Version: 1, MaxCallNS: int64(r.MaxCallLength), MinGapNS: int64(r.MinGap),
		MonthlyQuotaNS: int64(r.MonthlyQuota), Lockdown: r.Lockdown, MaxConcurrent: r.MaxConcurrent,
		OpenDialing: r.OpenDialing, PINMaxFailures: r.PINMaxFailures, PINLockoutNS: int64(r.PINLockout)}
	if !r.LockdownUntil.IsZero() {
		d.LockdownUntil = r.LockdownUntil.UnixMicro()
	}
	for day, ws := range r.Hours {
		for _, w := range ws {
			d.Hours[day] = append(d.Hours[day], w.String())
		}
	}
	return d
}

func (d *rulesDoc) rules(facilityID, timezone string) (policy.Rules, error) {
	r := policy.Rules{FacilityID: facilityID, Timezone: timezone, MaxCallLength: time.Duration(d.MaxCallNS),
		MinGap: time.Duration(d.MinGapNS), MonthlyQuota: time.Duration(d.MonthlyQuotaNS), Lockdown: d.Lockdown,
		MaxConcurrent: d.MaxConcurrent, OpenDialing: d.OpenDialing, PINMaxFailures: d.PINMaxFailures,
		PINLockout: time.Duration(d.PINLockoutNS)}
	if d.LockdownUntil != 0 {
		r.LockdownUntil = time.UnixMicro(d.LockdownUntil).UTC()
	}
	for day, ws := range d.Hours {
		for _, s := range ws {
			w, err := policy.ParseWindow(s)
			if err != nil {
				return policy.Rules{}, err
			}
			r.Hours[day] = append(r.Hours[day], w)
		}
	}
	return r, nil
}

// SetCallRules stores a facility's call rules, replacing any. Only the configurable fields
// are stored: FacilityID names the facility, whose time zone the rules take, and blocked
// numbers and prefixes are kept by AddBlockedNumber and AddBlockedPrefix (the ones in r are
// ignored). KindNotFound if the facility does not exist, KindInvalid if the rules do not
// pass policy.Rules.Validate.
func (db *DB) SetCallRules(ctx context.Context, r policy.Rules) error {
	const op = "sqldb.SetCallRules"
	f, err := db.FindFacility(ctx, r.FacilityID)
	if err != nil {
		return parley.WrapError(op, parley.KindNotFound, err)
	}
	r.Timezone, r.BlockedNumbers, r.BlockedPrefixes = f.Timezone, nil, nil
	if err := r.Validate(); err != nil {
		return parley.WrapError(op, parley.KindInvalid, err)
	}
	text, err := json.Marshal(docFromRules(&r))
	if err != nil {
		return parley.WrapError(op, parley.KindInternal, err)
	}
	_, err = db.db.ExecContext(ctx, db.q(`INSERT INTO call_rules (facility_id, rules, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (facility_id) DO UPDATE SET rules = excluded.rules, updated_at = excluded.updated_at`),
		r.FacilityID, string(text), micros(Truncate(db.now())))
	return db.dbErr(op, err)
}

// CallRules returns a facility's complete call rules: the stored fields, the facility's id
// and time zone, and its blocked numbers and prefixes. KindNotFound if the facility does
// not exist or has no rules; KindIntegrity if the stored rules no longer validate.
func (db *DB) CallRules(ctx context.Context, facilityID string) (policy.Rules, error) {
	const op = "sqldb.CallRules"
	f, err := db.FindFacility(ctx, facilityID)
	if err != nil {
		return policy.Rules{}, parley.WrapError(op, parley.KindNotFound, err)
	}
	var text string
	err = db.db.QueryRowContext(ctx, db.q(`SELECT rules FROM call_rules WHERE facility_id = ?`), facilityID).Scan(&text)
	if err == sql.ErrNoRows {
		return policy.Rules{}, parley.Errorf(op, parley.KindNotFound, "facility has no call rules")
	}
	if err != nil {
		return policy.Rules{}, db.dbErr(op, err)
	}
	var d rulesDoc
	if err := json.Unmarshal([]byte(text), &d); err != nil {
		return policy.Rules{}, &parley.Error{Op: op, Kind: parley.KindIntegrity, Message: "stored rules do not parse", Err: err}
	}
	r, err := d.rules(f.ID, f.Timezone)
	if err != nil {
		return policy.Rules{}, &parley.Error{Op: op, Kind: parley.KindIntegrity, Message: "stored rules do not parse", Err: err}
	}
	b, err := db.FacilityBlocks(ctx, facilityID)
	if err != nil {
		return policy.Rules{}, err
	}
	r.BlockedNumbers, r.BlockedPrefixes = b.Numbers, b.Prefixes
	if err := r.Validate(); err != nil {
		return policy.Rules{}, &parley.Error{Op: op, Kind: parley.KindIntegrity, Message: "stored rules do not validate", Err: err}
	}
	return r, nil
}

// pinIdx is the blind index of a PIN within its facility. Without the index key it reveals
// nothing, not even to a dictionary of all 10^8 PINs.
func (db *DB) pinIdx(facilityID, pin string) []byte {
	return db.fc.BlindIndex("pin", []byte(facilityID+"\x00"+pin))
}

// SetInmatePIN replaces an inmate's PIN hash and PIN index; see parley.ContactService.
func (db *DB) SetInmatePIN(ctx context.Context, facilityID, inmateID, pinHash, pin string) error {
	const op = "sqldb.SetInmatePIN"
	switch {
	case pin == "" || len(pin) > 64:
		return invalid(op, "bad PIN")
	case pinHash == "" || len(pinHash) > maxPINHashLength:
		return invalid(op, "bad PIN hash")
	}
	idx := db.inmateIdx(facilityID, inmateID)
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		var pii []byte
		err := tx.QueryRowContext(ctx, db.q(`SELECT pii FROM inmates WHERE facility_id = ? AND inmate_idx = ?`+db.d.ForUpdate),
			facilityID, idx).Scan(&pii)
		if err == sql.ErrNoRows {
			return parley.Errorf(op, parley.KindNotFound, "inmate not found")
		}
		if err != nil {
			return db.dbErr(op, err)
		}
		col := inmatePIIColumn(facilityID, idx)
		var id, name, oldHash string
		if err := db.openPII(op, col, pii, &id, &name, &oldHash); err != nil {
			return err
		}
		if pii, err = db.sealPII(op, col, id, name, pinHash); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE inmates SET pii = ? WHERE facility_id = ? AND inmate_idx = ?`), pii, facilityID, idx); err != nil {
			return db.dbErr(op, err)
		}
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM pin_index WHERE facility_id = ? AND inmate_idx = ?`), facilityID, idx); err != nil {
			return db.dbErr(op, err)
		}
		_, err = tx.ExecContext(ctx, db.q(`INSERT INTO pin_index (facility_id, pin_idx, inmate_idx) VALUES (?, ?, ?)`),
			facilityID, db.pinIdx(facilityID, pin), idx)
		if err != nil && db.d.IsUniqueViolation(err) {
			return &parley.Error{Op: op, Kind: parley.KindConflict, Message: parley.PINUnavailable}
		}
		return db.dbErr(op, err)
	})
}

// FindInmateByPIN returns the inmate whose PIN index matches; see parley.ContactService.
func (db *DB) FindInmateByPIN(ctx context.Context, facilityID, pin string) (*parley.Inmate, error) {
	const op = "sqldb.FindInmateByPIN"
	row := db.db.QueryRowContext(ctx, db.q(`SELECT `+inmateCols+` FROM inmates WHERE facility_id = ? AND inmate_idx =
		(SELECT inmate_idx FROM pin_index WHERE facility_id = ? AND pin_idx = ?)`), facilityID, facilityID, db.pinIdx(facilityID, pin))
	in, err := db.scanInmate(op, row)
	if err == sql.ErrNoRows {
		return nil, parley.Errorf(op, parley.KindNotFound, "no inmate has that PIN")
	}
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	return in, nil
}

// pinSubject returns the pin_failures key of a subject.
func (db *DB) pinSubject(op, facilityID string, s parley.PINSubject) (string, error) {
	switch {
	case s.InmateID != "" && s.DeviceID == "":
		return "inmate:" + hex.EncodeToString(db.inmateIdx(facilityID, s.InmateID)), nil
	case s.DeviceID != "" && s.InmateID == "" && parley.ValidateID(s.DeviceID) == nil:
		return "device:" + s.DeviceID, nil
	}
	return "", invalid(op, "exactly one of inmate and device must be named")
}

// PINState returns a subject's wrong-PIN state; the zero state if none is stored.
func (db *DB) PINState(ctx context.Context, facilityID string, s parley.PINSubject) (parley.PINState, error) {
	const op = "sqldb.PINState"
	subject, err := db.pinSubject(op, facilityID, s)
	if err != nil {
		return parley.PINState{}, err
	}
	var st parley.PINState
	var until sql.NullInt64
	err = db.db.QueryRowContext(ctx, db.q(`SELECT failures, locked_until FROM pin_failures WHERE facility_id = ? AND subject = ?`),
		facilityID, subject).Scan(&st.Failures, &until)
	if err == sql.ErrNoRows {
		return parley.PINState{}, nil
	}
	if err != nil {
		return parley.PINState{}, db.dbErr(op, err)
	}
	st.LockedUntil = fromMicros(until)
	return st, nil
}

// SavePINState stores a subject's wrong-PIN state; KindNotFound if the facility does not
// exist.
func (db *DB) SavePINState(ctx context.Context, facilityID string, s parley.PINSubject, st parley.PINState) error {
	const op = "sqldb.SavePINState"
	subject, err := db.pinSubject(op, facilityID, s)
	if err != nil {
		return err
	}
	if st.Failures < 0 || st.Failures > policy.MaxPINFailures {
		return invalid(op, "failure count out of range")
	}
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := db.facilityExists(ctx, tx, op, facilityID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO pin_failures (facility_id, subject, failures, locked_until) VALUES (?, ?, ?, ?)
			ON CONFLICT (facility_id, subject) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until`),
			facilityID, subject, st.Failures, micros(st.LockedUntil))
		return db.dbErr(op, err)
	})
}

// AddGateway trusts a gateway address for a facility; see parley.ContactService. The
// address is stored in canonical form (IPv4-mapped IPv6 addresses as IPv4).
func (db *DB) AddGateway(ctx context.Context, g *parley.Gateway) error {
	const op = "sqldb.AddGateway"
	a, err := netip.ParseAddr(g.Addr)
	if err != nil || a.Zone() != "" {
		return invalid(op, "gateway address must be an IP address")
	}
	g.Addr = a.Unmap().String()
	if g.AddedAt.IsZero() {
		g.AddedAt = db.now()
	}
	g.AddedAt = Truncate(g.AddedAt)
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := db.facilityExists(ctx, tx, op, g.FacilityID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO gateways (addr, facility_id, added_at) VALUES (?, ?, ?)`),
			g.Addr, g.FacilityID, micros(g.AddedAt))
		return db.dbErr(op, err)
	})
}

// RemoveGateway stops trusting an address; KindNotFound if it was not trusted.
func (db *DB) RemoveGateway(ctx context.Context, addr string) error {
	const op = "sqldb.RemoveGateway"
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return invalid(op, "gateway address must be an IP address")
	}
	res, err := db.db.ExecContext(ctx, db.q(`DELETE FROM gateways WHERE addr = ?`), a.Unmap().String())
	if err != nil {
		return db.dbErr(op, err)
	}
	return db.rowsAffected(op, res, "gateway not found")
}

// ListGateways returns the gateways of a facility, or of all facilities if facilityID is "".
func (db *DB) ListGateways(ctx context.Context, facilityID string) ([]*parley.Gateway, error) {
	const op = "sqldb.ListGateways"
	rows, err := db.db.QueryContext(ctx, db.q(`SELECT addr, facility_id, added_at FROM gateways
		WHERE ? = '' OR facility_id = ? ORDER BY facility_id, addr`), facilityID, facilityID)
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	defer rows.Close()
	var out []*parley.Gateway
	for rows.Next() {
		var g parley.Gateway
		var added sql.NullInt64
		if err := rows.Scan(&g.Addr, &g.FacilityID, &added); err != nil {
			return nil, db.dbErr(op, err)
		}
		g.AddedAt = fromMicros(added)
		out = append(out, &g)
	}
	return out, db.dbErr(op, rows.Err())
}

// InmateCallUsage sums an inmate's calls; see parley.ContactService. Every call record of
// the inmate counts with its duration (refused calls last 0); only connected calls end one.
func (db *DB) InmateCallUsage(ctx context.Context, facilityID, inmateID string, from, to, since time.Time) (parley.CallUsage, error) {
	const op = "sqldb.InmateCallUsage"
	if from.IsZero() || to.IsZero() || since.IsZero() || !from.Before(to) {
		return parley.CallUsage{}, invalid(op, "from, to and since are required, from before to")
	}
	idx := db.inmateIdx(facilityID, inmateID)
	var used int64
	err := db.db.QueryRowContext(ctx, db.q(`SELECT CAST(COALESCE(SUM(duration_ns), 0) AS BIGINT) FROM calls
		WHERE facility_id = ? AND inmate_idx = ? AND started_at >= ? AND started_at < ?`),
		facilityID, idx, from.UnixMicro(), to.UnixMicro()).Scan(&used)
	if err != nil {
		return parley.CallUsage{}, db.dbErr(op, err)
	}
	var last sql.NullInt64
	err = db.db.QueryRowContext(ctx, db.q(`SELECT MAX(started_at + duration_ns / 1000) FROM calls
		WHERE facility_id = ? AND inmate_idx = ? AND started_at >= ? AND duration_ns > 0`), facilityID, idx, since.UnixMicro()).Scan(&last)
	if err != nil {
		return parley.CallUsage{}, db.dbErr(op, err)
	}
	return parley.CallUsage{Used: time.Duration(used), LastEnd: fromMicros(last)}, nil
}
