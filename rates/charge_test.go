package rates

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/ledger"
)

func TestCharge(t *testing.T) {
	cases := []struct {
		d    time.Duration
		rate Microdollars
		want ledger.Cents
	}{
		{15 * time.Minute, 210_000, 315},                     // the 2013 cap: $3.15 for 15 minutes
		{15 * time.Minute, 60_000, 90},                       // FCC 24-75 prisons: $0.90
		{61 * time.Second, 120_000, 12},                      // 12.2¢ rounds down; no second minute
		{59*time.Second + 999*time.Millisecond, 120_000, 11}, // 59 s: 11.8¢ -> 11¢
		{time.Second, 130_000, 0},                            // 0.2¢ -> 0
		{30 * time.Second, 62_500, 3},                        // sub-cent rate: 3.125¢ -> 3¢
		{0, 210_000, 0}, {-time.Minute, 210_000, 0}, {time.Hour, 0, 0}, {time.Hour, -5, 0},
		{math.MaxInt64, MaxDollars, ledger.Cents((math.MaxInt64 / int64(time.Second)) * int64(MaxDollars) / 600_000)},
	}
	for _, c := range cases {
		if got := Charge(c.d, c.rate); got != c.want {
			t.Errorf("Charge(%v, %s) = %s, want %s", c.d, c.rate, got, c.want)
		}
	}
}

// TestChargeNeverAboveCap: for random durations and rates, the charge never exceeds the
// exact cost, nor the cost billed in whole minutes rounded up, and is within a cent of
// the exact per-second cost.
func TestChargeNeverAboveCap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		d := time.Duration(r.Int64N(int64(4 * time.Hour)))
		rate := Microdollars(r.Int64N(int64(Dollar)))
		got := int64(Charge(d, rate))
		secs := int64(d / time.Second)
		exact := int64(rate) * secs // microdollar-seconds per minute
		if got*600_000 > exact || (got+1)*600_000 <= exact {
			t.Fatalf("Charge(%v, %s) = %d¢, exact %d/600000", d, rate, got, exact)
		}
		minutes := (secs + 59) / 60
		if got*Cent.int() > int64(rate)*minutes {
			t.Fatalf("Charge(%v, %s) = %d¢ exceeds whole-minute billing", d, rate, got)
		}
	}
}

func (m Microdollars) int() int64 { return int64(m) }

func TestAffordable(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	limit := 30 * time.Minute
	for range 20000 {
		bal := ledger.Cents(r.Int64N(2000))
		rate := Microdollars(r.Int64N(int64(Dollar))) + 1
		d := Affordable(bal, rate, limit)
		if d < 0 || d > limit || d%time.Second != 0 {
			t.Fatalf("Affordable(%s, %s) = %v", bal, rate, d)
		}
		if Charge(d, rate) > bal {
			t.Fatalf("Affordable(%s, %s) = %v costs %s", bal, rate, d, Charge(d, rate))
		}
		if d < limit && Charge(d+time.Second, rate) <= bal {
			t.Fatalf("Affordable(%s, %s) = %v is not the longest", bal, rate, d)
		}
	}
	if Affordable(100, 0, limit) != limit || Affordable(-1, 10, limit) != 0 || Affordable(100, 10, 0) != 0 {
		t.Error("edge cases")
	}
}

func TestFeeAllowed(t *testing.T) {
	c := mustCaps(t)
	rule, err := c.FeeAllowed(day("2020-06-01"), P, AutomatedPayment)
	if err != nil || rule.Max != 3*Dollar || rule.Source.Order != "FCC 15-136" {
		t.Errorf("2020 automated payment: %+v, %v", rule, err)
	}
	if err := CheckFee(3*Dollar, rule); err != nil {
		t.Errorf("fee at the max: %v", err)
	}
	if err := CheckFee(3*Dollar+1, rule); !parley.IsKind(err, parley.KindForbidden) || !strings.Contains(err.Error(), "$3.00") {
		t.Errorf("fee above the max: %v", err)
	}
	if err := CheckFee(-1, rule); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("negative fee: %v", err)
	}
	_, err = c.FeeAllowed(day("2026-05-01"), J, PaperBill)
	if err == nil || !strings.Contains(err.Error(), "FCC 24-75") {
		t.Errorf("ban message: %v", err)
	}
	_, err = c.FeeAllowed(day("2016-05-01"), J, LiveAgent)
	if !parley.IsKind(err, parley.KindForbidden) || !strings.Contains(err.Error(), "takes effect 2016-06-20") {
		t.Errorf("jail live agent before jails' date: %v", err)
	}
	if _, err := c.FeeAllowed(day("2026-05-01"), J, "convenience"); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("unknown kind: %v", err)
	}
	if _, err := c.FeeAllowed(day("2020-05-01"), "camp", PaperBill); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("unknown facility type: %v", err)
	}
}

// TestFeeRulesEachSideOfEachDate charges, on the day before and the day of every fee
// rule's start and end, the rule's maximum and a cent more, at prisons and jails: want
// is the most a caller may be charged that day ("" = no fee at all).
func TestFeeRulesEachSideOfEachDate(t *testing.T) {
	c := mustCaps(t)
	type q struct {
		d    string
		ft   parley.FacilityType
		kind FeeKind
		want string
		src  string
	}
	var cases []q
	for _, k := range []FeeKind{AutomatedPayment, LiveAgent, PaperBill} {
		max := map[FeeKind]string{AutomatedPayment: "3.00", LiveAgent: "5.95", PaperBill: "2.00"}[k]
		cases = append(cases,
			// Prisons from 2016-03-17 (FCC 15-136).
			q{"2016-03-16", P, k, "", ""}, q{"2016-03-17", P, k, max, "FCC 15-136"},
			// Jails only from 2016-06-20.
			q{"2016-03-17", J, k, "", ""}, q{"2016-06-19", J, k, "", ""}, q{"2016-06-20", J, k, max, "FCC 15-136"},
			q{"2016-06-19", P, k, max, "FCC 15-136"},
			// FCC 24-75's ban, both types.
			q{"2024-12-31", P, k, max, "FCC 15-136"}, q{"2025-01-01", P, k, "", ""},
			q{"2024-12-31", J, k, max, "FCC 15-136"}, q{"2025-01-01", J, k, "", ""})
	}
	for _, ft := range []parley.FacilityType{P, J} {
		cases = append(cases,
			// FCC 21-60's $6.95, every channel.
			q{"2021-10-25", ft, ThirdPartyFinancial, "", ""}, q{"2021-10-26", ft, ThirdPartyFinancial, "6.95", "FCC 21-60"},
			q{"2021-10-26", ft, ThirdPartyAutomated, "6.95", "FCC 21-60"}, q{"2021-10-26", ft, ThirdPartyLiveAgent, "6.95", "FCC 21-60"},
			// FCC 22-76 ends it on 2023-01-09: $3.00 automated, $5.95 live agent, $3.00 unknown.
			q{"2023-01-08", ft, ThirdPartyFinancial, "6.95", "FCC 21-60"}, q{"2023-01-09", ft, ThirdPartyFinancial, "3.00", "FCC 22-76"},
			q{"2023-01-08", ft, ThirdPartyAutomated, "6.95", "FCC 21-60"}, q{"2023-01-09", ft, ThirdPartyAutomated, "3.00", "FCC 22-76"},
			q{"2023-01-08", ft, ThirdPartyLiveAgent, "6.95", "FCC 21-60"}, q{"2023-01-09", ft, ThirdPartyLiveAgent, "5.95", "FCC 22-76"},
			// FCC 24-75's ban.
			q{"2024-12-31", ft, ThirdPartyAutomated, "3.00", "FCC 22-76"}, q{"2025-01-01", ft, ThirdPartyAutomated, "", ""},
			q{"2024-12-31", ft, ThirdPartyLiveAgent, "5.95", "FCC 22-76"}, q{"2025-01-01", ft, ThirdPartyLiveAgent, "", ""},
			q{"2025-01-01", ft, ThirdPartyFinancial, "", ""},
			// Never: single-call fees (parley bills none) and site commissions.
			q{"2020-01-01", ft, SingleCall, "", ""}, q{"2023-06-01", ft, SingleCall, "", ""},
			q{"2020-01-01", ft, SiteCommission, "", ""}, q{"2026-05-01", ft, SiteCommission, "", ""})
	}
	for _, tc := range cases {
		name := tc.d + " " + string(tc.ft) + " " + string(tc.kind)
		rule, err := c.FeeAllowed(day(tc.d), tc.ft, tc.kind)
		if tc.want == "" {
			if !parley.IsKind(err, parley.KindForbidden) {
				t.Errorf("%s: %+v, %v; want no fee", name, rule, err)
			}
			continue
		}
		max, _ := ParseDollars(tc.want)
		if err != nil || rule.Max != max || rule.Source.Order != tc.src {
			t.Errorf("%s: max %s (%s), %v; want %s (%s)", name, rule.Max, rule.Source.Order, err, tc.want, tc.src)
			continue
		}
		if err := CheckFee(max, rule); err != nil {
			t.Errorf("%s: a fee of %s refused: %v", name, max, err)
		}
		if err := CheckFee(max+Cent, rule); !parley.IsKind(err, parley.KindForbidden) || !strings.Contains(err.Error(), tc.src) {
			t.Errorf("%s: a fee a cent above %s: %v", name, max, err)
		}
	}
}

// TestFeeRowsCiteParagraph: every fee rule cites the paragraph of 47 CFR § 64.6020(b) its
// maximum comes from, checked in the CFR text.
func TestFeeRowsCiteParagraph(t *testing.T) {
	para := map[FeeKind]string{AutomatedPayment: "(b)(1)", LiveAgent: "(b)(3)", PaperBill: "(b)(4)",
		ThirdPartyFinancial: "(b)(5)", ThirdPartyAutomated: "(b)(5)", ThirdPartyLiveAgent: "(b)(5)"}
	rules := mustCaps(t).fees
	if len(rules) != 12 {
		t.Errorf("%d fee rules, want 12", len(rules))
	}
	for _, r := range rules {
		if !strings.Contains(r.Source.Section, "§ 64.6020"+para[r.Kind]) || r.Source.Verified != OrderText {
			t.Errorf("%s %s from %s: section %q, %s", r.Kind, r.Facility, r.From.Format(time.DateOnly), r.Source.Section, r.Source.Verified)
		}
	}
}
