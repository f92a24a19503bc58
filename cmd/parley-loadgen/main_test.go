package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"parley.dev/parley/internal/testingutil"
)

// TestRunSmall keeps the generator working: a small run prints every figure.
func TestRunSmall(t *testing.T) {
	var out bytes.Buffer
	if err := Run(context.Background(), []string{"-calls", "300", "-lookups", "20", "-sweeps", "5", "-dir", t.TempDir()}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"insert: 300 records", "lookup by number:", "privilege sweep"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	if err := Run(context.Background(), []string{"-calls", "0"}, &bytes.Buffer{}); err == nil {
		t.Fatal("-calls 0 accepted")
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
