package sqldb

import (
	"context"
	"database/sql"
	"sort"
	"time"

	"parley.dev/parley"
)

// colUserPII is the sealed column of an account's name and secrets, bound to the user id.
const colUserPII = "users.pii"

const maxSecretLen = 1024

// nameIdx is the blind index of a staff sign-in name.
func (db *DB) nameIdx(name string) []byte { return db.fc.BlindIndex("user_name", []byte(name)) }

// CreateAgency stores a new agency; see parley.UserService.
func (db *DB) CreateAgency(ctx context.Context, a *parley.Agency) error {
	const op = "sqldb.CreateAgency"
	if err := parley.ValidateID(a.ID); err != nil {
		return &parley.Error{Op: op, Kind: parley.KindInvalid, Message: "agency id", Err: err}
	}
	if a.Name == "" || len(a.Name) > 200 {
		return invalid(op, "name must be 1 to 200 characters")
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = db.now()
	}
	a.CreatedAt = Truncate(a.CreatedAt)
	_, err := db.db.ExecContext(ctx, db.q(`INSERT INTO agencies (id, name, created_at) VALUES (?, ?, ?)`),
		a.ID, a.Name, micros(a.CreatedAt))
	return db.dbErr(op, err)
}

// FindAgency returns an agency with its facilities, or KindNotFound.
func (db *DB) FindAgency(ctx context.Context, id string) (*parley.Agency, error) {
	const op = "sqldb.FindAgency"
	a := &parley.Agency{ID: id}
	var created sql.NullInt64
	err := db.db.QueryRowContext(ctx, db.q(`SELECT name, created_at FROM agencies WHERE id = ?`), id).Scan(&a.Name, &created)
	if err == sql.ErrNoRows {
		return nil, parley.Errorf(op, parley.KindNotFound, "agency not found")
	}
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	a.CreatedAt = fromMicros(created)
	rows, err := db.db.QueryContext(ctx, db.q(`SELECT facility_id FROM agency_facilities WHERE agency_id = ? ORDER BY facility_id`), id)
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			return nil, db.dbErr(op, err)
		}
		a.Facilities = append(a.Facilities, f)
	}
	return a, db.dbErr(op, rows.Err())
}

// AddAgencyFacility puts a facility in an agency; see parley.UserService.
func (db *DB) AddAgencyFacility(ctx context.Context, agencyID, facilityID string) error {
	const op = "sqldb.AddAgencyFacility"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := db.facilityExists(ctx, tx, op, facilityID); err != nil {
			return err
		}
		var one int
		err := tx.QueryRowContext(ctx, db.q(`SELECT 1 FROM agencies WHERE id = ?`), agencyID).Scan(&one)
		if err == sql.ErrNoRows {
			return parley.Errorf(op, parley.KindNotFound, "agency not found")
		}
		if err != nil {
			return db.dbErr(op, err)
		}
		_, err = tx.ExecContext(ctx, db.q(`INSERT INTO agency_facilities (facility_id, agency_id) VALUES (?, ?)`), facilityID, agencyID)
		if err != nil && db.d.IsUniqueViolation(err) {
			return parley.Errorf(op, parley.KindConflict, "the facility already belongs to an agency")
		}
		return db.dbErr(op, err)
	})
}

// FacilityAgency returns the agency of a facility, or "".
func (db *DB) FacilityAgency(ctx context.Context, facilityID string) (string, error) {
	const op = "sqldb.FacilityAgency"
	var a string
	err := db.db.QueryRowContext(ctx, db.q(`SELECT agency_id FROM agency_facilities WHERE facility_id = ?`), facilityID).Scan(&a)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return a, db.dbErr(op, err)
}

func (db *DB) sealUser(op string, u *parley.User) ([]byte, error) {
	if len(u.PasswordHash) > maxSecretLen || len(u.TOTPSecret) > maxSecretLen || len(u.EnrolHash) > maxSecretLen {
		return nil, invalid(op, "secret too long")
	}
	return db.sealPII(op, piiColumn(colUserPII, u.ID), u.Name, u.PasswordHash, u.TOTPSecret, u.EnrolHash)
}

// CreateUser stores a new account; see parley.UserService.
func (db *DB) CreateUser(ctx context.Context, u *parley.User) error {
	const op = "sqldb.CreateUser"
	if err := u.Validate(); err != nil {
		return parley.WrapError(op, parley.KindInvalid, err)
	}
	if u.ID == "" {
		u.ID = newID()
	} else if err := parley.ValidateID(u.ID); err != nil {
		return &parley.Error{Op: op, Kind: parley.KindInvalid, Message: "user id", Err: err}
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = db.now()
	}
	u.CreatedAt = Truncate(u.CreatedAt)
	pii, err := db.sealUser(op, u)
	if err != nil {
		return err
	}
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		if u.FacilityID != "" {
			if err := db.facilityExists(ctx, tx, op, u.FacilityID); err != nil {
				return err
			}
		} else {
			var one int
			err := tx.QueryRowContext(ctx, db.q(`SELECT 1 FROM agencies WHERE id = ?`), u.AgencyID).Scan(&one)
			if err == sql.ErrNoRows {
				return parley.Errorf(op, parley.KindNotFound, "agency not found")
			}
			if err != nil {
				return db.dbErr(op, err)
			}
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO users (id, name_idx, pii, role, facility_id, agency_id,
			factor_version, failed_sign_ins, locked_until, last_totp_step, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			u.ID, db.nameIdx(u.Name), pii, string(u.Role), nullString(u.FacilityID), nullString(u.AgencyID),
			u.FactorVersion, u.FailedSignIns, micros(u.LockedUntil), u.LastTOTPStep, micros(u.CreatedAt))
		if err != nil && db.d.IsUniqueViolation(err) {
			return parley.Errorf(op, parley.KindConflict, "an account with that name or id exists")
		}
		return db.dbErr(op, err)
	})
}

const userCols = `id, pii, role, facility_id, agency_id, factor_version, failed_sign_ins, locked_until, last_totp_step, created_at`

func (db *DB) scanUser(op string, row interface{ Scan(...any) error }) (*parley.User, error) {
	u := &parley.User{}
	var pii []byte
	var role string
	var fac, ag sql.NullString
	var locked, created sql.NullInt64
	if err := row.Scan(&u.ID, &pii, &role, &fac, &ag, &u.FactorVersion, &u.FailedSignIns, &locked, &u.LastTOTPStep, &created); err != nil {
		return nil, err
	}
	u.Role, u.FacilityID, u.AgencyID = parley.Role(role), fac.String, ag.String
	u.LockedUntil, u.CreatedAt = fromMicros(locked), fromMicros(created)
	if err := db.openPII(op, piiColumn(colUserPII, u.ID), pii, &u.Name, &u.PasswordHash, &u.TOTPSecret, &u.EnrolHash); err != nil {
		return nil, err
	}
	return u, nil
}

func (db *DB) findUser(ctx context.Context, op, where string, arg any) (*parley.User, error) {
	row := db.db.QueryRowContext(ctx, db.q(`SELECT `+userCols+` FROM users WHERE `+where+` = ?`), arg)
	u, err := db.scanUser(op, row)
	if err == sql.ErrNoRows {
		return nil, parley.Errorf(op, parley.KindNotFound, "account not found")
	}
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	return u, nil
}

// FindUser returns an account by id, or KindNotFound.
func (db *DB) FindUser(ctx context.Context, id string) (*parley.User, error) {
	return db.findUser(ctx, "sqldb.FindUser", "id", id)
}

// FindUserByName returns an account by sign-in name, or KindNotFound.
func (db *DB) FindUserByName(ctx context.Context, name string) (*parley.User, error) {
	return db.findUser(ctx, "sqldb.FindUserByName", "name_idx", db.nameIdx(name))
}

// ListUsers returns every account ordered by id.
func (db *DB) ListUsers(ctx context.Context) ([]*parley.User, error) {
	const op = "sqldb.ListUsers"
	rows, err := db.db.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY id`)
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	defer rows.Close()
	var out []*parley.User
	for rows.Next() {
		u, err := db.scanUser(op, rows)
		if err != nil {
			return nil, db.dbErr(op, err)
		}
		out = append(out, u)
	}
	return out, db.dbErr(op, rows.Err())
}

// UpdateUserAuth rewrites an account's secrets and sign-in state; see parley.UserService.
func (db *DB) UpdateUserAuth(ctx context.Context, u *parley.User) error {
	const op = "sqldb.UpdateUserAuth"
	pii, err := db.sealUser(op, u)
	if err != nil {
		return err
	}
	return db.updateAuth(ctx, op, "users", pii, u.FactorVersion, u.FailedSignIns, u.LockedUntil, u.LastTOTPStep, u.ID, db.nameIdx(u.Name))
}

// AdvanceTOTPStep moves an account's last used TOTP step forward; see parley.UserService.
func (db *DB) AdvanceTOTPStep(ctx context.Context, userID string, step int64) (bool, error) {
	return db.advanceTOTPStep(ctx, "sqldb.AdvanceTOTPStep", "users", userID, step, func() error {
		_, err := db.FindUser(ctx, userID)
		return err
	})
}

// CreateSession stores a session; see parley.UserService.
func (db *DB) CreateSession(ctx context.Context, s *parley.Session) error {
	return db.createSession(ctx, "sqldb.CreateSession", staffSessions, s)
}

// FindSession returns a session by token hash, or KindNotFound.
func (db *DB) FindSession(ctx context.Context, tokenHash []byte) (*parley.Session, error) {
	return db.findSession(ctx, "sqldb.FindSession", staffSessions, tokenHash)
}

// TouchSession sets a session's LastSeen.
func (db *DB) TouchSession(ctx context.Context, tokenHash []byte, at time.Time) error {
	return db.touchSession(ctx, "sqldb.TouchSession", staffSessions, tokenHash, at)
}

// DeleteSession ends a session.
func (db *DB) DeleteSession(ctx context.Context, tokenHash []byte) error {
	return db.deleteSession(ctx, "sqldb.DeleteSession", staffSessions, tokenHash)
}

// DeleteUserSessions ends every session of an account.
func (db *DB) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	return db.deleteOwnerSessions(ctx, "sqldb.DeleteUserSessions", staffSessions, userID)
}

// CountSessions returns how many sessions were seen at or after since.
func (db *DB) CountSessions(ctx context.Context, since time.Time) (int, error) {
	var n int
	err := db.db.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM sessions WHERE last_seen >= ?`), since.UnixMicro()).Scan(&n)
	return n, db.dbErr("sqldb.CountSessions", err)
}

// CreateGrant stores a grant; see parley.UserService.
func (db *DB) CreateGrant(ctx context.Context, g *parley.Grant) error {
	const op = "sqldb.CreateGrant"
	if g.ID == "" {
		g.ID = newID()
	}
	if g.CreatedAt.IsZero() {
		g.CreatedAt = db.now()
	}
	g.CreatedAt, g.Expires = Truncate(g.CreatedAt), Truncate(g.Expires)
	if !g.Expires.After(g.CreatedAt) {
		return invalid(op, "a grant must expire after it is issued")
	}
	if len(g.Reason) > 200 {
		return invalid(op, "reason must be at most 200 characters")
	}
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := db.facilityExists(ctx, tx, op, g.FacilityID); err != nil {
			return err
		}
		for _, id := range []string{g.UserID, g.IssuedBy} {
			var one int
			err := tx.QueryRowContext(ctx, db.q(`SELECT 1 FROM users WHERE id = ?`), id).Scan(&one)
			if err == sql.ErrNoRows {
				return parley.Errorf(op, parley.KindNotFound, "account not found")
			}
			if err != nil {
				return db.dbErr(op, err)
			}
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO grants (id, user_id, facility_id, issued_by, reason, created_at, expires)
			VALUES (?, ?, ?, ?, ?, ?, ?)`), g.ID, g.UserID, g.FacilityID, g.IssuedBy, g.Reason, micros(g.CreatedAt), micros(g.Expires))
		return db.dbErr(op, err)
	})
}

// ListUserGrants returns the grants of an account active at t.
func (db *DB) ListUserGrants(ctx context.Context, userID string, t time.Time) ([]*parley.Grant, error) {
	return db.listGrants(ctx, "sqldb.ListUserGrants", "user_id", userID, t)
}

// ListFacilityGrants returns the grants to a facility active at t.
func (db *DB) ListFacilityGrants(ctx context.Context, facilityID string, t time.Time) ([]*parley.Grant, error) {
	return db.listGrants(ctx, "sqldb.ListFacilityGrants", "facility_id", facilityID, t)
}

// listGrants returns the grants active at t whose column (a constant) equals value.
func (db *DB) listGrants(ctx context.Context, op, column, value string, t time.Time) ([]*parley.Grant, error) {
	rows, err := db.db.QueryContext(ctx, db.q(`SELECT id, user_id, facility_id, issued_by, reason, created_at, expires
		FROM grants WHERE `+column+` = ? AND created_at <= ? AND expires > ? ORDER BY id`), value, t.UnixMicro(), t.UnixMicro())
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	defer rows.Close()
	var out []*parley.Grant
	for rows.Next() {
		g := &parley.Grant{}
		var c, e sql.NullInt64
		if err := rows.Scan(&g.ID, &g.UserID, &g.FacilityID, &g.IssuedBy, &g.Reason, &c, &e); err != nil {
			return nil, db.dbErr(op, err)
		}
		g.CreatedAt, g.Expires = fromMicros(c), fromMicros(e)
		out = append(out, g)
	}
	return out, db.dbErr(op, rows.Err())
}

// EndGrant makes a grant expire at t unless it expires sooner; see parley.UserService. A
// grant ended at (or before) the instant it was issued keeps the rule expires > created_at
// by moving its start one microsecond before t: it is active at no time from t on.
func (db *DB) EndGrant(ctx context.Context, id string, t time.Time) error {
	const op = "sqldb.EndGrant"
	t = Truncate(t)
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		var c, e sql.NullInt64
		err := tx.QueryRowContext(ctx, db.q(`SELECT created_at, expires FROM grants WHERE id = ?`), id).Scan(&c, &e)
		if err == sql.ErrNoRows {
			return parley.Errorf(op, parley.KindNotFound, "grant not found")
		}
		if err != nil {
			return db.dbErr(op, err)
		}
		created, expires := fromMicros(c), fromMicros(e)
		if !expires.After(t) {
			return nil
		}
		if !t.After(created) {
			created = t.Add(-time.Microsecond)
		}
		_, err = tx.ExecContext(ctx, db.q(`UPDATE grants SET created_at = ?, expires = ? WHERE id = ?`), micros(created), micros(t), id)
		return db.dbErr(op, err)
	})
}

// CreateAlert stores an alert; see parley.UserService.
func (db *DB) CreateAlert(ctx context.Context, a *parley.Alert) error {
	const op = "sqldb.CreateAlert"
	if a.ID == "" {
		a.ID = newID()
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = db.now()
	}
	a.CreatedAt = Truncate(a.CreatedAt)
	if a.Scope == "" || a.Kind == "" || len(a.Detail) > 500 {
		return invalid(op, "an alert needs a scope and a kind, and a detail of at most 500 characters")
	}
	_, err := db.db.ExecContext(ctx, db.q(`INSERT INTO alerts (id, scope, kind, user_id, detail, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
		a.ID, a.Scope, a.Kind, a.UserID, a.Detail, micros(a.CreatedAt))
	return db.dbErr(op, err)
}

// ListAlerts returns the alerts of the scopes, newest first, at most limit.
func (db *DB) ListAlerts(ctx context.Context, scopes []string, limit int) ([]*parley.Alert, error) {
	const op = "sqldb.ListAlerts"
	var out []*parley.Alert
	for _, sc := range scopes {
		rows, err := db.db.QueryContext(ctx, db.q(`SELECT id, scope, kind, user_id, detail, created_at FROM alerts
			WHERE scope = ? ORDER BY created_at DESC, id LIMIT ?`), sc, limit)
		if err != nil {
			return nil, db.dbErr(op, err)
		}
		for rows.Next() {
			a := &parley.Alert{}
			var c sql.NullInt64
			if err := rows.Scan(&a.ID, &a.Scope, &a.Kind, &a.UserID, &a.Detail, &c); err != nil {
				rows.Close()
				return nil, db.dbErr(op, err)
			}
			a.CreatedAt = fromMicros(c)
			out = append(out, a)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, db.dbErr(op, err)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// AddWebAuthnCredential stores a security key; see parley.UserService.
func (db *DB) AddWebAuthnCredential(ctx context.Context, c *parley.WebAuthnCredential) error {
	const op = "sqldb.AddWebAuthnCredential"
	if len(c.ID) == 0 || len(c.ID) > 1023 || len(c.Data) == 0 || len(c.Data) > 64<<10 {
		return invalid(op, "a credential needs an id of 1 to 1023 bytes and data")
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = db.now()
	}
	c.CreatedAt = Truncate(c.CreatedAt)
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, db.q(`SELECT 1 FROM users WHERE id = ?`), c.UserID).Scan(&one)
		if err == sql.ErrNoRows {
			return parley.Errorf(op, parley.KindNotFound, "account not found")
		}
		if err != nil {
			return db.dbErr(op, err)
		}
		_, err = tx.ExecContext(ctx, db.q(`INSERT INTO webauthn_credentials (id, user_id, data, created_at) VALUES (?, ?, ?, ?)`),
			c.ID, c.UserID, c.Data, micros(c.CreatedAt))
		return db.dbErr(op, err)
	})
}

// ListWebAuthnCredentials returns an account's security keys, oldest first.
func (db *DB) ListWebAuthnCredentials(ctx context.Context, userID string) ([]*parley.WebAuthnCredential, error) {
	const op = "sqldb.ListWebAuthnCredentials"
	rows, err := db.db.QueryContext(ctx, db.q(`SELECT id, user_id, data, created_at FROM webauthn_credentials
		WHERE user_id = ? ORDER BY created_at, id`), userID)
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	defer rows.Close()
	var out []*parley.WebAuthnCredential
	for rows.Next() {
		c := &parley.WebAuthnCredential{}
		var created sql.NullInt64
		if err := rows.Scan(&c.ID, &c.UserID, &c.Data, &created); err != nil {
			return nil, db.dbErr(op, err)
		}
		c.CreatedAt = fromMicros(created)
		out = append(out, c)
	}
	return out, db.dbErr(op, rows.Err())
}

// UpdateWebAuthnCredential replaces a key's data.
func (db *DB) UpdateWebAuthnCredential(ctx context.Context, c *parley.WebAuthnCredential) error {
	const op = "sqldb.UpdateWebAuthnCredential"
	res, err := db.db.ExecContext(ctx, db.q(`UPDATE webauthn_credentials SET data = ? WHERE id = ? AND user_id = ?`), c.Data, c.ID, c.UserID)
	if err != nil {
		return db.dbErr(op, err)
	}
	return db.rowsAffected(op, res, "credential not found")
}
