package sqldb

import (
	"context"
	"database/sql"
	"time"

	"parley.dev/parley"
)

// colPrivPII is the sealed column of a registry entry's personal data: number, name and bar
// number, sealed as one value bound to the entry's id (see piiColumn).
const colPrivPII = "privileged.pii"

// CreatePrivileged stores a registry entry; see parley.PrivilegeService.
func (db *DB) CreatePrivileged(ctx context.Context, p *parley.PrivilegedNumber) error {
	const op = "sqldb.CreatePrivileged"
	switch {
	case !p.Number.Valid():
		return invalid(op, "number is not E.164")
	case !p.Kind.Valid():
		return invalid(op, "unknown privilege kind")
	case !p.Source.Valid():
		return invalid(op, "unknown privilege source")
	case len(p.Name) > maxNameLen:
		return invalid(op, "name must be at most 200 characters")
	case len(p.BarNumber) > 64:
		return invalid(op, "bar number must be at most 64 characters")
	case len(p.AddedBy) > 200:
		return invalid(op, "actor must be at most 200 characters")
	case p.ID != "" && parley.ValidateID(p.ID) != nil:
		return invalid(op, "bad id")
	}
	if p.ID == "" {
		p.ID = newID()
	}
	if p.AddedAt.IsZero() {
		p.AddedAt = db.now()
	}
	p.AddedAt = Truncate(p.AddedAt)
	pii, err := db.sealPII(op, piiColumn(colPrivPII, p.ID), string(p.Number), p.Name, p.BarNumber)
	if err != nil {
		return err
	}
	if err := validClaim(op, parley.PrivilegeClaim{Source: p.Source, Holder: p.Holder}); err != nil {
		return err
	}
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO privileged (id, number_idx, pii, kind, source, added_by, added_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`),
			p.ID, db.numberIdx(p.Number), pii, string(p.Kind), string(p.Source), p.AddedBy, micros(p.AddedAt))
		if err != nil {
			return db.dbErr(op, err)
		}
		_, err = tx.ExecContext(ctx, db.q(`INSERT INTO privileged_claims (privileged_id, source, holder, added_by, added_at)
			VALUES (?, ?, ?, ?, ?)`), p.ID, string(p.Source), p.Holder, p.AddedBy, micros(p.AddedAt))
		return db.dbErr(op, err)
	})
}

// validClaim checks a claim: a known source, and a holder (an id) exactly for a
// self-registration.
func validClaim(op string, c parley.PrivilegeClaim) error {
	switch {
	case !c.Source.Valid():
		return invalid(op, "unknown privilege source")
	case c.Source == parley.SourceSelfRegistration && parley.ValidateID(c.Holder) != nil:
		return invalid(op, "a self-registration names its holder's account id")
	case c.Source != parley.SourceSelfRegistration && c.Holder != "":
		return invalid(op, "only a self-registration has a holder")
	}
	return nil
}

// lockPrivileged takes the entry's row lock inside tx (a no-op update, so it works on
// both dialects) and reports whether the entry exists: claims added and removed
// concurrently serialise on it, so the last claim's removal and a new claim never cross.
func (db *DB) lockPrivileged(ctx context.Context, tx *sql.Tx, op, entryID string) (bool, error) {
	res, err := tx.ExecContext(ctx, db.q(`UPDATE privileged SET added_by = added_by WHERE id = ?`), entryID)
	if err != nil {
		return false, db.dbErr(op, err)
	}
	n, err := res.RowsAffected()
	return n == 1, db.dbErr(op, err)
}

// AddPrivilegedClaim adds a claim to an entry; see parley.PrivilegeService.
func (db *DB) AddPrivilegedClaim(ctx context.Context, entryID string, c parley.PrivilegeClaim, actor string, at time.Time) (bool, error) {
	const op = "sqldb.AddPrivilegedClaim"
	if err := validClaim(op, c); err != nil {
		return false, err
	}
	if len(actor) > 200 {
		return false, invalid(op, "actor must be at most 200 characters")
	}
	added := false
	err := db.inTx(ctx, op, func(tx *sql.Tx) error {
		ok, err := db.lockPrivileged(ctx, tx, op, entryID)
		if err != nil {
			return err
		}
		if !ok {
			return parley.Errorf(op, parley.KindNotFound, "no registry entry with that id")
		}
		res, err := tx.ExecContext(ctx, db.q(`INSERT INTO privileged_claims (privileged_id, source, holder, added_by, added_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`), entryID, string(c.Source), c.Holder, actor, micros(Truncate(at)))
		if err != nil {
			return db.dbErr(op, err)
		}
		n, err := res.RowsAffected()
		added = n == 1
		return db.dbErr(op, err)
	})
	return added, err
}

// RemovePrivilegedClaim ends a claim, deleting the entry with its last; see
// parley.PrivilegeService.
func (db *DB) RemovePrivilegedClaim(ctx context.Context, entryID string, c parley.PrivilegeClaim) (bool, error) {
	const op = "sqldb.RemovePrivilegedClaim"
	if err := validClaim(op, c); err != nil {
		return false, err
	}
	removed := false
	err := db.inTx(ctx, op, func(tx *sql.Tx) error {
		if _, err := db.lockPrivileged(ctx, tx, op, entryID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.q(`DELETE FROM privileged_claims WHERE privileged_id = ? AND source = ? AND holder = ?`),
			entryID, string(c.Source), c.Holder)
		if err != nil {
			return db.dbErr(op, err)
		}
		if err := db.rowsAffected(op, res, "the entry has no such claim"); err != nil {
			return err
		}
		res, err = tx.ExecContext(ctx, db.q(`DELETE FROM privileged WHERE id = ?
			AND NOT EXISTS (SELECT 1 FROM privileged_claims WHERE privileged_id = ?)`), entryID, entryID)
		if err != nil {
			return db.dbErr(op, err)
		}
		n, err := res.RowsAffected()
		removed = n == 1
		return db.dbErr(op, err)
	})
	return removed, err
}

// ListPrivilegedClaims returns an entry's claims, oldest first.
func (db *DB) ListPrivilegedClaims(ctx context.Context, entryID string) ([]parley.PrivilegeClaim, error) {
	const op = "sqldb.ListPrivilegedClaims"
	rows, err := db.db.QueryContext(ctx, db.q(`SELECT source, holder FROM privileged_claims WHERE privileged_id = ?
		ORDER BY added_at, source, holder`), entryID)
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	defer rows.Close()
	var out []parley.PrivilegeClaim
	for rows.Next() {
		var source string
		var c parley.PrivilegeClaim
		if err := rows.Scan(&source, &c.Holder); err != nil {
			return nil, db.dbErr(op, err)
		}
		c.Source = parley.PrivilegeSource(source)
		out = append(out, c)
	}
	return out, db.dbErr(op, rows.Err())
}

const privCols = `id, pii, kind, source, added_by, added_at`

// FindPrivileged returns the entry for a number, or KindNotFound.
func (db *DB) FindPrivileged(ctx context.Context, n parley.Number) (*parley.PrivilegedNumber, error) {
	const op = "sqldb.FindPrivileged"
	if !n.Valid() {
		return nil, invalid(op, "number is not E.164")
	}
	row := db.db.QueryRowContext(ctx, db.q(`SELECT `+privCols+` FROM privileged WHERE number_idx = ?`), db.numberIdx(n))
	p, err := db.scanPrivileged(op, row)
	if err == sql.ErrNoRows {
		return nil, parley.Errorf(op, parley.KindNotFound, "number not registered")
	}
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	return p, nil
}

// ListPrivileged returns every entry, oldest first.
func (db *DB) ListPrivileged(ctx context.Context) ([]*parley.PrivilegedNumber, error) {
	const op = "sqldb.ListPrivileged"
	rows, err := db.db.QueryContext(ctx, `SELECT `+privCols+` FROM privileged ORDER BY added_at, id`)
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	defer rows.Close()
	var out []*parley.PrivilegedNumber
	for rows.Next() {
		p, err := db.scanPrivileged(op, rows)
		if err != nil {
			return nil, db.dbErr(op, err)
		}
		out = append(out, p)
	}
	return out, db.dbErr(op, rows.Err())
}

func (db *DB) scanPrivileged(op string, s scanner) (*parley.PrivilegedNumber, error) {
	var p parley.PrivilegedNumber
	var pii []byte
	var kind, source, num string
	var added sql.NullInt64
	if err := s.Scan(&p.ID, &pii, &kind, &source, &p.AddedBy, &added); err != nil {
		return nil, err
	}
	if err := db.openPII(op, piiColumn(colPrivPII, p.ID), pii, &num, &p.Name, &p.BarNumber); err != nil {
		return nil, err
	}
	p.Number = parley.Number(num)
	p.Kind, p.Source = parley.PrivilegeKind(kind), parley.PrivilegeSource(source)
	p.AddedAt = fromMicros(added)
	return &p, nil
}
