package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"parley.dev/parley"
	"parley.dev/parley/audit"
	"parley.dev/parley/fieldcrypt"
	"parley.dev/parley/file"
	"parley.dev/parley/keydir"
	"parley.dev/parley/legacy"
	"parley.dev/parley/postgres"
	"parley.dev/parley/privilege"
	"parley.dev/parley/records"
	"parley.dev/parley/sqldb"
	"parley.dev/parley/sqlite"
	"parley.dev/parley/vault"
)

// dataFlags are the flags every data-touching command takes, with the same defaults as
// serve: --data (PARLEY_DATA, default ./parley-data), --keys (PARLEY_KEYS, default a
// sibling of --data), --db (PARLEY_DB, default SQLite inside --data). Commands other than
// serve also take them from the data, keys and db keys of the PARLEY_CONFIG file, below
// the environment, so they find serve's data (serve layers every setting: settings.go).
type dataFlags struct {
	data, keys, db string
	err            error     // the PARLEY_CONFIG file could not be read
	witnesses      multiFlag // --audit-witness: append-only checkpoint files on other volumes
	// uncheckedAudit is set by the commands that must run on a log that does not verify
	// (audit verify, list, accept-restore, key): every other command refuses to start then.
	uncheckedAudit bool
}

func (m *Main) addDataFlags(fs *flag.FlagSet) *dataFlags {
	df := &dataFlags{}
	var file map[string]string
	if path := m.Getenv("PARLEY_CONFIG"); path != "" && fs.Name() != "serve" {
		file, df.err = readDataSettings(path)
	}
	def := func(env, fallback string) string {
		if v := m.setting(env); v != "" {
			return v
		}
		if v := file[strings.ToLower(strings.TrimPrefix(env, "PARLEY_"))]; v != "" {
			return v
		}
		return fallback
	}
	fs.StringVar(&df.data, "data", def("PARLEY_DATA", "parley-data"), "data directory (database, vault)")
	fs.StringVar(&df.keys, "keys", def("PARLEY_KEYS", ""), "key directory, never inside --data (default: sibling of --data)")
	fs.StringVar(&df.db, "db", def("PARLEY_DB", ""), "postgres://… DSN (default: SQLite in --data)")
	if v := m.Getenv("PARLEY_AUDIT_WITNESS"); v != "" {
		df.witnesses = strings.Split(v, string(os.PathListSeparator))
	}
	fs.Var(&df.witnesses, "audit-witness", "append-only file on another volume that also keeps every audit checkpoint (repeatable; PARLEY_AUDIT_WITNESS, ':'-separated)")
	return df
}

// env is everything a data-touching command needs, opened in dependency order.
type env struct {
	logger   *slog.Logger
	keys     *keydir.Dir
	cipher   *fieldcrypt.Cipher
	store    parley.Store
	db       *sqldb.DB // the same database as store, for the ledger and facility rates
	blobs    *file.Store
	audit    *audit.Log
	vault    *vault.Vault
	registry *privilege.Registry
	searcher *records.Searcher
	verifier note.Verifier
	// verifierKey is the audit key's public verifier key (note format).
	verifierKey string
	// places keep the audit checkpoint outside the database: the key directory, witnesses.
	places   []audit.Place
	dataDir  string
	clock    func() time.Time
	postgres bool
	metrics  *serveMetrics // serve's; nil for other commands
}

func (m *Main) openEnv(ctx context.Context, df *dataFlags) (_ *env, err error) {
	const op = "open"
	if df.err != nil {
		return nil, df.err
	}
	logger := m.logger()
	data, err := filepath.Abs(df.data)
	if err != nil {
		return nil, parley.WrapError(op, parley.KindInvalid, err)
	}
	keysDir := df.keys
	if keysDir == "" {
		keysDir = keydir.DefaultFor(data)
	}
	sqliteDB := df.db == "" || strings.HasPrefix(df.db, "sqlite:")
	if !sqliteDB && !strings.HasPrefix(df.db, "postgres://") && !strings.HasPrefix(df.db, "postgresql://") {
		return nil, usageError("--db must be empty (SQLite), sqlite:PATH or postgres://…")
	}
	// Refuse keys inside the data directory before creating anything, so a refused run
	// leaves no empty directory behind.
	if err := keydir.CheckApart(data, keysDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, parley.WrapError(op, parley.KindInvalid, err)
	}
	e := &env{logger: logger, dataDir: data, clock: m.Now, postgres: strings.HasPrefix(df.db, "postgres"), metrics: m.metrics}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	// A missing or empty key directory on a database that holds data is refused before
	// keydir.Open would create fresh keys under which nothing reads (see env_binding.go).
	contents, err := keydir.Inspect(keysDir)
	if err != nil {
		return nil, err
	}
	if !contents.HasSecrets {
		if err := m.refuseFreshKeys(ctx, df, data, keysDir, contents); err != nil {
			return nil, err
		}
	}
	keyring, err := openKeyring(keysDir, logger)
	if err != nil {
		return nil, err
	}
	if e.keys, err = keydir.Open(keysDir, keyring, logger); err != nil {
		return nil, err
	}
	fieldKey, err := e.keys.Secret(ctx, "field")
	if err != nil {
		return nil, err
	}
	indexKey, err := e.keys.Secret(ctx, "index")
	if err != nil {
		return nil, err
	}
	if e.cipher, err = fieldcrypt.New(fieldKey, indexKey); err != nil {
		return nil, err
	}
	if e.db, err = openDB(ctx, df, data, e.cipher, logger); err != nil {
		return nil, err
	}
	e.store = e.db
	if err := bindKeys(ctx, e.db, e.keys, keysDir, logger); err != nil {
		return nil, err
	}
	var onAudit func(time.Duration)
	var onFlush func(int, time.Duration)
	if e.metrics != nil {
		e.db.SetObserver(e.metrics.dbTimed)
		onAudit, onFlush = e.metrics.audited, e.metrics.flushed
	}
	if e.blobs, err = file.Open(filepath.Join(data, "vault")); err != nil {
		return nil, err
	}
	seed, err := e.keys.Secret(ctx, "audit-signer-seed")
	if err != nil {
		return nil, err
	}
	signer, verifierKey, err := audit.SignerFromSeed(audit.DefaultKeyName, seed)
	if err != nil {
		return nil, err
	}
	if e.verifier, err = note.NewVerifier(verifierKey); err != nil {
		return nil, parley.WrapError(op, parley.KindInternal, err)
	}
	e.verifierKey = verifierKey
	e.places = []audit.Place{{Name: keyDirCheckpoint, Store: e.keys}}
	for _, w := range df.witnesses {
		e.places = append(e.places, audit.Place{Name: "witness file " + w, Store: audit.WitnessFile(w)})
	}
	e.audit = audit.New(e.store, signer, e.verifier, audit.Options{
		Now: m.Now, Logger: logger, Places: e.places, Observe: onAudit,
	})
	if !df.uncheckedAudit {
		if err := e.audit.Open(ctx); err != nil {
			return nil, auditRefusal(err)
		}
	}
	// The registry destroys recordings through the vault, and the vault asks the registry
	// before recording: the closure breaks the cycle.
	e.registry = privilege.New(e.store, privilege.DestroyerFunc(func(ctx context.Context, ids []string, reason string) (int, error) {
		return e.vault.Destroy(ctx, ids, reason)
	}), e.audit, logger)
	if e.vault, err = vault.New(vault.Config{
		Store: e.store, Blobs: e.blobs, PeriodKeys: e.keys, Gate: e.registry,
		Auditor: e.audit, Logger: logger, Now: m.Now, OnFlush: onFlush, KeysBound: true, // bindKeys checked them
	}); err != nil {
		return nil, err
	}
	e.searcher = &records.Searcher{Calls: e.store, Auditor: e.audit, Digest: e.cipher.BlindIndex}
	return e, nil
}

// openDB opens (and migrates) the database of df: SQLite in data unless --db names one.
func openDB(ctx context.Context, df *dataFlags, data string, fc parley.FieldCipher, logger *slog.Logger) (*sqldb.DB, error) {
	if df.db == "" || strings.HasPrefix(df.db, "sqlite:") {
		path := strings.TrimPrefix(df.db, "sqlite:")
		if path == "" {
			path = filepath.Join(data, "parley.db")
		}
		return sqlite.Open(ctx, path, fc, logger)
	}
	return postgres.Open(ctx, df.db, fc, logger)
}

// keyDirCheckpoint names the key directory's copy of the audit checkpoint in messages.
const keyDirCheckpoint = "key directory's checkpoint"

// auditRefusal is the one-line refusal to run on an audit log that does not verify against
// its checkpoints outside the database, with what to do next.
func auditRefusal(err error) error {
	if !parley.IsKind(err, parley.KindIntegrity) {
		return err
	}
	msg := err.Error()
	var pe *parley.Error
	if errors.As(err, &pe) && pe.Message != "" {
		msg = pe.Message
	}
	return parley.Errorf("audit", parley.KindIntegrity,
		"refusing to run: %s; check with `parley audit verify`; after a deliberate restore of the data: `parley audit accept-restore --reason TEXT`", msg)
}

// trustedCheckpoints returns what each place holds, for audit.VerifyTrusted.
func (e *env) trustedCheckpoints(ctx context.Context) ([]audit.Trusted, error) {
	var out []audit.Trusted
	for _, p := range e.places {
		note, err := p.Store.LatestAuditCheckpoint(ctx)
		if err != nil && !parley.IsKind(err, parley.KindNotFound) {
			return nil, err
		}
		out = append(out, audit.Trusted{Name: p.Name, Note: note})
	}
	return out, nil
}

// openKeyring returns the keyring that holds the key-encryption keys: the local KEK files
// of the key directory. An external KMS or Vault transit would be another parley.Keyring
// chosen here (see the keydir package doc); the key directory stores what it wraps either way.
func openKeyring(keysDir string, logger *slog.Logger) (parley.Keyring, error) {
	local, err := keydir.OpenLocal(keysDir, logger)
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return local, nil
}

// Close releases the database.
func (e *env) Close() error {
	if e.store != nil {
		return e.store.Close()
	}
	return nil
}

// withEnv opens the environment, runs fn with the operator as actor, and closes it.
func (m *Main) withEnv(ctx context.Context, df *dataFlags, fn func(ctx context.Context, e *env) error) error {
	e, err := m.openEnv(ctx, df)
	if err != nil {
		return err
	}
	err = fn(m.actorContext(ctx), e)
	return errors.Join(err, e.Close())
}

// need returns a usage error when a required flag is empty.
func need(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			return usageError("--%s is required", pairs[i])
		}
	}
	return nil
}

// printf writes to stdout, ignoring errors (a closed stdout is not the command's failure).
func (m *Main) printf(format string, args ...any) { fmt.Fprintf(m.Stdout, format, args...) }

// now is the clock every service of this environment shares.
func (e *env) now() time.Time { return e.clock() }

// importer returns the legacy importer wired to this environment's vault and registry.
// Imported recordings are filed at their call's start (vault.RecordAt), so retention counts
// from the call, not from the import.
func (e *env) importer(region string) *legacy.Importer {
	record := legacy.RecorderFunc(func(ctx context.Context, callID string, p parley.CallParties, class parley.RecordClass, at time.Time) (legacy.RecordingWriter, parley.RecordVerdict, error) {
		rec, verdict, err := e.vault.RecordAt(ctx, callID, p, class, at)
		if rec == nil { // never hand back a typed nil inside the interface
			return nil, verdict, err
		}
		return rec, verdict, err
	})
	return &legacy.Importer{Store: e.store, Gate: e.registry, Recorder: record, Auditor: e.audit,
		Logger: e.logger, DefaultRegion: region}
}
