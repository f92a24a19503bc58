package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"

	"parley.dev/parley"
	"parley.dev/parley/fieldcrypt"
	"parley.dev/parley/keydir"
)

// refuseFreshKeys refuses a missing or empty key directory (one without secrets) when the
// database already holds data: keydir.Open would create fresh keys, and with them every
// read would fail. It looks at the database through a throwaway cipher (HoldsData reads no
// sealed column) and closes it again.
func (m *Main) refuseFreshKeys(ctx context.Context, df *dataFlags, data, keysDir string, c keydir.Contents) error {
	const op = "open"
	throwaway := make([]byte, 32)
	rand.Read(throwaway)
	fc, err := fieldcrypt.New(throwaway, throwaway)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, df, data, fc, m.logger())
	if err != nil {
		return err
	}
	held, err := db.HoldsData(ctx)
	db.Close()
	switch {
	case err != nil:
		return err
	case !held:
		return nil
	case !c.Exists:
		return parley.Errorf(op, parley.KindInvalid, "key directory %s does not exist, but the database already holds data: "+
			"pass the key directory it was created with (--keys or PARLEY_KEYS); no keys were created", keysDir)
	}
	return parley.Errorf(op, parley.KindInvalid, "key directory %s holds no keys, but the database already holds data: "+
		"pass the key directory it was created with (--keys or PARLEY_KEYS); no keys were created", keysDir)
}

// bindKeys checks that the key directory belongs to the database, binding the two on
// first use. A bound database must open with the key directory bound to the same id, its
// canary opening under the directory's keys. A database from before bindings is bound on
// its first open if the keys open one of its inmates (or it has none to check); a key
// directory already bound elsewhere is never taken for a new database.
func bindKeys(ctx context.Context, db parley.BindingStore, keys *keydir.Dir, keysDir string, logger *slog.Logger) error {
	const op = "open"
	other := func() error {
		return parley.Errorf(op, parley.KindInvalid, "key directory %s does not belong to this database (its keys do not open its data): "+
			"pass the key directory the data was created with (--keys or PARLEY_KEYS)", keysDir)
	}
	kid, err := keys.BindingID()
	if err != nil {
		return err
	}
	did, err := db.Binding(ctx)
	switch {
	case err == nil && kid == "":
		return keys.Bind(did) // the canary opened: an interrupted first bind, or keys from before bindings
	case err == nil && kid != did:
		return other()
	case err == nil:
		return nil
	case parley.IsKind(err, parley.KindIntegrity):
		return other()
	case !parley.IsKind(err, parley.KindNotFound):
		return err
	}
	// The database is not bound: new, or written before bindings.
	held, err := db.HoldsData(ctx)
	if err != nil {
		return err
	}
	if held {
		checked, err := db.ProbeKeys(ctx)
		if parley.IsKind(err, parley.KindIntegrity) {
			return other()
		}
		if err != nil {
			return err
		}
		if !checked && kid != "" {
			return parley.Errorf(op, parley.KindInvalid, "key directory %s belongs to another database: "+
				"pass the key directory this data was created with (--keys or PARLEY_KEYS)", keysDir)
		}
		if !checked {
			logger.Warn("binding the key directory to a database without an inmate to check its keys against")
		}
	}
	if kid == "" {
		b := make([]byte, 16)
		rand.Read(b)
		kid = hex.EncodeToString(b)
	} else if !held {
		return parley.Errorf(op, parley.KindInvalid, "key directory %s belongs to another database: "+
			"a new data directory (or database) needs a new, empty key directory", keysDir)
	}
	if err := db.Bind(ctx, kid); parley.IsKind(err, parley.KindConflict) {
		return bindKeys(ctx, db, keys, keysDir, logger) // another process bound it first
	} else if err != nil {
		return err
	}
	if err := keys.Bind(kid); err != nil {
		return err
	}
	logger.Info("bound the key directory to the database", "binding", kid)
	return nil
}
