package sqldb

import (
	"context"
	"database/sql"
	"time"

	"parley.dev/parley"
)

// sessionTable is one of the two session tables: staff sessions (sessions.user_id) and
// public sessions (public_sessions.account_id). Both hold the same columns otherwise, and
// the code that reads and writes them is this one.
type sessionTable struct {
	table, owner string // table and owner column names (constants, never input)
	noun         string // "user" or "account", for messages
}

var (
	staffSessions  = sessionTable{table: "sessions", owner: "user_id", noun: "a user"}
	publicSessions = sessionTable{table: "public_sessions", owner: "account_id", noun: "an account"}
)

func (db *DB) createSession(ctx context.Context, op string, t sessionTable, s *parley.Session) error {
	if len(s.TokenHash) != 32 || s.UserID == "" || s.CSRFToken == "" {
		return invalid(op, "session needs a 32-byte token hash, "+t.noun+" and a CSRF token")
	}
	s.CreatedAt, s.LastSeen = Truncate(s.CreatedAt), Truncate(s.LastSeen)
	_, err := db.db.ExecContext(ctx, db.q(`INSERT INTO `+t.table+` (token_hash, `+t.owner+`, csrf_token, factor_version, created_at, last_seen)
		VALUES (?, ?, ?, ?, ?, ?)`), s.TokenHash, s.UserID, s.CSRFToken, s.FactorVersion, micros(s.CreatedAt), micros(s.LastSeen))
	return db.dbErr(op, err)
}

func (db *DB) findSession(ctx context.Context, op string, t sessionTable, tokenHash []byte) (*parley.Session, error) {
	s := &parley.Session{}
	var created, seen sql.NullInt64
	err := db.db.QueryRowContext(ctx, db.q(`SELECT token_hash, `+t.owner+`, csrf_token, factor_version, created_at, last_seen
		FROM `+t.table+` WHERE token_hash = ?`), tokenHash).Scan(&s.TokenHash, &s.UserID, &s.CSRFToken, &s.FactorVersion, &created, &seen)
	if err == sql.ErrNoRows {
		return nil, parley.Errorf(op, parley.KindNotFound, "session not found")
	}
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	s.CreatedAt, s.LastSeen = fromMicros(created), fromMicros(seen)
	return s, nil
}

func (db *DB) touchSession(ctx context.Context, op string, t sessionTable, tokenHash []byte, at time.Time) error {
	res, err := db.db.ExecContext(ctx, db.q(`UPDATE `+t.table+` SET last_seen = ? WHERE token_hash = ?`), micros(Truncate(at)), tokenHash)
	if err != nil {
		return db.dbErr(op, err)
	}
	return db.rowsAffected(op, res, "session not found")
}

func (db *DB) deleteSession(ctx context.Context, op string, t sessionTable, tokenHash []byte) error {
	_, err := db.db.ExecContext(ctx, db.q(`DELETE FROM `+t.table+` WHERE token_hash = ?`), tokenHash)
	return db.dbErr(op, err)
}

func (db *DB) deleteOwnerSessions(ctx context.Context, op string, t sessionTable, owner string) (int, error) {
	res, err := db.db.ExecContext(ctx, db.q(`DELETE FROM `+t.table+` WHERE `+t.owner+` = ?`), owner)
	if err != nil {
		return 0, db.dbErr(op, err)
	}
	n, err := res.RowsAffected()
	return int(n), db.dbErr(op, err)
}
