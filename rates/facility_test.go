package rates

import (
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
)

// TestPriceForEveryCapChange prices a call on the day before and the day of every cap
// change, for every facility type, service and tier: a facility rate above the cap is
// charged at the cap in force that day, a rate below it at the rate, and a day with no cap
// is not priced.
func TestPriceForEveryCapChange(t *testing.T) {
	c := mustCaps(t)
	high, low := Dollar, Microdollars(10_000) // $1.00 and $0.01 per minute
	for _, row := range c.Rows() {
		for _, adp := range []int{row.Tier.MinADP, max(row.Tier.MaxADP, row.Tier.MinADP)} {
			for _, on := range []time.Time{row.Effective.AddDate(0, 0, -1), row.Effective} {
				name := on.Format(time.DateOnly) + " " + string(row.Facility) + " " + string(row.Service) + " " + row.Tier.String()
				cp, capErr := c.CapFor(on, row.Facility, adp, row.Service)
				p, err := c.PriceFor(on, row.Facility, adp, row.Service, high)
				if capErr != nil {
					if !parley.IsKind(err, parley.KindNotFound) {
						t.Errorf("%s: no cap in force, PriceFor = %+v, %v", name, p, err)
					}
					continue
				}
				if err != nil || p.PerMinute != cp.Max() || !p.Capped() || p.Rate != high {
					t.Errorf("%s: rate $1.00 priced %+v, %v; want the cap %s", name, p, err, cp.Max())
				}
				if on.Equal(row.Effective) && p.PerMinute != row.Max() {
					t.Errorf("%s: priced %s on the day the cap of %s takes effect", name, p.PerMinute, row.Max())
				}
				if q, err := c.PriceFor(on, row.Facility, adp, row.Service, low); err != nil || q.PerMinute != low || q.Capped() {
					t.Errorf("%s: rate $0.01 priced %+v, %v", name, q, err)
				}
			}
		}
	}
}

// TestPriceForFallingCap: a jail of ADP 250 charging $0.21, lawful until 2025-03-31, is
// charged $0.09 from 2025-04-01 without anyone changing its rate.
func TestPriceForFallingCap(t *testing.T) {
	c := mustCaps(t)
	rate := 210_000 * Microdollars(1)
	before, err := c.PriceFor(day("2025-03-31"), J, 250, Audio, rate)
	if err != nil || before.PerMinute != rate || before.Capped() {
		t.Fatalf("2025-03-31: %+v, %v", before, err)
	}
	after, err := c.PriceFor(day("2025-04-01"), J, 250, Audio, rate)
	if err != nil || after.PerMinute != 90_000 || !after.Capped() || after.Cap.Source.Order != "FCC 24-75" {
		t.Fatalf("2025-04-01: %+v, %v", after, err)
	}
	// The day is the call's start day in the zone of the time given.
	chicago, _ := time.LoadLocation("America/Chicago")
	late := time.Date(2025, 4, 1, 4, 30, 0, 0, time.UTC).In(chicago) // 23:30 on 2025-03-31 in Chicago
	if p, _ := c.PriceFor(late, J, 250, Audio, rate); p.PerMinute != rate {
		t.Errorf("a call starting at 23:30 local on 2025-03-31 priced %s", p.PerMinute)
	}
	if _, err := c.PriceFor(day("2025-04-01"), J, 250, Audio, -1); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("negative rate: %v", err)
	}
}

func TestCheckFacilityRate(t *testing.T) {
	c := mustCaps(t)
	r := FacilityRate{FacilityID: "pen", Service: Audio, Rate: 70_000, Effective: day("2025-01-01"), SetBy: "cli:x"}
	_, err := c.CheckFacilityRate(r, P, 0)
	if !parley.IsKind(err, parley.KindForbidden) || !strings.Contains(err.Error(), "above the cap of $0.06/min") || !strings.Contains(err.Error(), "FCC 24-75 (2024-07-22)") {
		t.Errorf("above the cap: %v", err)
	}
	r.Rate = 60_000
	if cp, err := c.CheckFacilityRate(r, P, 0); err != nil || cp.Max() != 60_000 {
		t.Errorf("at the cap: %+v, %v", cp, err)
	}
	r.Effective = day("2013-01-01")
	if _, err := c.CheckFacilityRate(r, P, 0); !parley.IsKind(err, parley.KindNotFound) {
		t.Errorf("before any order: %v", err)
	}
	for name, bad := range map[string]FacilityRate{
		"no facility": {Service: Audio, Rate: 1, Effective: day("2025-01-01"), SetBy: "x"},
		"no service":  {FacilityID: "pen", Rate: 1, Effective: day("2025-01-01"), SetBy: "x"},
		"negative":    {FacilityID: "pen", Service: Audio, Rate: -1, Effective: day("2025-01-01"), SetBy: "x"},
		"no date":     {FacilityID: "pen", Service: Audio, Rate: 1, SetBy: "x"},
		"no setter":   {FacilityID: "pen", Service: Audio, Rate: 1, Effective: day("2025-01-01")},
	} {
		if _, err := c.CheckFacilityRate(bad, P, 0); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
