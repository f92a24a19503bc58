package main

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
)

// TestAccountRefundInactive: accounts idle 180 days are listed by a dry run, refunded
// and deactivated once by the real run, and a new deposit reactivates them; a collect
// account is its own account; bad flags are usage errors.
func TestAccountRefundInactive(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", "4821")
	number := []string{"--number", "+14155552671"}
	collect := []string{"--number", "+14155552671", "--collect"}
	inmate := []string{"--inmate", "A1001", "--facility", "cnty"}
	c.ok(append([]string{"account", "deposit", "--amount", "20.00", "--key", "r1"}, number...)...)
	c.ok(append([]string{"account", "deposit", "--amount", "3.00", "--key", "r2"}, collect...)...)
	if got := balanceOf(t, c, collect...); got != 300 {
		t.Errorf("collect balance = %d, want 300", got)
	}
	if got := balanceOf(t, c, number...); got != 2000 {
		t.Errorf("prepaid balance = %d, want 2000 (collect is a separate account)", got)
	}
	c.fail(2, "--collect needs --number", append([]string{"account", "show", "--collect"}, inmate...)...)

	c.now = c.now.AddDate(0, 0, 100)
	c.ok(append([]string{"account", "deposit", "--amount", "5.00", "--key", "r3"}, inmate...)...)
	c.now = c.now.AddDate(0, 0, 81) // 181 days after the first deposits, 81 after the inmate's

	var rep struct {
		DryRun  bool `json:"dry_run"`
		Refunds []struct {
			Account     string `json:"account"`
			Amount      int64  `json:"amount_cents"`
			Transaction string `json:"transaction"`
		} `json:"refunds"`
		Total int64 `json:"total_cents"`
	}
	if err := json.Unmarshal([]byte(c.ok("account", "refund-inactive", "--dry-run", "--json")), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.DryRun || len(rep.Refunds) != 2 || rep.Total != 2300 || rep.Refunds[0].Transaction != "" {
		t.Fatalf("dry run = %+v", rep)
	}
	if got := balanceOf(t, c, number...); got != 2000 {
		t.Errorf("dry run moved money: %d", got)
	}
	// As of a day when nothing had been idle 180 days: nothing.
	if out := c.ok("account", "refund-inactive", "--as-of", "2027-05-01"); !strings.Contains(out, "refunded 0 inactive") {
		t.Errorf("early as-of said %q", out)
	}
	out := c.ok("account", "refund-inactive")
	if !strings.Contains(out, "refunded 2 inactive account(s), $23.00") || strings.Contains(out, "4155552671") {
		t.Errorf("refund said %q", out)
	}
	if show := c.ok(append([]string{"account", "show"}, number...)...); !strings.Contains(show, "inactive") || !strings.Contains(show, "balance    $0.00") {
		t.Errorf("after refund: %q", show)
	}
	if got := balanceOf(t, c, inmate...); got != 500 {
		t.Errorf("active inmate account touched: %d", got)
	}
	if out := c.ok("account", "refund-inactive"); !strings.Contains(out, "refunded 0 inactive") {
		t.Errorf("second run said %q", out)
	}
	// A deposit ends the inactivity.
	c.ok(append([]string{"account", "deposit", "--amount", "1.00", "--key", "r4"}, number...)...)
	if show := c.ok(append([]string{"account", "show"}, number...)...); !strings.Contains(show, "active)") || strings.Contains(show, "inactive") {
		t.Errorf("after a new deposit: %q", show)
	}
	c.ok("ledger", "verify")
	c.fail(2, "--as-of", "account", "refund-inactive", "--as-of", "soon")
	c.fail(1, "must be 180 to 36500 days", "account", "refund-inactive", "--days", "30")
	c.fail(2, "future", "account", "refund-inactive", "--as-of", c.now.Add(48*time.Hour).Format(time.DateOnly))
	raw := c.ok("audit", "list", "--limit", "1000", "--json")
	if strings.Count(raw, `"account.refund_inactive"`) != 2 || strings.Contains(raw, "4155552671") || strings.Contains(raw, "A1001") {
		t.Errorf("audit log: %d refund events or personal data", strings.Count(raw, `"account.refund_inactive"`))
	}
}

// TestAccountTrustTransfer: a transfer from an inmate's trust account funds their debit
// account once per key, shows on the statement, and is refused for a family's account.
func TestAccountTrustTransfer(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", "4821")
	inmate := []string{"--inmate", "A1001", "--facility", "cnty"}
	tr := func(amount, key string, who ...string) []string {
		return append([]string{"account", "deposit", "--from-trust", "--amount", amount, "--key", key}, who...)
	}
	if out := c.ok(tr("12.50", "trust-77", inmate...)...); !strings.Contains(out, "transferred from trust $12.50") {
		t.Errorf("transfer said %q", out)
	}
	if out := c.ok(tr("12.50", "trust-77", inmate...)...); !strings.Contains(out, "already applied") {
		t.Errorf("retry said %q", out)
	}
	c.fail(1, "already used", tr("13.00", "trust-77", inmate...)...)
	// The same receipt id as a cash deposit is a different key space: both apply.
	c.ok(append([]string{"account", "deposit", "--amount", "1.00", "--key", "trust-77"}, inmate...)...)
	c.fail(2, "--from-trust needs --inmate", tr("5", "t2", "--number", "+14155552671")...)
	c.fail(1, "not an amount", tr("-1", "t3", inmate...)...)
	if got := balanceOf(t, c, inmate...); got != 1350 {
		t.Errorf("balance = %d, want 1350", got)
	}
	st := c.ok(append([]string{"account", "statement"}, inmate...)...)
	if !strings.Contains(st, "transfer from trust") || !strings.Contains(st, "deposits $1.00, trust transfers $12.50, 0 call(s) $0.00") {
		t.Errorf("statement lacks the transfer or its totals:\n%s", st)
	}
	var sv statementView
	if err := json.Unmarshal([]byte(c.ok(append([]string{"account", "statement", "--json"}, inmate...)...)), &sv); err != nil {
		t.Fatal(err)
	}
	if sv.Summary.TrustTransfers != "$12.50" || sv.Summary.StatementSummary.Deposits != 100 || sv.Summary.Net != 1350 {
		t.Errorf("statement summary = %+v", sv.Summary)
	}
	c.ok("ledger", "verify")
}

// TestChargerOverCLIData charges calls with the charger `serve` wires (env.charger) on a
// database set up through the CLI: a 61 s call at $0.09/min costs exactly 9¢, a call the
// trunk drops after 30 s is credited, the statement shows both and the ledger verifies.
func TestChargerOverCLIData(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", "4821")
	c.ok("rates", "set", "--facility", "cnty", "--audio", "0.09", "--from", "2026-04-06")
	inmate := []string{"--inmate", "A1001", "--facility", "cnty"}
	c.ok(append([]string{"account", "deposit", "--amount", "10.00", "--key", "r1"}, inmate...)...)

	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Stdin: strings.NewReader(""),
		Getenv: func(k string) string { return c.env[k] }, Now: func() time.Time { return c.now }}
	err := m.withEnv(context.Background(), &dataFlags{data: c.data, keys: c.keys}, func(ctx context.Context, e *env) error {
		caps, err := m.caps()
		if err != nil {
			return err
		}
		ch, err := e.charger(ctx, caps)
		if err != nil {
			return err
		}
		for _, tc := range []struct {
			id      string
			bridged time.Duration
			status  parley.CallStatus
			reason  string
			charge  int64
			credit  string
		}{
			{"cli-call-1", 61 * time.Second, parley.CallCompleted, "called_party_hangup", 9, ""},
			{"cli-call-2", 30 * time.Second, parley.CallDropped, "rtp_timeout_called", 0, "dropped_in_first_minute:rtp_timeout_called"},
		} {
			call := &parley.CallRecord{ID: tc.id, FacilityID: "cnty", InmateID: "A1001", Number: "+14155552671", StartedAt: c.now}
			if _, err := ch.Authorize(ctx, call); err != nil {
				return err
			}
			call.Status, call.Reason = tc.status, tc.reason
			if err := ch.Settle(ctx, call, tc.bridged); err != nil {
				return err
			}
			if call.ChargeCents != tc.charge || call.CreditReason != tc.credit || !strings.HasPrefix(call.PayingAccount, "inmate-") {
				t.Errorf("%s: charge %d credit %q paying %q", tc.id, call.ChargeCents, call.CreditReason, call.PayingAccount)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := balanceOf(t, c, inmate...); got != 991 {
		t.Errorf("balance = %d, want 991", got)
	}
	st := c.ok(append([]string{"account", "statement"}, inmate...)...)
	for _, want := range []string{"call cli-call-1: 61 s at $0.09/min", "credit: dropped_in_first_minute", "2 call(s) $0.13, credits $0.04"} {
		if !strings.Contains(st, want) {
			t.Errorf("statement lacks %q:\n%s", want, st)
		}
	}
	c.ok("ledger", "verify")
	// Bad input: a cap lookup before any order is a clear "none in force".
	if out := c.ok("rates", "show", "--facility", "cnty", "--on", "2014-01-01"); !strings.Contains(out, "cap      none in force") {
		t.Errorf("rates show before any order:\n%s", out)
	}
}
