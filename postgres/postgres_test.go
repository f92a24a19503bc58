package postgres_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"log/slog"
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
	storetest.RunBreach(t, func(t *testing.T) parley.Store {
		schema = newSchema(t)
		return openSchema(t, schema)
	}, func(t *testing.T) []byte { return testingutil.PostgresDump(t, schema) })
}

// TestDumpFallback: the SELECT dump the breach tests fall back on when pg_dump cannot run
// holds the same data as pg_dump, bytea hex-encoded, so the fallback scan is as strict.
func TestDumpFallback(t *testing.T) {
	schema := newSchema(t)
	s := openSchema(t, schema)
	ctx := context.Background()
	if err := s.CreateFacility(ctx, &parley.Facility{ID: "dump-f", Name: "Dumpling County Jail", Type: parley.FacilityJail}); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendAudit(ctx, 0, []byte("dump-audit-record"), []byte("proof"), 0, [][32]byte{{1}}); err != nil {
		t.Fatal(err)
	}
	for name, dump := range map[string][]byte{
		"pg_dump or fallback": testingutil.PostgresDump(t, schema),
		"SELECT":              testingutil.PostgresSelectDump(t, schema),
	} {
		if !bytes.Contains(dump, []byte("Dumpling County Jail")) {
			t.Errorf("%s dump (%d bytes) lacks a text column", name, len(dump))
		}
		if !bytes.Contains(dump, []byte(`\\x`+hex.EncodeToString([]byte("dump-audit-record")))) {
			t.Errorf("%s dump lacks a bytea column, hex-encoded", name)
		}
	}
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
