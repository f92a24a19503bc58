package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRefusedRunCreatesNothing: a key directory inside the data directory, or a --db that
// is neither SQLite nor PostgreSQL, is refused before any directory is created.
func TestRefusedRunCreatesNothing(t *testing.T) {
	for name, tc := range map[string]struct {
		keysInside bool
		db         string
		code       int
		want       string
	}{
		"keys inside data": {keysInside: true, code: 1, want: "inside"},
		"bad --db":         {db: "mysql://x", code: 2, want: "--db"},
	} {
		t.Run(name, func(t *testing.T) {
			c := newCLI(t)
			root := filepath.Dir(c.data)
			if tc.keysInside {
				c.keys = filepath.Join(c.data, "keys")
			}
			if tc.db != "" {
				c.env["PARLEY_DB"] = tc.db
			}
			c.fail(tc.code, tc.want, "facility", "list")
			if _, err := os.Stat(c.data); !os.IsNotExist(err) {
				t.Fatalf("a refused run left the data directory behind (stat: %v)", err)
			}
			entries, err := os.ReadDir(root)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 0 {
				t.Fatalf("a refused run created %d entries beside the data directory (first %q)", len(entries), entries[0].Name())
			}
		})
	}
}
