package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"parley.dev/parley/internal/testingutil"
)

// TestKeyBinding: the key directory is bound to the database on SQLite.
func TestKeyBinding(t *testing.T) {
	keyBindingWalk(t, func(t *testing.T) *cli { return newCLI(t) })
}

// TestKeyBindingPostgres: the same with the database on PostgreSQL.
func TestKeyBindingPostgres(t *testing.T) {
	keyBindingWalk(t, func(t *testing.T) *cli {
		c := newCLI(t)
		c.env["PARLEY_DB"] = testingutil.WithSearchPath(testingutil.PostgresDSN(), testingutil.PostgresSchema(t))
		return c
	})
}

// keyBindingWalk: a fresh start creates the keys and binds them to the database by an id
// kept in both; the right key directory opens; a missing, empty or other installation's
// key directory on a database that holds data is refused with a message naming the
// problem, creating and changing nothing; an installation from before bindings (neither
// side has the id) is bound on its first open when its keys open its inmates, and refused
// when they do not; a key directory bound elsewhere is not taken for a fresh database.
func keyBindingWalk(t *testing.T, newC func(t *testing.T) *cli) {
	c := newC(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", "73915486")
	id := bindingFileID(t, c.keys)
	if got := dbBindingID(t, c); got != id || len(id) != 32 {
		t.Fatalf("database bound to %q, key directory to %q", got, id)
	}
	c.ok("facility", "list") // the right key directory

	right := c.keys
	c.keys = filepath.Join(t.TempDir(), "no-such-keys")
	c.fail(1, "does not exist, but the database already holds data", "facility", "list")
	if _, err := os.Stat(c.keys); !os.IsNotExist(err) {
		t.Fatalf("a refused run created the key directory (stat: %v)", err)
	}
	if err := os.Mkdir(c.keys, 0o700); err != nil {
		t.Fatal(err)
	}
	c.fail(1, "holds no keys, but the database already holds data", "inmate", "add", "--facility", "cnty",
		"--id", "B2002", "--name", "Rowan Pike", "--pin", "48213579")
	if ents, _ := os.ReadDir(c.keys); len(ents) != 0 {
		t.Fatalf("a refused run wrote %d entries into the empty key directory", len(ents))
	}

	other := newC(t)
	other.ok("facility", "add", "--id", "city", "--name", "City Jail", "--type", "jail", "--adp", "90")
	other.ok("inmate", "add", "--facility", "city", "--id", "B2002", "--name", "Rowan Pike", "--pin", "48213579")
	c.keys = other.keys
	c.fail(1, "does not belong to this database", "facility", "list")
	c.fail(1, "does not belong to this database", "audit", "verify")
	if got := bindingFileID(t, other.keys); got == id {
		t.Fatal("two installations share a binding id")
	}

	// Installations from before bindings: neither side holds the id.
	unbind := func(c *cli, keys string) {
		t.Helper()
		dbExec(t, c, `DELETE FROM key_binding`)
		if err := os.Remove(filepath.Join(keys, "binding")); err != nil {
			t.Fatal(err)
		}
	}
	unbind(c, right)
	unbind(other, other.keys)
	c.fail(1, "does not belong to this database", "facility", "list") // other's keys do not open A1001
	if _, err := os.Stat(filepath.Join(other.keys, "binding")); !os.IsNotExist(err) {
		t.Fatal("a refused key directory was bound")
	}
	c.keys = right
	c.ok("facility", "list")
	if got, db := bindingFileID(t, right), dbBindingID(t, c); got == "" || got != db {
		t.Fatalf("after the first open of an old installation: key directory %q, database %q", got, db)
	}
	c.ok("inmate", "add", "--facility", "cnty", "--id", "B2002", "--name", "Rowan Pike", "--pin", "48213579")
	c.ok("audit", "verify")

	// A key directory bound to one database is not taken for a fresh one.
	fresh := newC(t)
	fresh.keys = right
	fresh.fail(1, "belongs to another database", "facility", "list")
	c.ok("facility", "list")
}

// bindingFileID returns the id in a key directory's binding file.
func bindingFileID(t *testing.T, keys string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(keys, "binding"))
	if err != nil {
		t.Fatal(err)
	}
	id, ok := strings.CutPrefix(strings.TrimSuffix(string(b), "\n"), "parley-keys-binding/v1\n")
	if !ok {
		t.Fatalf("binding file %q", b)
	}
	return id
}

// openTestDB opens c's database (SQLite in --data, or PARLEY_DB) with database/sql.
func openTestDB(t *testing.T, c *cli) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", filepath.Join(c.data, "parley.db")
	if pg := c.env["PARLEY_DB"]; pg != "" {
		driver, dsn = "pgx", pg
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func dbBindingID(t *testing.T, c *cli) string {
	t.Helper()
	var id string
	if err := openTestDB(t, c).QueryRow(`SELECT id FROM key_binding`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func dbExec(t *testing.T, c *cli, stmt string) {
	t.Helper()
	if _, err := openTestDB(t, c).Exec(stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}
