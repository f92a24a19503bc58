// Package sqlite opens a parley store in an SQLite database file (modernc.org/sqlite, no
// cgo) and applies its embedded migrations. The store itself is sqldb's.
//
// The database runs in WAL mode with a busy timeout, foreign keys on, secure_delete on (so
// overwritten values, such as destroyed data keys, do not linger in free pages) and
// immediate write transactions, and the file is created with mode 0600.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"parley.dev/parley"
	"parley.dev/parley/sqldb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the embedded schema migrations.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err)
	}
	return sub
}

// Dialect is the sqldb dialect of SQLite.
var Dialect = sqldb.Dialect{
	Name:              "sqlite",
	IsUniqueViolation: isUniqueViolation,
}

func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		code := se.Code()
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// BusyTimeoutMillis is how long a connection waits for another writer before giving up.
const BusyTimeoutMillis = 30000

// Open opens (creating if needed, mode 0600) the SQLite database at path, applies the
// migrations and returns the store. fc encrypts personal data; logger may be nil.
func Open(ctx context.Context, path string, fc parley.FieldCipher, logger *slog.Logger) (*sqldb.DB, error) {
	const op = "sqlite.Open"
	if path == "" || strings.ContainsAny(path, "?#") || path == ":memory:" {
		return nil, parley.Errorf(op, parley.KindInvalid, "the database must be a file path without '?' or '#'")
	}
	if fc == nil {
		return nil, parley.Errorf(op, parley.KindInvalid, "a field cipher is required")
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	f.Close()
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	db, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	if err := sqldb.Migrate(ctx, db, Dialect, Migrations(), logger); err != nil {
		db.Close()
		return nil, err
	}
	return sqldb.New(db, Dialect, fc, logger), nil
}

// DSN returns the modernc.org/sqlite data source name Open uses for path.
func DSN(path string) string {
	return path + "?_txlock=immediate" +
		"&_pragma=busy_timeout(" + strconv.Itoa(BusyTimeoutMillis) + ")" +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)" +
		"&_pragma=secure_delete(1)" + "&_pragma=cache_size(-65536)"
}
