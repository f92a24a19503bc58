package sqldb

import (
	"bytes"
	"context"
	"crypto/hmac"
	"database/sql"

	"parley.dev/parley"
)

var _ parley.BindingStore = (*DB)(nil)

// bindingColumn is the column name the binding canary is sealed and indexed for.
const bindingColumn = "key_binding"

// Binding returns the store's key binding id, its canary checked; see parley.BindingStore.
func (db *DB) Binding(ctx context.Context) (string, error) {
	const op = "sqldb.Binding"
	var id string
	var canary, idx []byte
	err := db.db.QueryRowContext(ctx, `SELECT id, canary, canary_idx FROM key_binding WHERE singleton = 1`).Scan(&id, &canary, &idx)
	if err == sql.ErrNoRows {
		return "", parley.Errorf(op, parley.KindNotFound, "the database is not bound to a key directory")
	}
	if err != nil {
		return "", db.dbErr(op, err)
	}
	pt, err := db.fc.Open(bindingColumn, canary)
	if err != nil || !bytes.Equal(pt, []byte(id)) || !hmac.Equal(idx, db.fc.BlindIndex(bindingColumn, []byte(id))) {
		return "", parley.Errorf(op, parley.KindIntegrity, "the keys do not open this database's data")
	}
	return id, nil
}

// Bind binds the store to id; see parley.BindingStore.
func (db *DB) Bind(ctx context.Context, id string) error {
	const op = "sqldb.Bind"
	if !validBindingID(id) {
		return invalid(op, "binding id must be 1 to 64 characters of [a-z0-9-]")
	}
	canary, err := db.fc.Seal(bindingColumn, []byte(id))
	if err != nil {
		return parley.WrapError(op, parley.KindInternal, err)
	}
	_, err = db.db.ExecContext(ctx, db.q(`INSERT INTO key_binding (singleton, id, canary, canary_idx, created_at) VALUES (1, ?, ?, ?, ?)`),
		id, canary, db.fc.BlindIndex(bindingColumn, []byte(id)), micros(db.now()))
	if err != nil && db.d.IsUniqueViolation(err) {
		return parley.Errorf(op, parley.KindConflict, "the database is bound already")
	}
	return db.dbErr(op, err)
}

// HoldsData reports whether the store holds data written under keys; see
// parley.BindingStore.
func (db *DB) HoldsData(ctx context.Context) (bool, error) {
	const op = "sqldb.HoldsData"
	for _, table := range []string{"key_binding", "facilities", "audit_records", "recordings", "users",
		"public_accounts", "ledger_accounts", "privileged"} {
		var one int
		err := db.db.QueryRowContext(ctx, `SELECT 1 FROM `+table+` LIMIT 1`).Scan(&one)
		if err == nil {
			return true, nil
		}
		if err != sql.ErrNoRows {
			return false, db.dbErr(op, err)
		}
	}
	return false, nil
}

// ProbeKeys checks the keys against one stored inmate; see parley.BindingStore.
func (db *DB) ProbeKeys(ctx context.Context) (bool, error) {
	const op = "sqldb.ProbeKeys"
	row := db.db.QueryRowContext(ctx, `SELECT `+inmateCols+` FROM inmates LIMIT 1`)
	in, err := db.scanInmate(op, row)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if parley.IsKind(err, parley.KindIntegrity) {
		return false, parley.Errorf(op, parley.KindIntegrity, "the keys do not open this database's data")
	}
	if err != nil {
		return false, db.dbErr(op, err)
	}
	var idx []byte
	err = db.db.QueryRowContext(ctx, db.q(`SELECT inmate_idx FROM inmates WHERE facility_id = ? AND inmate_idx = ?`),
		in.FacilityID, db.inmateIdx(in.FacilityID, in.ID)).Scan(&idx)
	if err == sql.ErrNoRows {
		return false, parley.Errorf(op, parley.KindIntegrity, "the index key does not match this database's data")
	}
	if err != nil {
		return false, db.dbErr(op, err)
	}
	return true, nil
}

func validBindingID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}
