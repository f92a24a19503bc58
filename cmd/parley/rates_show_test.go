package main

import (
	"encoding/json"
	"strings"
	"testing"

	"parley.dev/parley/admin"
)

// TestRatesShowSources: rates show prints the source of every rule it applies — the
// facility's cap, each fee cap (or the rule that forbids the fee), the relay and captioned
// rules and the international rule — on each side of the fee dates, at a prison and a
// jail; rates set refuses an international rate, saying why.
func TestRatesShowSources(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "pen", "--name", "State Prison", "--type", "prison", "--adp", "3000")
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")

	show := func(fac, on string, want ...string) {
		t.Helper()
		out := c.ok("rates", "show", "--facility", fac, "--on", on)
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("rates show --facility %s --on %s lacks %q:\n%s", fac, on, w, out)
			}
		}
	}
	relay := []string{"trs        free: no charge to any party", "47 CFR § 64.6040(d)(1)", "captioned  at most the voice price", "47 CFR § 64.6040(d)(2)",
		"international calls: at most the domestic cap", "47 CFR § 64.6030(e)"}
	// FCC 15-136's fee caps: prisons from 2016-03-17, jails only from 2016-06-20.
	show("pen", "2016-03-16", append(relay, "automated_payment                none: no automated_payment fee may be charged at prisons on 2016-03-16", "takes effect 2016-03-17",
		"source   FCC 13-113 (2013-09-26), 47 CFR § 64.6030")...)
	show("pen", "2016-03-17", "automated_payment                at most $3.00", "source FCC 15-136 (2015-11-05), 47 CFR § 64.6020(b)(1)",
		"live_agent                       at most $5.95", "47 CFR § 64.6020(b)(3)", "paper_bill                       at most $2.00", "47 CFR § 64.6020(b)(4)")
	show("cnty", "2016-06-19", "automated_payment                none", "at jails on 2016-06-19", "takes effect 2016-06-20")
	show("cnty", "2016-06-20", "automated_payment                at most $3.00", "47 CFR § 64.6020(b)(1)")
	// FCC 21-60's $6.95 third-party fee ends the day FCC 22-76's caps begin.
	show("cnty", "2023-01-08", "third_party_financial_automated  at most $6.95", "third_party_financial_live_agent at most $6.95",
		"source FCC 21-60 (2021-05-24), 47 CFR § 64.6020(b)(5) as amended at 86 FR 40731")
	show("cnty", "2023-01-09", "third_party_financial            at most $3.00", "third_party_financial_automated  at most $3.00",
		"third_party_financial_live_agent at most $5.95", "source FCC 22-76 (2022-09-30), 47 CFR § 64.6020(b)(5) as amended at 87 FR 75515")
	// FCC 24-75's ban, and the FCC 25-75 cap's secondary source.
	show("pen", "2026-05-01", append(relay, "paper_bill                       none:", "FCC 24-75 prohibits separate ancillary service charges",
		"site_commission                  none: site commissions are never charged", "source   FCC 25-75 (2025-10-28), secondary: Prison Policy Initiative")...)

	var v admin.RatesView
	if err := json.Unmarshal([]byte(c.ok("rates", "show", "--facility", "cnty", "--on", "2023-01-09", "--json")), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Fees) != 8 || v.Fees[5].Kind != "third_party_financial_live_agent" || v.Fees[5].Max != "$5.95" || !strings.Contains(v.Fees[5].Source, "FCC 22-76") ||
		len(v.Classes) != 2 || !strings.Contains(v.International.Source, "64.6030(e)") {
		t.Errorf("rates show --json = %+v", v)
	}

	// International rates: above the domestic cap refused with the reason; at or below it
	// refused too, since international calls are charged the audio rate. Nothing written.
	c.fail(1, "international rate $0.50/min is above the domestic cap of $0.06/min for audio at prisons in force on 2025-01-01 (FCC 24-75): "+
		"the rules allow an international call only the domestic cap plus the provider's average cost of terminating calls to the destination (47 CFR § 64.6030(e)",
		"rates", "set", "--facility", "pen", "--international", "0.50", "--from", "2025-01-01")
	c.fail(1, "parley records no such cost, so it charges international calls at most the domestic cap",
		"rates", "set", "--facility", "pen", "--audio", "0.05", "--international", "0.0601", "--from", "2025-01-01")
	c.fail(1, "international calls are charged the facility's audio rate, never above the domestic cap of $0.06/min: parley keeps no separate international rate",
		"rates", "set", "--facility", "pen", "--international", "0.06", "--from", "2025-01-01")
	c.fail(1, "not a dollar amount", "rates", "set", "--facility", "pen", "--international", "-1")
	c.fail(1, "no federal cap for audio calls at prisons is in force on 2014-01-01", "rates", "set", "--facility", "pen", "--international", "0.05", "--from", "2014-01-01")
	c.fail(2, "--audio", "rates", "set", "--facility", "pen")
	if out := c.ok("rates", "show", "--facility", "pen", "--on", "2025-01-01"); !strings.Contains(out, "rate     none set") {
		t.Errorf("a refused international rate wrote a rate:\n%s", out)
	}
}
