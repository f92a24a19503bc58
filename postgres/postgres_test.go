package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"io/fs"
	"log/slog"
	"os/exec"
	"testing"

	"parley.dev/parley"
	"parley.dev/parley/fieldcrypt"
	"parley.dev/parley/internal/storetest"
	"parley.dev/parley/internal/testingutil"
	"parley.dev/parley/postgres"
	"parley.dev/parley/sqldb"
)

func baseDSN() string { return testingutil.PostgresDSN() }

func newSchema(tb testing.TB) string { return testingutil.PostgresSchema(tb) }

func newCipher(tb testing.TB) *fieldcrypt.Cipher {
	tb.Helper()
	k1, k2 := make([]byte, 32), make([]byte, 32)
	rand.Read(k1)
	rand.Read(k2)
	fc, err := fieldcrypt.New(k1, k2)
	if err != nil {
		tb.Fatal(err)
	}
	return fc
}

func openSchema(tb testing.TB, schema string) *sqldb.DB {
	tb.Helper()
	s, err := postgres.Open(context.Background(), testingutil.WithSearchPath(baseDSN(), schema), newCipher(tb), slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() }) // runs before the schema is dropped
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) parley.Store { return openSchema(t, newSchema(t)) })
}

func TestBreach(t *testing.T) {
	var schema string
	var store *sqldb.DB
	storetest.RunBreach(t, func(t *testing.T) parley.Store {
		schema = newSchema(t)
		store = openSchema(t, schema)
		return store
	}, func(t *testing.T) []byte {
		if path, err := exec.LookPath("pg_dump"); err == nil {
			out, err := exec.Command(path, "--dbname="+baseDSN(), "--schema="+schema, "--no-owner").Output()
			if err == nil {
				return out
			}
			t.Logf("pg_dump failed (%v); dumping with SELECT", err)
		}
		return selectDump(t, store.SQL(), schema)
	})
}

// selectDump renders every row of every table of the schema as text.
func selectDump(t *testing.T, db *sql.DB, schema string) []byte {
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	var out []byte
	for _, table := range tables {
		rows, err := db.Query(`SELECT t::text FROM ` + schema + `.` + table + ` t`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			out = append(out, line...)
			out = append(out, '\n')
		}
		rows.Close()
	}
	return out
}

func TestOpenIsIdempotent(t *testing.T) {
	schema := newSchema(t)
	ctx := context.Background()
	s := openSchema(t, schema)
	if err := s.CreateFacility(ctx, &parley.Facility{ID: "f1", Name: "F", Type: parley.FacilityJail}); err != nil {
		t.Fatal(err)
	}
	again := openSchema(t, schema)
	if _, err := again.FindFacility(ctx, "f1"); err != nil {
		t.Fatalf("data lost on reopen: %v", err)
	}
	var n int
	if err := again.SQL().QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != migrationCount(t) {
		t.Fatalf("schema_migrations: %d rows, %v, want one per migration", n, err)
	}
}

func benchStore(b *testing.B) *sqldb.DB { return openSchema(b, newSchema(b)) }

func plain(b *testing.B) storetest.Plain {
	return storetest.Plain{DB: benchStore(b).SQL(), Dollar: true, Blob: "BYTEA", Int: "BIGINT"}
}

// benchSeed is the number of calls the lookup benchmarks search.
const benchSeed = 2000

func BenchmarkInsertCallEncrypted(b *testing.B) { storetest.BenchInsertEncrypted(b, benchStore(b)) }
func BenchmarkInsertCallPlain(b *testing.B)     { storetest.BenchInsertPlain(b, plain(b)) }
func BenchmarkInsertCallSideBySide(b *testing.B) {
	storetest.BenchInsertSideBySide(b, benchStore(b), plain(b))
}
func BenchmarkFindByNumberEncrypted(b *testing.B) {
	storetest.BenchFindEncrypted(b, benchStore(b), benchSeed)
}
func BenchmarkFindByNumberPlain(b *testing.B) { storetest.BenchFindPlain(b, plain(b), benchSeed) }
func BenchmarkFindByNumberSideBySide(b *testing.B) {
	storetest.BenchFindSideBySide(b, benchStore(b), plain(b), benchSeed)
}

// migrationCount is how many migrations are embedded: each leaves one schema_migrations row.
func migrationCount(t *testing.T) int {
	t.Helper()
	files, err := fs.Glob(postgres.Migrations(), "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded migrations: %v (%d)", err, len(files))
	}
	return len(files)
}
