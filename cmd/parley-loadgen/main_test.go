package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"parley.dev/parley/internal/testingutil"
)

// TestRunSmall keeps the generator working: a small run, one record per transaction and in
// batches (with a last, short batch), prints every figure and finds what it stored.
func TestRunSmall(t *testing.T) {
	for _, batch := range []string{"1", "64"} {
		var out bytes.Buffer
		args := []string{"-calls", "300", "-numbers", "5", "-lookups", "20", "-sweeps", "5", "-batch", batch, "-dir", t.TempDir()}
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

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-calls", "0"}, {"-batch", "0"}, {"-workers", "-1"}, {"-reuse"}} {
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
