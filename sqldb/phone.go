package sqldb

import (
	"context"
	"database/sql"
	"regexp"

	"parley.dev/parley"
)

// colPhonePII is the sealed column of a phone's digest hashes, bound to its username.
const colPhonePII = "phones.pii"

var hexDigest = regexp.MustCompile(`^[0-9a-f]+$`)

// AddPhone stores a registering phone; see parley.PhoneService.
func (db *DB) AddPhone(ctx context.Context, p *parley.SIPPhone) error {
	const op = "sqldb.AddPhone"
	if err := parley.ValidateID(p.Username); err != nil {
		return &parley.Error{Op: op, Kind: parley.KindInvalid, Message: "username", Err: err}
	}
	if err := validPhoneSecrets(op, p); err != nil {
		return err
	}
	if p.AddedAt.IsZero() {
		p.AddedAt = db.now()
	}
	p.AddedAt = Truncate(p.AddedAt)
	pii, err := db.sealPII(op, piiColumn(colPhonePII, p.Username), p.HA1, p.HA1SHA256)
	if err != nil {
		return err
	}
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := db.facilityExists(ctx, tx, op, p.FacilityID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO phones (username, facility_id, realm, digest, pii, added_at)
			VALUES (?, ?, ?, ?, ?, ?)`), p.Username, p.FacilityID, p.Realm, p.Digest, pii, micros(p.AddedAt))
		return db.dbErr(op, err)
	})
}

// validPhoneSecrets checks the realm, that Digest is canonical and that the phone holds
// the hash of each algorithm it names (lower-case hex) and none of the others.
func validPhoneSecrets(op string, p *parley.SIPPhone) error {
	if p.Realm == "" || len(p.Realm) > 128 {
		return invalid(op, "realm must be 1 to 128 characters")
	}
	if d, err := parley.ParseDigest(p.Digest); err != nil || d != p.Digest {
		return invalid(op, "digest must be sha256, md5 or sha256,md5")
	}
	md, sha := parley.DigestHas(p.Digest, parley.DigestMD5), parley.DigestHas(p.Digest, parley.DigestSHA256)
	switch {
	case md && (len(p.HA1) != 32 || !hexDigest.MatchString(p.HA1)):
		return invalid(op, "HA1 must be an MD5 hash in lower-case hex")
	case !md && p.HA1 != "":
		return invalid(op, "HA1 is stored only for a phone offered MD5")
	case sha && (len(p.HA1SHA256) != 64 || !hexDigest.MatchString(p.HA1SHA256)):
		return invalid(op, "HA1SHA256 must be a SHA-256 hash in lower-case hex")
	case !sha && p.HA1SHA256 != "":
		return invalid(op, "HA1SHA256 is stored only for a phone offered SHA-256")
	}
	return nil
}

// UpdatePhoneDigest replaces a phone's realm, algorithms and hashes; see
// parley.PhoneService.
func (db *DB) UpdatePhoneDigest(ctx context.Context, p *parley.SIPPhone) error {
	const op = "sqldb.UpdatePhoneDigest"
	if err := validPhoneSecrets(op, p); err != nil {
		return err
	}
	pii, err := db.sealPII(op, piiColumn(colPhonePII, p.Username), p.HA1, p.HA1SHA256)
	if err != nil {
		return err
	}
	res, err := db.db.ExecContext(ctx, db.q(`UPDATE phones SET realm = ?, digest = ?, pii = ? WHERE username = ?`),
		p.Realm, p.Digest, pii, p.Username)
	if err != nil {
		return db.dbErr(op, err)
	}
	return db.rowsAffected(op, res, "phone not found")
}

// FindPhone returns the phone with the username, or KindNotFound.
func (db *DB) FindPhone(ctx context.Context, username string) (*parley.SIPPhone, error) {
	const op = "sqldb.FindPhone"
	p, err := db.scanPhone(op, db.db.QueryRowContext(ctx, db.q(`SELECT username, facility_id, realm, digest, pii, added_at
		FROM phones WHERE username = ?`), username))
	if err == sql.ErrNoRows {
		return nil, parley.Errorf(op, parley.KindNotFound, "phone not found")
	}
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	return p, nil
}

// ListPhones returns the phones of a facility, or of all facilities if facilityID is "".
func (db *DB) ListPhones(ctx context.Context, facilityID string) ([]*parley.SIPPhone, error) {
	const op = "sqldb.ListPhones"
	rows, err := db.db.QueryContext(ctx, db.q(`SELECT username, facility_id, realm, digest, pii, added_at FROM phones
		WHERE ? = '' OR facility_id = ? ORDER BY facility_id, username`), facilityID, facilityID)
	if err != nil {
		return nil, db.dbErr(op, err)
	}
	defer rows.Close()
	var out []*parley.SIPPhone
	for rows.Next() {
		p, err := db.scanPhone(op, rows)
		if err != nil {
			return nil, db.dbErr(op, err)
		}
		out = append(out, p)
	}
	return out, db.dbErr(op, rows.Err())
}

// RemovePhone deletes a phone; KindNotFound if there is none.
func (db *DB) RemovePhone(ctx context.Context, username string) error {
	const op = "sqldb.RemovePhone"
	res, err := db.db.ExecContext(ctx, db.q(`DELETE FROM phones WHERE username = ?`), username)
	if err != nil {
		return db.dbErr(op, err)
	}
	return db.rowsAffected(op, res, "phone not found")
}

func (db *DB) scanPhone(op string, s scanner) (*parley.SIPPhone, error) {
	var p parley.SIPPhone
	var pii []byte
	var added sql.NullInt64
	if err := s.Scan(&p.Username, &p.FacilityID, &p.Realm, &p.Digest, &pii, &added); err != nil {
		return nil, err
	}
	if err := db.openPII(op, piiColumn(colPhonePII, p.Username), pii, &p.HA1, &p.HA1SHA256); err != nil {
		return nil, err
	}
	if validPhoneSecrets(op, &p) != nil { // the plain digest column edited against the sealed hashes
		return nil, parley.Errorf(op, parley.KindIntegrity, "a phone's digest algorithms do not match its stored hashes")
	}
	p.AddedAt = fromMicros(added)
	return &p, nil
}
