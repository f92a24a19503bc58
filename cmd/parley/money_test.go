package main

import (
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"parley.dev/parley/admin"
	"parley.dev/parley/internal/testingutil"
)

// TestMoney walks rates and family accounts on SQLite, with every mistake refused on one
// line and nothing written; then tampers with a balance and expects ledger verify to fail.
func TestMoney(t *testing.T) {
	c := newCLI(t)
	money(t, c)
	db, err := sql.Open("sqlite", filepath.Join(c.data, "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE ledger_accounts SET balance = balance + 1 WHERE kind = 'prepaid'`); err != nil {
		t.Fatal(err)
	}
	c.fail(1, "stored balance", "ledger", "verify")
}

// TestMoneyPostgres runs the same walk with the database on PostgreSQL.
func TestMoneyPostgres(t *testing.T) {
	c := newCLI(t)
	c.env["PARLEY_DB"] = testingutil.WithSearchPath(testingutil.PostgresDSN(), testingutil.PostgresSchema(t))
	money(t, c)
}

// balanceOf returns the account's balance in cents from `account show --json`.
func balanceOf(t *testing.T, c *cli, args ...string) int64 {
	t.Helper()
	var v struct {
		BalanceCents   int64 `json:"balance_cents"`
		HeldCents      int64 `json:"held_cents"`
		AvailableCents int64 `json:"available_cents"`
	}
	out := c.ok(append([]string{"account", "show", "--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("account show output %q: %v", out, err)
	}
	if v.BalanceCents != v.AvailableCents+v.HeldCents {
		t.Fatalf("balance %d != available %d + held %d", v.BalanceCents, v.AvailableCents, v.HeldCents)
	}
	return v.BalanceCents
}

func money(t *testing.T, c *cli) {
	c.ok("facility", "add", "--id", "pen", "--name", "State Prison", "--type", "prison", "--adp", "3000")
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250", "--timezone", "America/Chicago")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", "4821")

	// Rates: at the cap is fine; above it, or before any order, is refused with the cap named.
	if out := c.ok("rates", "set", "--facility", "pen", "--audio", "0.06", "--from", "2025-01-01"); !strings.Contains(out, "cap $0.06, FCC 24-75") {
		t.Errorf("rates set said %q", out)
	}
	c.fail(1, "above the cap of $0.06/min for audio at prisons in force on 2025-01-01 (FCC 24-75", "rates", "set", "--facility", "pen", "--audio", "0.0601", "--from", "2025-01-01")
	c.fail(1, "above the cap of $0.16/min", "rates", "set", "--facility", "pen", "--audio", "0.05", "--video", "0.50", "--from", "2026-01-01")
	c.fail(1, "no federal cap for audio calls at prisons is in force on 2014-01-01", "rates", "set", "--facility", "pen", "--audio", "0.05", "--from", "2014-01-01")
	c.fail(1, "more than 4 decimals", "rates", "set", "--facility", "pen", "--audio", "0.21499")
	c.fail(1, "not a dollar amount", "rates", "set", "--facility", "pen", "--audio", "-0.05")
	c.fail(1, "not found", "rates", "set", "--facility", "nowhere", "--audio", "0.05")
	c.fail(2, "--audio", "rates", "set", "--facility", "pen")
	c.fail(2, "date", "rates", "set", "--facility", "pen", "--audio", "0.05", "--from", "01/02/2026")
	c.ok("rates", "set", "--facility", "cnty", "--audio", "0.2099", "--from", "2025-01-01")
	c.fail(1, "above the cap of $0.09/min for audio at jails with ADP 100–349", "rates", "set", "--facility", "cnty", "--audio", "0.2099", "--from", "2025-04-01")

	var shown admin.RatesView
	if err := json.Unmarshal([]byte(c.ok("rates", "show", "--facility", "cnty", "--on", "2025-05-01", "--json")), &shown); err != nil {
		t.Fatal(err)
	}
	audio, video := shown.Services[0], shown.Services[1]
	if audio.Rate != "$0.2099" || audio.Cap != "$0.09" || audio.Charged != "$0.09" || !audio.Capped || !strings.Contains(audio.CapSource, "FCC 24-75") {
		t.Errorf("jail audio on 2025-05-01 = %+v", audio)
	}
	if video.Rate != "" || video.Charged != "" || video.Cap != "$0.14" {
		t.Errorf("jail video on 2025-05-01 = %+v", video)
	}
	plain := c.ok("rates", "show", "--facility", "pen") // today, 2026-11-23: FCC 25-75
	for _, want := range []string{"$0.06/min from 2025-01-01", "$0.13/min ($0.11 + $0.02 additive) for audio at prisons", "FCC 25-75", "charged  $0.06/min", "none set"} {
		if !strings.Contains(plain, want) {
			t.Errorf("rates show lacks %q:\n%s", want, plain)
		}
	}

	// Deposits: created on the first, a retry applied once, a reused key refused.
	number := []string{"--number", "(415) 555-2671"}
	out := c.ok(append([]string{"account", "deposit", "--amount", "20.00", "--key", "rcpt-1"}, number...)...)
	if !strings.Contains(out, "deposited $20.00") || strings.Contains(out, "555-2671") || strings.Contains(out, "5552671") {
		t.Errorf("deposit said %q", out)
	}
	if out := c.ok(append([]string{"account", "deposit", "--amount", "20.00", "--key", "rcpt-1"}, number...)...); !strings.Contains(out, "already applied") {
		t.Errorf("retried deposit said %q", out)
	}
	inmate := []string{"--inmate", "A1001", "--facility", "cnty"}
	c.ok(append([]string{"account", "deposit", "--amount", "5.5", "--key", "rcpt-2"}, inmate...)...)
	check := func() {
		t.Helper()
		if got := balanceOf(t, c, number...); got != 2000 {
			t.Errorf("number balance = %d¢, want 2000", got)
		}
		if got := balanceOf(t, c, inmate...); got != 550 {
			t.Errorf("inmate balance = %d¢, want 550", got)
		}
		c.ok("ledger", "verify")
	}
	check()

	// Bad input: one line each, nothing written.
	dep := func(amount, key string, who ...string) []string {
		return append([]string{"account", "deposit", "--amount", amount, "--key", key}, who...)
	}
	c.fail(1, "already used", dep("25.00", "rcpt-1", number...)...)
	c.fail(1, "already used", dep("5.50", "rcpt-1", inmate...)...)
	c.fail(1, "not an amount", dep("-5", "k-neg", number...)...)
	c.fail(1, "more than 2 decimals", dep("1.234", "k-dec", number...)...)
	c.fail(1, "above the limit", dep("1000000", "k-big", number...)...)
	c.fail(1, "at least $0.01", dep("0.00", "k-zero", number...)...)
	c.fail(1, "not an amount", dep("1e3", "k-exp", number...)...)
	c.fail(2, "--key", "account", "deposit", "--amount", "5", "--number", "(415) 555-2671")
	c.fail(2, "--number", "account", "deposit", "--amount", "5", "--key", "k")
	c.fail(2, "--facility", "account", "deposit", "--amount", "5", "--key", "k", "--inmate", "A1001")
	c.fail(1, "inmate not found", dep("5", "k-ghost", "--inmate", "B2002", "--facility", "cnty")...)
	c.fail(1, "number", dep("5", "k-bad", "--number", "not-a-number")...)
	c.fail(1, "no account", "account", "show", "--number", "+12125550199")
	c.fail(1, "no account", "account", "statement", "--number", "+12125550199")
	c.fail(2, "RFC 3339", "account", "statement", "--number", "+14155552671", "--from", "yesterday")
	check()

	var st statementView
	if err := json.Unmarshal([]byte(c.ok(append([]string{"account", "statement", "--json", "--from", "2026-11-01"}, number...)...)), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Postings) != 1 || st.OpeningCents != 0 || st.ClosingCents != 2000 || st.Postings[0].Kind != "deposit" {
		t.Errorf("statement = %+v", st)
	}
	if st2 := c.ok(append([]string{"account", "statement", "--from", "2026-11-24"}, number...)...); !strings.Contains(st2, "opening balance $20.00") {
		t.Errorf("statement from tomorrow = %q", st2)
	}

	// The audit log saw the money and holds no number or inmate id.
	c.ok("audit", "verify")
	raw := c.ok("audit", "list", "--limit", "1000", "--json")
	for _, a := range []string{"rates.set", "account.deposit", "account.read", "account.statement", "ledger.verify"} {
		if !strings.Contains(raw, `"`+a+`"`) {
			t.Errorf("no %s event in the audit log", a)
		}
	}
	for _, secret := range []string{"4155552671", "555-2671", "A1001", "Marisol"} {
		if strings.Contains(raw, secret) {
			t.Errorf("audit log contains %q", secret)
		}
	}
}
