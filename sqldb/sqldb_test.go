package sqldb

import (
	"database/sql"
	"reflect"
	"testing"
	"testing/fstest"
	"time"
)

func TestRebind(t *testing.T) {
	got := Rebind(`SELECT a FROM t WHERE b = ? AND c = '?' AND d IN (?, ?)`)
	want := `SELECT a FROM t WHERE b = $1 AND c = '?' AND d IN ($2, $3)`
	if got != want {
		t.Fatalf("got %s", got)
	}
}

func TestSplitStatements(t *testing.T) {
	got := splitStatements("-- comment\nCREATE TABLE a (\n\tx INT\n);\n\nCREATE INDEX i ON a (x);\nSELECT 1")
	want := []string{"CREATE TABLE a (\n\tx INT\n);", "CREATE INDEX i ON a (x);", "SELECT 1"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q", got)
	}
}

func TestLoadMigrations(t *testing.T) {
	ms, err := LoadMigrations(fstest.MapFS{
		"0002_more.sql": {Data: []byte("B;")},
		"0001_init.sql": {Data: []byte("A;")},
		"README.md":     {Data: []byte("ignored")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Version != 1 || ms[1].Version != 2 || ms[1].SQL != "B;" {
		t.Fatalf("got %+v", ms)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"no version": {"init.sql": {Data: []byte("A;")}},
		"duplicate":  {"1_a.sql": {Data: []byte("A;")}, "01_b.sql": {Data: []byte("B;")}},
	} {
		if _, err := LoadMigrations(fsys); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestTimes(t *testing.T) {
	if v := micros(time.Time{}); v != nil {
		t.Fatalf("zero time stored as %v", v)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 6789, time.FixedZone("x", 3600))
	v := micros(at).(int64)
	back := fromMicros(sqlNull(v))
	if !back.Equal(Truncate(at)) || back.Location() != time.UTC {
		t.Fatalf("round trip %v -> %v", at, back)
	}
}

func sqlNull(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: true} }
