// Package postgres opens a parley store in a PostgreSQL database (pgx through
// database/sql) and applies its embedded migrations. The store itself is sqldb's.
//
// Byte columns are BYTEA, integers BIGINT, flags BOOLEAN and times BIGINT microseconds
// since the Unix epoch (UTC), as in the SQLite schema. Audit appends, ledger appends and
// migrations are serialised with transaction-scoped advisory locks.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"strconv"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

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

// Advisory lock keys (arbitrary constants, "parley" in ASCII plus a suffix).
const (
	auditLockKey     = 0x7061726c6579_01
	migrationLockKey = 0x7061726c6579_02
	ledgerLockKey    = 0x7061726c6579_03
)

// Dialect is the sqldb dialect of PostgreSQL.
var Dialect = sqldb.Dialect{
	Name:               "postgres",
	DollarPlaceholders: true,
	ForUpdate:          " FOR UPDATE",
	AuditLock:          "SELECT pg_advisory_xact_lock(" + strconv.FormatInt(auditLockKey, 10) + ")",
	MigrationLock:      "SELECT pg_advisory_xact_lock(" + strconv.FormatInt(migrationLockKey, 10) + ")",
	LedgerLock:         "SELECT pg_advisory_xact_lock(" + strconv.FormatInt(ledgerLockKey, 10) + ")",
	IsUniqueViolation:  isUniqueViolation,
}

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// Open connects to the PostgreSQL database named by dsn (a pgx connection string or URL;
// a search_path parameter selects the schema), applies the migrations and returns the
// store. fc encrypts personal data; logger may be nil.
func Open(ctx context.Context, dsn string, fc parley.FieldCipher, logger *slog.Logger) (*sqldb.DB, error) {
	const op = "postgres.Open"
	if fc == nil {
		return nil, parley.Errorf(op, parley.KindInvalid, "a field cipher is required")
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		// The DSN may hold a password: never echo it.
		return nil, parley.Errorf(op, parley.KindInvalid, "bad database connection string")
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot reach the database", Err: err}
	}
	if err := sqldb.Migrate(ctx, db, Dialect, Migrations(), logger); err != nil {
		db.Close()
		return nil, err
	}
	return sqldb.New(db, Dialect, fc, logger), nil
}
