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
	rule, err := c.FeeAllowed(day("2020-06-01"), AutomatedPayment)
	if err != nil || rule.Max != 3*Dollar || rule.Source.Order != "FCC 15-136" {
		t.Errorf("2020 automated payment: %+v, %v", rule, err)
	}
	if err := CheckFee(3*Dollar, rule); err != nil {
		t.Errorf("fee at the max: %v", err)
	}
	if err := CheckFee(3*Dollar+1, rule); !parley.IsKind(err, parley.KindForbidden) || !strings.Contains(err.Error(), "$3.00") {
		t.Errorf("fee above the max: %v", err)
	}
	for _, tc := range []struct {
		d    string
		kind FeeKind
		ok   bool
	}{
		{"2016-03-16", LiveAgent, false}, {"2016-03-17", LiveAgent, true},
		{"2024-12-31", PaperBill, true}, {"2025-01-01", PaperBill, false},
		{"2021-10-25", ThirdPartyFinancial, false}, {"2021-10-26", ThirdPartyFinancial, true},
		{"2025-01-01", ThirdPartyFinancial, false}, {"2026-05-01", AutomatedPayment, false},
		{"2020-01-01", SingleCall, false}, {"2020-01-01", SiteCommission, false}, {"2026-05-01", SiteCommission, false},
	} {
		_, err := c.FeeAllowed(day(tc.d), tc.kind)
		if tc.ok && err != nil || !tc.ok && !parley.IsKind(err, parley.KindForbidden) {
			t.Errorf("FeeAllowed(%s, %s) = %v, want allowed=%v", tc.d, tc.kind, err, tc.ok)
		}
	}
	_, err = c.FeeAllowed(day("2026-05-01"), PaperBill)
	if err == nil || !strings.Contains(err.Error(), "FCC 24-75") {
		t.Errorf("ban message: %v", err)
	}
	if _, err := c.FeeAllowed(day("2026-05-01"), "convenience"); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("unknown kind: %v", err)
	}
}
