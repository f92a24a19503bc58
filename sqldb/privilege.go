package sqldb

import (
	"context"
	"database/sql"

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
	_, err = db.db.ExecContext(ctx, db.q(`INSERT INTO privileged (id, number_idx, pii, kind, source, added_by, added_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`),
		p.ID, db.numberIdx(p.Number), pii, string(p.Kind), string(p.Source), p.AddedBy, micros(p.AddedAt))
	return db.dbErr(op, err)
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
