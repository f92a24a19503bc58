package sqldb

import (
	"context"
	"database/sql"
	"strings"

	"parley.dev/parley"
)

// AppendAudit stores record n and its tree hashes atomically; see parley.AuditStore.
// KindConflict if record n exists or n is not the current size; concurrent appends of the
// same n never both succeed (the size check runs inside the transaction and n is the
// primary key).
func (db *DB) AppendAudit(ctx context.Context, n int64, record, proof []byte, firstHash int64, hashes [][32]byte) error {
	const op = "sqldb.AppendAudit"
	if n < 0 || firstHash < 0 {
		return invalid(op, "negative index")
	}
	if record == nil {
		record = []byte{}
	}
	if len(proof) == 0 {
		return invalid(op, "record without proof")
	}
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		if db.d.AuditLock != "" {
			if _, err := tx.ExecContext(ctx, db.d.AuditLock); err != nil {
				return db.dbErr(op, err)
			}
		}
		size, err := auditSize(ctx, tx)
		if err != nil {
			return db.dbErr(op, err)
		}
		if n != size {
			return parley.Errorf(op, parley.KindConflict, "record %d cannot be appended at size %d", n, size)
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO audit_records (n, record, proof) VALUES (?, ?, ?)`), n, record, proof); err != nil {
			return db.dbErr(op, err)
		}
		for i, h := range hashes {
			_, err := tx.ExecContext(ctx, db.q(`INSERT INTO audit_hashes (idx, hash) VALUES (?, ?)`), firstHash+int64(i), h[:])
			if err != nil {
				return db.dbErr(op, err)
			}
		}
		return nil
	})
}

func auditSize(ctx context.Context, q querier) (int64, error) {
	var max sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT MAX(n) FROM audit_records`).Scan(&max); err != nil {
		return 0, err
	}
	if !max.Valid {
		return 0, nil
	}
	return max.Int64 + 1, nil
}

// AuditSize returns the number of audit records.
func (db *DB) AuditSize(ctx context.Context) (int64, error) {
	n, err := auditSize(ctx, db.db)
	return n, db.dbErr("sqldb.AuditSize", err)
}

// ReadAuditRecords returns records [from, to). KindNotFound if one of them does not exist.
func (db *DB) ReadAuditRecords(ctx context.Context, from, to int64) ([][]byte, error) {
	return db.readAuditColumn(ctx, "sqldb.ReadAuditRecords", "record", from, to, func(rec []byte) []byte {
		if rec == nil {
			return []byte{}
		}
		return rec
	})
}

// ReadAuditProofs returns the proofs of records [from, to), nil for a record without one.
// KindNotFound if one of the records does not exist.
func (db *DB) ReadAuditProofs(ctx context.Context, from, to int64) ([][]byte, error) {
	return db.readAuditColumn(ctx, "sqldb.ReadAuditProofs", "proof", from, to, func(proof []byte) []byte {
		if len(proof) == 0 {
			return nil
		}
		return proof
	})
}

// readAuditColumn reads one column (a constant name, never input) of records [from, to)
// in order, each value passed through norm; KindNotFound if a record is missing.
func (db *DB) readAuditColumn(ctx context.Context, op, column string, from, to int64, norm func([]byte) []byte) ([][]byte, error) {
	if from < 0 || to < from {
		return nil, invalid(op, "bad record range")
	}
	rows, err := db.db.QueryContext(ctx, db.q(`SELECT n, `+column+` FROM audit_records WHERE n >= ? AND n < ? ORDER BY n`), from, to)
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	defer rows.Close()
	out := make([][]byte, 0, to-from)
	for rows.Next() {
		var n int64
		var v []byte
		if err := rows.Scan(&n, &v); err != nil {
			return nil, db.dbErr(op, err)
		}
		if n != from+int64(len(out)) {
			return nil, parley.Errorf(op, parley.KindNotFound, "audit record %d is missing", from+int64(len(out)))
		}
		out = append(out, norm(v))
	}
	if err := rows.Err(); err != nil {
		return nil, db.dbErr(op, err)
	}
	if int64(len(out)) != to-from {
		return nil, parley.Errorf(op, parley.KindNotFound, "audit record %d is missing", from+int64(len(out)))
	}
	return out, nil
}

// SetAuditProof gives record n, which has none, its proof; see parley.AuditStore.
func (db *DB) SetAuditProof(ctx context.Context, n int64, proof []byte) error {
	const op = "sqldb.SetAuditProof"
	if n < 0 || len(proof) == 0 {
		return invalid(op, "bad record or empty proof")
	}
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		var have []byte
		err := tx.QueryRowContext(ctx, db.q(`SELECT proof FROM audit_records WHERE n = ?`), n).Scan(&have)
		if err == sql.ErrNoRows {
			return parley.Errorf(op, parley.KindNotFound, "audit record %d is missing", n)
		}
		if err != nil {
			return db.dbErr(op, err)
		}
		if len(have) != 0 {
			return parley.Errorf(op, parley.KindConflict, "audit record %d already has a proof", n)
		}
		_, err = tx.ExecContext(ctx, db.q(`UPDATE audit_records SET proof = ? WHERE n = ?`), proof, n)
		return db.dbErr(op, err)
	})
}

// ReadAuditHashes returns the stored hashes at the given indexes, in that order.
// KindNotFound if one of them does not exist.
func (db *DB) ReadAuditHashes(ctx context.Context, indexes []int64) ([][32]byte, error) {
	const op = "sqldb.ReadAuditHashes"
	found := make(map[int64][32]byte, len(indexes))
	const chunk = 500
	for start := 0; start < len(indexes); start += chunk {
		part := indexes[start:min(start+chunk, len(indexes))]
		args := make([]any, len(part))
		for i, x := range part {
			args[i] = x
		}
		query := `SELECT idx, hash FROM audit_hashes WHERE idx IN (?` + strings.Repeat(", ?", len(part)-1) + `)`
		rows, err := db.db.QueryContext(ctx, db.q(query), args...)
		if err != nil {
			return nil, db.dbErr(op, err)
		}
		for rows.Next() {
			var idx int64
			var h []byte
			if err := rows.Scan(&idx, &h); err != nil {
				rows.Close()
				return nil, db.dbErr(op, err)
			}
			if len(h) != 32 {
				rows.Close()
				return nil, parley.Errorf(op, parley.KindIntegrity, "stored hash %d is not 32 bytes", idx)
			}
			found[idx] = [32]byte(h)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, db.dbErr(op, err)
		}
	}
	out := make([][32]byte, len(indexes))
	for i, x := range indexes {
		h, ok := found[x]
		if !ok {
			return nil, parley.Errorf(op, parley.KindNotFound, "stored hash %d is missing", x)
		}
		out[i] = h
	}
	return out, nil
}

// SaveAuditCheckpoint stores a signed checkpoint note, replacing the previous one.
func (db *DB) SaveAuditCheckpoint(ctx context.Context, note []byte) error {
	const op = "sqldb.SaveAuditCheckpoint"
	if len(note) == 0 {
		return invalid(op, "empty checkpoint")
	}
	_, err := db.db.ExecContext(ctx, db.q(`INSERT INTO audit_checkpoint (id, note) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET note = excluded.note`), note)
	return db.dbErr(op, err)
}

// AuditCheckpoint returns the latest signed checkpoint, or KindNotFound.
func (db *DB) AuditCheckpoint(ctx context.Context) ([]byte, error) {
	const op = "sqldb.AuditCheckpoint"
	var note []byte
	err := db.db.QueryRowContext(ctx, `SELECT note FROM audit_checkpoint WHERE id = 1`).Scan(&note)
	if err == sql.ErrNoRows {
		return nil, parley.Errorf(op, parley.KindNotFound, "no audit checkpoint")
	}
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	return note, nil
}
