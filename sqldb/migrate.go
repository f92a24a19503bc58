package sqldb

import (
	"context"
	"database/sql"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"parley.dev/parley"
)

// Migration is one versioned schema change.
type Migration struct {
	Version int64
	Name    string
	SQL     string
}

// LoadMigrations reads the *.sql files of fsys's root directory, each named
// "<version>_<name>.sql" (e.g. "0001_init.sql"), ordered by version.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	const op = "sqldb.LoadMigrations"
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, parley.WrapError(op, parley.KindInternal, err)
	}
	var ms []Migration
	seen := map[int64]bool{}
	for _, name := range names {
		num, _, _ := strings.Cut(path.Base(name), "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil || v <= 0 {
			return nil, parley.Errorf(op, parley.KindInternal, "migration %s: name must start with a positive version", name)
		}
		if seen[v] {
			return nil, parley.Errorf(op, parley.KindInternal, "migration version %d appears twice", v)
		}
		seen[v] = true
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, parley.WrapError(op, parley.KindInternal, err)
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(body)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return int(a.Version - b.Version) })
	return ms, nil
}

// Migrate applies the migrations of fsys (see LoadMigrations) that the database has not
// applied yet, in order, each in its own transaction, recording each in the
// schema_migrations table. Running it again on a migrated database changes nothing.
func Migrate(ctx context.Context, db *sql.DB, d Dialect, fsys fs.FS, logger *slog.Logger) error {
	const op = "sqldb.Migrate"
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ms, err := LoadMigrations(fsys)
	if err != nil {
		return err
	}
	s := New(db, d, nil, logger)
	_, err = db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version BIGINT PRIMARY KEY,
	name TEXT NOT NULL,
	applied_at BIGINT NOT NULL)`)
	if err != nil {
		return s.dbErr(op, err)
	}
	for _, m := range ms {
		applied := false
		err := s.inTx(ctx, op, func(tx *sql.Tx) error {
			if d.MigrationLock != "" {
				if _, err := tx.ExecContext(ctx, d.MigrationLock); err != nil {
					return s.dbErr(op, err)
				}
			}
			var one int
			err := tx.QueryRowContext(ctx, s.q(`SELECT 1 FROM schema_migrations WHERE version = ?`), m.Version).Scan(&one)
			if err == nil {
				return nil
			}
			if err != sql.ErrNoRows {
				return s.dbErr(op, err)
			}
			for _, stmt := range splitStatements(m.SQL) {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return &parley.Error{Op: op, Kind: parley.KindInternal, Message: "migration " + m.Name, Err: err}
				}
			}
			_, err = tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
				m.Version, m.Name, time.Now().UnixMicro())
			if err != nil {
				return s.dbErr(op, err)
			}
			applied = true
			return nil
		})
		if err != nil {
			return err
		}
		if applied {
			logger.InfoContext(ctx, "applied database migration", "dialect", d.Name, "version", m.Version, "name", m.Name)
		}
	}
	return nil
}

// splitStatements splits a migration at semicolons that end a line. Migrations therefore
// keep one statement per semicolon-terminated line group and no semicolons inside literals
// at line ends. "--" comment lines are dropped.
func splitStatements(src string) []string {
	var out []string
	var cur strings.Builder
	for line := range strings.Lines(src) {
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "--") {
			continue
		}
		cur.WriteString(line)
		if strings.HasSuffix(trim, ";") {
			if s := strings.TrimSpace(cur.String()); s != ";" {
				out = append(out, s)
			}
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
