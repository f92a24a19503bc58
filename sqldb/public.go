package sqldb

import (
	"context"
	"database/sql"
	"time"

	"parley.dev/parley"
)

// Sealed columns of public accounts and their numbers, each bound to its row id.
const (
	colPublicPII = "public_accounts.pii"
	colNumberPII = "public_numbers.pii"
)

// publicNameIdx is the blind index of a public sign-in name (apart from staff names: the
// same name may exist on both sides).
func (db *DB) publicNameIdx(name string) []byte {
	return db.fc.BlindIndex("public_name", []byte(name))
}

// codeHash is the keyed hash of a verification code, bound to its number row.
func (db *DB) codeHash(numberID, code string) []byte {
	return db.fc.BlindIndex("verification_code", []byte(numberID+"\x00"+code))
}

func (db *DB) sealPublic(op string, a *parley.PublicAccount) ([]byte, error) {
	if len(a.PasswordHash) > maxSecretLen || len(a.TOTPSecret) > maxSecretLen {
		return nil, invalid(op, "secret too long")
	}
	return db.sealPII(op, piiColumn(colPublicPII, a.ID), a.Name, a.PasswordHash, a.TOTPSecret, a.FullName, a.BarNumber, a.BarState)
}

// CreatePublicAccount stores a new public account; see parley.PublicService.
func (db *DB) CreatePublicAccount(ctx context.Context, a *parley.PublicAccount) error {
	const op = "sqldb.CreatePublicAccount"
	if err := a.Validate(); err != nil {
		return parley.WrapError(op, parley.KindInvalid, err)
	}
	if a.ID == "" {
		a.ID = newID()
	} else if err := parley.ValidateID(a.ID); err != nil {
		return &parley.Error{Op: op, Kind: parley.KindInvalid, Message: "account id", Err: err}
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = db.now()
	}
	a.CreatedAt, a.VerifiedAt = Truncate(a.CreatedAt), Truncate(a.VerifiedAt)
	pii, err := db.sealPublic(op, a)
	if err != nil {
		return err
	}
	_, err = db.db.ExecContext(ctx, db.q(`INSERT INTO public_accounts (id, name_idx, pii, role, status, verified_by, verified_at,
		factor_version, failed_sign_ins, locked_until, last_totp_step, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		a.ID, db.publicNameIdx(a.Name), pii, string(a.Role), string(a.Status), a.VerifiedBy, micros(a.VerifiedAt),
		a.FactorVersion, a.FailedSignIns, micros(a.LockedUntil), a.LastTOTPStep, micros(a.CreatedAt))
	if err != nil && db.d.IsUniqueViolation(err) {
		return parley.Errorf(op, parley.KindConflict, "an account with that name exists")
	}
	return db.dbErr(op, err)
}

const publicCols = `id, pii, role, status, verified_by, verified_at, factor_version, failed_sign_ins, locked_until, last_totp_step, created_at`

func (db *DB) scanPublic(op string, row interface{ Scan(...any) error }) (*parley.PublicAccount, error) {
	a := &parley.PublicAccount{}
	var pii []byte
	var role, status string
	var verified, locked, created sql.NullInt64
	if err := row.Scan(&a.ID, &pii, &role, &status, &a.VerifiedBy, &verified, &a.FactorVersion, &a.FailedSignIns,
		&locked, &a.LastTOTPStep, &created); err != nil {
		return nil, err
	}
	a.Role, a.Status = parley.Role(role), parley.AttorneyStatus(status)
	a.VerifiedAt, a.LockedUntil, a.CreatedAt = fromMicros(verified), fromMicros(locked), fromMicros(created)
	if err := db.openPII(op, piiColumn(colPublicPII, a.ID), pii, &a.Name, &a.PasswordHash, &a.TOTPSecret,
		&a.FullName, &a.BarNumber, &a.BarState); err != nil {
		return nil, err
	}
	return a, nil
}

func (db *DB) findPublic(ctx context.Context, op, where string, arg any) (*parley.PublicAccount, error) {
	row := db.db.QueryRowContext(ctx, db.q(`SELECT `+publicCols+` FROM public_accounts WHERE `+where+` = ?`), arg)
	a, err := db.scanPublic(op, row)
	if err == sql.ErrNoRows {
		return nil, parley.Errorf(op, parley.KindNotFound, "account not found")
	}
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	return a, nil
}

// FindPublicAccount returns a public account by id, or KindNotFound.
func (db *DB) FindPublicAccount(ctx context.Context, id string) (*parley.PublicAccount, error) {
	return db.findPublic(ctx, "sqldb.FindPublicAccount", "id", id)
}

// FindPublicAccountByName returns a public account by sign-in name, or KindNotFound.
func (db *DB) FindPublicAccountByName(ctx context.Context, name string) (*parley.PublicAccount, error) {
	return db.findPublic(ctx, "sqldb.FindPublicAccountByName", "name_idx", db.publicNameIdx(name))
}

// ListPublicAccounts returns the accounts of a role (every one if role is ""), oldest first.
func (db *DB) ListPublicAccounts(ctx context.Context, role parley.Role) ([]*parley.PublicAccount, error) {
	const op = "sqldb.ListPublicAccounts"
	rows, err := db.db.QueryContext(ctx, db.q(`SELECT `+publicCols+` FROM public_accounts WHERE ? = '' OR role = ?
		ORDER BY created_at, id`), string(role), string(role))
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	defer rows.Close()
	var out []*parley.PublicAccount
	for rows.Next() {
		a, err := db.scanPublic(op, rows)
		if err != nil {
			return nil, db.dbErr(op, err)
		}
		out = append(out, a)
	}
	return out, db.dbErr(op, rows.Err())
}

// UpdatePublicAuth rewrites a public account's secrets and sign-in state.
func (db *DB) UpdatePublicAuth(ctx context.Context, a *parley.PublicAccount) error {
	const op = "sqldb.UpdatePublicAuth"
	pii, err := db.sealPublic(op, a)
	if err != nil {
		return err
	}
	return db.updateAuth(ctx, op, "public_accounts", pii, a.FactorVersion, a.FailedSignIns, a.LockedUntil, a.LastTOTPStep, a.ID, db.publicNameIdx(a.Name))
}

// AdvancePublicTOTPStep moves an account's last used TOTP step forward.
func (db *DB) AdvancePublicTOTPStep(ctx context.Context, id string, step int64) (bool, error) {
	return db.advanceTOTPStep(ctx, "sqldb.AdvancePublicTOTPStep", "public_accounts", id, step, func() error {
		_, err := db.FindPublicAccount(ctx, id)
		return err
	})
}

// VerifyAttorney marks a pending attorney verified.
func (db *DB) VerifyAttorney(ctx context.Context, id, actor string, at time.Time) error {
	const op = "sqldb.VerifyAttorney"
	if actor == "" {
		return invalid(op, "the verifying actor is required")
	}
	res, err := db.db.ExecContext(ctx, db.q(`UPDATE public_accounts SET status = ?, verified_by = ?, verified_at = ?
		WHERE id = ? AND role = ? AND status = ?`), string(parley.AttorneyVerified), actor, micros(Truncate(at)),
		id, string(parley.RoleAttorney), string(parley.AttorneyPending))
	if err != nil {
		return db.dbErr(op, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return db.dbErr(op, err)
	}
	a, err := db.FindPublicAccount(ctx, id)
	if err != nil || a.Role != parley.RoleAttorney {
		return parley.Errorf(op, parley.KindNotFound, "no attorney account with that id")
	}
	return parley.Errorf(op, parley.KindConflict, "the attorney is verified already")
}

// CreatePublicSession stores a public session.
func (db *DB) CreatePublicSession(ctx context.Context, s *parley.Session) error {
	return db.createSession(ctx, "sqldb.CreatePublicSession", publicSessions, s)
}

// FindPublicSession returns a public session by token hash, or KindNotFound.
func (db *DB) FindPublicSession(ctx context.Context, tokenHash []byte) (*parley.Session, error) {
	return db.findSession(ctx, "sqldb.FindPublicSession", publicSessions, tokenHash)
}

// TouchPublicSession sets a public session's LastSeen.
func (db *DB) TouchPublicSession(ctx context.Context, tokenHash []byte, at time.Time) error {
	return db.touchSession(ctx, "sqldb.TouchPublicSession", publicSessions, tokenHash, at)
}

// DeletePublicSession ends a public session.
func (db *DB) DeletePublicSession(ctx context.Context, tokenHash []byte) error {
	return db.deleteSession(ctx, "sqldb.DeletePublicSession", publicSessions, tokenHash)
}

// DeletePublicAccountSessions ends every session of a public account.
func (db *DB) DeletePublicAccountSessions(ctx context.Context, accountID string) (int, error) {
	return db.deleteOwnerSessions(ctx, "sqldb.DeletePublicAccountSessions", publicSessions, accountID)
}
