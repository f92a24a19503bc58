package testingutil

import (
	"database/sql"
	"os/exec"
	"testing"
)

// PostgresDump returns what a thief who dumps the database holds: pg_dump's output for the
// schema or, when pg_dump is missing or fails (a client older than the server, say), every
// row of every table of the schema rendered as text by PostgresSelectDump. Either way bytea
// columns appear hex-encoded (`\x…`), as pg_dump writes them.
func PostgresDump(tb testing.TB, schema string) []byte {
	tb.Helper()
	if path, err := exec.LookPath("pg_dump"); err == nil {
		out, err := exec.Command(path, "--dbname="+PostgresDSN(), "--schema="+schema, "--no-owner").Output()
		if err == nil {
			return out
		}
		tb.Logf("pg_dump failed (%v); dumping with SELECT", err)
	}
	return PostgresSelectDump(tb, schema)
}

// PostgresSelectDump renders every row of every table of the schema as text, one row per
// line (the fallback of PostgresDump, exported so its tests can run it even where pg_dump
// works).
func PostgresSelectDump(tb testing.TB, schema string) []byte {
	tb.Helper()
	db := PostgresAdmin(tb)
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, schema)
	if err != nil {
		tb.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			tb.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Close(); err != nil {
		tb.Fatal(err)
	}
	if len(tables) == 0 {
		tb.Fatalf("schema %s has no tables to dump", schema)
	}
	var out []byte
	for _, table := range tables {
		out = append(out, dumpTable(tb, db, quoteIdent(schema)+"."+quoteIdent(table))...)
	}
	return out
}

// dumpTable renders each row of one table as its text form.
func dumpTable(tb testing.TB, db *sql.DB, table string) []byte {
	tb.Helper()
	rows, err := db.Query(`SELECT t::text FROM ` + table + ` t`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []byte
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			tb.Fatal(err)
		}
		out = append(out, line...)
		out = append(out, '\n')
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string {
	q := []byte{'"'}
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			q = append(q, '"')
		}
		q = append(q, s[i])
	}
	return string(append(q, '"'))
}
