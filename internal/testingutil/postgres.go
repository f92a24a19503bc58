// Package testingutil holds helpers shared by tests: a PostgreSQL schema per test, so the
// store suites and the command's end-to-end tests run against the real server in isolation.
package testingutil

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// PostgresDSN is the test server: PARLEY_TEST_POSTGRES, or the local trust-auth server.
func PostgresDSN() string {
	if dsn := os.Getenv("PARLEY_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// WithSearchPath adds a search_path run-time parameter to a URL or keyword/value DSN.
func WithSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		return dsn + sep + "search_path=" + schema
	}
	return dsn + " search_path=" + schema
}

// PostgresAdmin connects to the test server. If it is down the test is skipped, or fails
// when CI=true, so CI never silently skips the PostgreSQL suites.
func PostgresAdmin(tb testing.TB) *sql.DB {
	tb.Helper()
	db, err := sql.Open("pgx", PostgresDSN())
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("PostgreSQL test server unreachable (set PARLEY_TEST_POSTGRES): %v", err)
		}
		tb.Skipf("PostgreSQL test server unreachable; set PARLEY_TEST_POSTGRES to run these tests: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// PostgresSchema creates a uniquely named schema, dropped when the test ends (register any
// store's Close with tb.Cleanup after calling this, so it runs first).
func PostgresSchema(tb testing.TB) string {
	tb.Helper()
	db := PostgresAdmin(tb)
	b := make([]byte, 6)
	rand.Read(b)
	schema := "parley_test_" + hex.EncodeToString(b)
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if _, err := db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			tb.Errorf("drop schema: %v", err)
		}
	})
	return schema
}
