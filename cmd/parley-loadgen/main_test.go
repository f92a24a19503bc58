package main

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"parley.dev/parley/internal/testingutil"
)

// TestRunSmall keeps the generator working: a small run, one record per transaction and in
// batches (with a last, short batch), prints every figure and finds what it stored.
func TestRunSmall(t *testing.T) {
	indexes := map[string]string{}
	for _, mode := range [][]string{{"-batch", "1"}, {"-batch", "64"}, {"-batch", "64", "-index-after"}} {
		var out bytes.Buffer
		batch := strings.Join(mode, " ")
		dir := t.TempDir()
		args := append([]string{"-calls", "300", "-numbers", "5", "-lookups", "20", "-sweeps", "5", "-dir", dir}, mode...)
		if err := Run(context.Background(), args, &out); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"insert: 300 records", "lookup by number:", "privilege sweep"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("-batch %s: output lacks %q:\n%s", batch, want, out.String())
			}
		}
		// 300 records over 5 numbers: every lookup finds about 60, every sweep marks some.
		if strings.Contains(out.String(), "(0.0 records per number)") || strings.Contains(out.String(), "(0 calls marked)") {
			t.Errorf("-batch %s: the records were not found:\n%s", batch, out.String())
		}
		indexes[batch] = callIndexes(t, filepath.Join(dir, "parley.db"))
	}
	// A bulk load ends with the same indexes as a load through CreateCall.
	if indexes["-batch 64 -index-after"] != indexes["-batch 1"] || !strings.Contains(indexes["-batch 1"], "calls_number") {
		t.Fatalf("calls indexes differ:\n%v", indexes)
	}
}

// TestRunReuse measures what an earlier run left in -dir without generating anything.
func TestRunReuse(t *testing.T) {
	dir := t.TempDir()
	if err := Run(context.Background(), []string{"-calls", "200", "-numbers", "4", "-lookups", "5", "-sweeps", "0", "-dir", dir}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Run(context.Background(), []string{"-reuse", "-lookups", "20", "-sweeps", "2", "-dir", dir}, &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if !strings.Contains(got, "measuring 200 call records to 4 numbers") || strings.Contains(got, "insert:") ||
		strings.Contains(got, "(0.0 records per number)") {
		t.Fatalf("reuse run:\n%s", got)
	}
	if err := Run(context.Background(), []string{"-reuse", "-dir", t.TempDir()}, &bytes.Buffer{}); err == nil {
		t.Fatal("-reuse of a directory without a run accepted")
	}
}

// callIndexes lists the definitions of the calls table's indexes in the database at path.
func callIndexes(t *testing.T, path string) string {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var defs string
	err = db.QueryRow(`SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_master
		WHERE type = 'index' AND tbl_name = 'calls' AND sql IS NOT NULL ORDER BY name)`).Scan(&defs)
	if err != nil {
		t.Fatal(err)
	}
	return defs
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-calls", "0"}, {"-batch", "0"}, {"-workers", "-1"}, {"-reuse"}, {"-index-after", "-batch", "1"}} {
		if err := Run(context.Background(), args, &bytes.Buffer{}); err == nil {
			t.Fatalf("%v accepted", args)
		}
	}
}

// TestRunPostgresLeavesNothing: a run on PostgreSQL works in a schema of its own and drops it.
func TestRunPostgresLeavesNothing(t *testing.T) {
	admin := testingutil.PostgresAdmin(t)
	count := func() int {
		var n int
		if err := admin.QueryRow(`SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'parley_loadgen_%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	var out bytes.Buffer
	if err := Run(context.Background(), []string{"-calls", "200", "-lookups", "10", "-sweeps", "2", "-db", testingutil.PostgresDSN()}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "insert: 200 records") {
		t.Fatalf("output:\n%s", out.String())
	}
	if after := count(); after != before {
		t.Fatalf("loadgen schemas: %d before, %d after", before, after)
	}
}
