// Package billingtest is the conformance suite of billing.RateStore: rates round-trip,
// the rate in force on a day is the latest one begun by then, and a rate above the cap in
// force, or on a day no cap is in force, is refused with nothing written.
package billingtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/billing"
	"parley.dev/parley/rates"
)

// Store is what the suite needs: facilities and their rates.
type Store interface {
	parley.FacilityService
	billing.RateStore
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func rate(t testing.TB, s string) rates.Microdollars {
	t.Helper()
	m, err := rates.ParseDollars(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// RunRateStore runs the suite on an empty store.
func RunRateStore(t *testing.T, s Store) {
	ctx := context.Background()
	caps, err := rates.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []*parley.Facility{
		{ID: "pen", Name: "State Prison", Type: parley.FacilityPrison, ADP: 3000},
		{ID: "cnty", Name: "County Jail", Type: parley.FacilityJail, ADP: 250, Timezone: "America/Chicago"},
	} {
		if err := s.CreateFacility(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	fr := func(fac string, svc rates.Service, dollars, from string) rates.FacilityRate {
		return rates.FacilityRate{FacilityID: fac, Service: svc, Rate: rate(t, dollars), Effective: day(from), SetBy: "cli:tester"}
	}
	set := func(rs ...rates.FacilityRate) error { return s.SetFacilityRates(ctx, caps, rs) }
	count := func(fac string) int {
		all, err := s.FacilityRates(ctx, fac)
		if err != nil {
			t.Fatal(err)
		}
		return len(all)
	}
	inForce := func(fac string, svc rates.Service, on string) string {
		t.Helper()
		r, err := s.FacilityRate(ctx, fac, svc, day(on))
		if parley.IsKind(err, parley.KindNotFound) {
			return ""
		}
		if err != nil {
			t.Fatalf("FacilityRate %s %s %s: %v", fac, svc, on, err)
		}
		return r.Rate.String()
	}

	if err := set(fr("pen", rates.Audio, "0.06", "2025-01-01")); err != nil {
		t.Fatalf("rate at the cap: %v", err)
	}
	// Above the cap: refused, naming the cap and its order.
	err = set(fr("pen", rates.Audio, "0.0601", "2025-01-01"))
	if !parley.IsKind(err, parley.KindForbidden) || !strings.Contains(err.Error(), "$0.06/min") || !strings.Contains(err.Error(), "FCC 24-75") {
		t.Errorf("rate above the cap: %v", err)
	}
	// All or none: a good audio rate with a video rate above its cap writes nothing.
	err = set(fr("pen", rates.Audio, "0.05", "2025-02-01"), fr("pen", rates.Video, "0.50", "2025-02-01"))
	if !parley.IsKind(err, parley.KindForbidden) {
		t.Errorf("video above the cap: %v", err)
	}
	// Before any order, no cap is in force: parley does not price such calls.
	err = set(fr("pen", rates.Audio, "0.01", "2014-02-10"))
	if !parley.IsKind(err, parley.KindNotFound) || !strings.Contains(err.Error(), "2014-02-11") {
		t.Errorf("rate before any cap: %v", err)
	}
	if err := set(fr("nowhere", rates.Audio, "0.01", "2025-02-01")); !parley.IsKind(err, parley.KindNotFound) {
		t.Errorf("unknown facility: %v", err)
	}
	if err := set(fr("pen", "fax", "0.01", "2025-02-01")); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("unknown service: %v", err)
	}
	if n := count("pen"); n != 1 {
		t.Fatalf("refused rates wrote rows: %d rates", n)
	}

	// The rate in force is the latest begun by the day; the same day set again wins.
	if err := set(fr("pen", rates.Audio, "0.13", "2026-04-06")); err != nil {
		t.Fatalf("rate at the FCC 25-75 cap with its additive: %v", err)
	}
	if err := set(fr("pen", rates.Audio, "0.05", "2025-01-01")); err != nil {
		t.Fatal(err)
	}
	for on, want := range map[string]string{"2024-12-31": "", "2025-01-01": "$0.05", "2026-04-05": "$0.05", "2026-04-06": "$0.13", "2030-01-01": "$0.13"} {
		if got := inForce("pen", rates.Audio, on); got != want {
			t.Errorf("prison audio rate on %s = %q, want %q", on, got, want)
		}
	}
	if got := inForce("pen", rates.Video, "2026-01-01"); got != "" {
		t.Errorf("video rate never set = %q", got)
	}

	// A jail of ADP 250: $0.21 was lawful in January 2025, and stays the rate after the
	// cap fell to $0.09 on 2025-04-01 (PriceFor charges the cap).
	if err := set(fr("cnty", rates.Audio, "0.21", "2025-01-01"), fr("cnty", rates.Video, "0.14", "2025-01-01")); err != nil {
		t.Fatalf("jail rates: %v", err)
	}
	if err := set(fr("cnty", rates.Audio, "0.10", "2025-04-01")); !parley.IsKind(err, parley.KindForbidden) {
		t.Errorf("jail audio above the 2025-04-01 cap: %v", err)
	}
	all, err := s.FacilityRates(ctx, "cnty")
	if err != nil || len(all) != 2 || all[0].Service != rates.Audio || all[0].SetBy != "cli:tester" || all[0].SetAt.IsZero() ||
		!all[0].Effective.Equal(day("2025-01-01")) {
		t.Fatalf("FacilityRates = %+v, %v", all, err)
	}
	// The day is the caller's calendar day: 2025-01-01 03:00 UTC is still 2024-12-31 in Chicago.
	chicago, _ := time.LoadLocation("America/Chicago")
	if _, err := s.FacilityRate(ctx, "cnty", rates.Audio, time.Date(2025, 1, 1, 3, 0, 0, 0, time.UTC).In(chicago)); !parley.IsKind(err, parley.KindNotFound) {
		t.Errorf("rate on the local day before it begins: %v", err)
	}
}
