package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley.dev/parley/internal/testingutil"
)

// TestServeSecondRefused: a second serve on the data directory of a running one refuses to
// start with a clear reason, while other commands work; once the first stops, serve starts.
func TestServeSecondRefused(t *testing.T) { serveSecondRefused(t, false) }

// TestServeSecondRefusedPostgres: the same on PostgreSQL, and a serve with another data
// directory on the same database (schema) is refused too.
func TestServeSecondRefusedPostgres(t *testing.T) { serveSecondRefused(t, true) }

func serveSecondRefused(t *testing.T, postgres bool) {
	c := newCLI(t)
	if postgres {
		c.env["PARLEY_DB"] = testingutil.WithSearchPath(testingutil.PostgresDSN(), testingutil.PostgresSchema(t))
	}
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	first := startWeb(t, c)
	c.fail(1, "another parley serve is running on this data directory", "serve", "--http", "127.0.0.1:0")
	// Commands other than serve work while it runs.
	if out := c.ok("facility", "list"); !strings.Contains(out, "cnty") {
		t.Fatalf("facility list while serve runs: %q", out)
	}
	if postgres {
		other := *c
		other.data = filepath.Join(t.TempDir(), "other-data")
		other.fail(1, "another parley serve is running on this database", "serve", "--http", "127.0.0.1:0")
	}
	first.cancel()
	select {
	case code := <-first.done:
		first.done <- code // for the cleanup's check
	case <-time.After(webGuard):
		t.Fatal("serve did not stop")
	}
	startWeb(t, c) // the locks went with the first
	if postgres {
		// A serve on another schema of the same server is another installation (its own keys:
		// a key directory belongs to one database).
		o := newCLI(t)
		o.env["PARLEY_DB"] = testingutil.WithSearchPath(testingutil.PostgresDSN(), testingutil.PostgresSchema(t))
		startWeb(t, o)
	}
}
