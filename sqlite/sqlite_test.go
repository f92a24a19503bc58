package sqlite_test

import (
	"context"
	"crypto/rand"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/fieldcrypt"
	"parley.dev/parley/internal/storetest"
	"parley.dev/parley/sqldb"
	"parley.dev/parley/sqlite"
)

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

func openAt(tb testing.TB, path string) *sqldb.DB {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), path, newCipher(tb), slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) parley.Store {
		return openAt(t, filepath.Join(t.TempDir(), "parley.db"))
	})
}

func TestBreach(t *testing.T) {
	var path string
	storetest.RunBreach(t, func(t *testing.T) parley.Store {
		path = filepath.Join(t.TempDir(), "parley.db")
		return openAt(t, path)
	}, func(t *testing.T) []byte {
		var all []byte
		for _, suffix := range []string{"", "-wal", "-shm"} {
			b, err := os.ReadFile(path + suffix)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		return all
	})
}

func TestOpenIsIdempotentAndPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	fc := newCipher(t)
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path, fc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateFacility(ctx, &parley.Facility{ID: "f1", Name: "F", Type: parley.FacilityJail}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = sqlite.Open(ctx, path, fc, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if _, err := s.FindFacility(ctx, "f1"); err != nil {
		t.Fatalf("data lost on reopen: %v", err)
	}
	var n int
	if err := s.SQL().QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != migrationCount(t) {
		t.Fatalf("schema_migrations: %d rows, %v, want one per migration", n, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("database mode %v, want 0600", fi.Mode().Perm())
	}
	var mode string
	if err := s.SQL().QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal mode %q, %v", mode, err)
	}
	if _, err := sqlite.Open(ctx, ":memory:", fc, nil); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("in-memory database: %v", err)
	}
}

func TestWrongKeyFailsIntegrity(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	ctx := context.Background()
	s := openAt(t, path)
	if err := s.CreateFacility(ctx, &parley.Facility{ID: "f1", Name: "F", Type: parley.FacilityJail}); err != nil {
		t.Fatal(err)
	}
	c := &parley.CallRecord{FacilityID: "f1", Number: "+15551234567", StartedAt: testTime, Status: parley.CallCompleted}
	if err := s.CreateCall(ctx, c); err != nil {
		t.Fatal(err)
	}
	s.Close()
	other := openAt(t, path) // another field key
	if _, err := other.FindCall(ctx, c.ID); !parley.IsKind(err, parley.KindIntegrity) {
		t.Fatalf("reading with another key: %v, want integrity", err)
	}
}

func benchStore(b *testing.B) *sqldb.DB { return openAt(b, filepath.Join(b.TempDir(), "bench.db")) }

func plain(b *testing.B) storetest.Plain {
	return storetest.Plain{DB: benchStore(b).SQL(), Blob: "BLOB", Int: "INTEGER"}
}

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

// benchSeed is the number of calls the lookup benchmarks search.
const benchSeed = 2000

var testTime = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// migrationCount is how many migrations are embedded: each leaves one schema_migrations row.
func migrationCount(t *testing.T) int {
	t.Helper()
	files, err := fs.Glob(sqlite.Migrations(), "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded migrations: %v (%d)", err, len(files))
	}
	return len(files)
}

// TestPhoneDigestMigration: a phone stored before migration 0016 (both hashes, no digest
// column) is offered both algorithms after it, as before; a digest column edited
// against the sealed hashes fails integrity.
func TestPhoneDigestMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	fc := newCipher(t)
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path, fc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateFacility(ctx, &parley.Facility{ID: "f1", Name: "F", Type: parley.FacilityJail}); err != nil {
		t.Fatal(err)
	}
	p := &parley.SIPPhone{Username: "pod-1", FacilityID: "f1", Realm: "parley", Digest: "sha256,md5",
		HA1: strings.Repeat("ab", 16), HA1SHA256: strings.Repeat("cd", 32)}
	if err := s.AddPhone(ctx, p); err != nil {
		t.Fatal(err)
	}
	// Back to the schema before 0016.
	for _, q := range []string{`ALTER TABLE phones DROP COLUMN digest`, `DELETE FROM schema_migrations WHERE version = 16`} {
		if _, err := s.SQL().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s, err = sqlite.Open(ctx, path, fc, nil)
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	defer s.Close()
	got, err := s.FindPhone(ctx, "pod-1")
	if err != nil || got.Digest != "sha256,md5" || got.HA1 != p.HA1 || got.HA1SHA256 != p.HA1SHA256 {
		t.Fatalf("after the migration: %+v %v", got, err)
	}
	if _, err := s.SQL().Exec(`UPDATE phones SET digest = 'md5' WHERE username = 'pod-1'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindPhone(ctx, "pod-1"); !parley.IsKind(err, parley.KindIntegrity) {
		t.Fatalf("a digest edited against the hashes: %v, want integrity", err)
	}
}
