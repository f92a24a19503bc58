package billing_test

import (
	"context"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/billing"
	"parley.dev/parley/ledger"
	"parley.dev/parley/rates"
)

// fakeRates holds one rate per facility and service, in force from its day.
type fakeRates map[string]rates.FacilityRate

func (f fakeRates) SetFacilityRates(context.Context, *rates.Caps, []rates.FacilityRate) error {
	return nil
}
func (f fakeRates) FacilityRates(context.Context, string) ([]rates.FacilityRate, error) {
	return nil, nil
}
func (f fakeRates) FacilityRate(_ context.Context, id string, svc rates.Service, on time.Time) (rates.FacilityRate, error) {
	r, ok := f[id+"/"+string(svc)]
	if !ok || rates.Day(on).Before(r.Effective) {
		return rates.FacilityRate{}, parley.Errorf("fake", parley.KindNotFound, "no rate")
	}
	return r, nil
}

type fakeFacilities map[string]*parley.Facility

func (f fakeFacilities) FindFacility(_ context.Context, id string) (*parley.Facility, error) {
	if x, ok := f[id]; ok {
		return x, nil
	}
	return nil, parley.Errorf("fake", parley.KindNotFound, "facility not found")
}

func day(s string) time.Time {
	d, _ := time.Parse(time.DateOnly, s)
	return d
}

func newPricer(t *testing.T) *billing.Pricer {
	caps, err := rates.Default()
	if err != nil {
		t.Fatal(err)
	}
	return &billing.Pricer{Caps: caps,
		Facilities: fakeFacilities{
			"pen":  {ID: "pen", Type: parley.FacilityPrison, ADP: 3000},
			"cnty": {ID: "cnty", Type: parley.FacilityJail, ADP: 250, Timezone: "America/Chicago"},
			"tiny": {ID: "tiny", Type: parley.FacilityJail, ADP: 40},
		},
		Rates: fakeRates{
			"pen/audio":  {Rate: 210_000, Effective: day("2014-02-11")},
			"cnty/audio": {Rate: 210_000, Effective: day("2014-02-11")},
			"cnty/video": {Rate: 140_000, Effective: day("2025-01-01")},
			"tiny/audio": {Rate: 200_000, Effective: day("2014-02-11")},
		}}
}

// TestPriceAcrossCapChanges: facilities that set $0.21 in 2014 and never changed it are
// charged the cap in force on each side of every order's compliance date.
func TestPriceAcrossCapChanges(t *testing.T) {
	p := newPricer(t)
	ctx := context.Background()
	noon := func(s string) time.Time { return day(s).Add(18 * time.Hour) } // noon in Chicago, 18:00 UTC
	cases := []struct {
		fac, svc, on string
		want         rates.Microdollars // 0: not priced
	}{
		{"pen", "audio", "2014-02-10", 0}, {"pen", "audio", "2014-02-11", 210_000},
		{"pen", "audio", "2021-10-25", 210_000}, {"pen", "audio", "2021-10-26", 120_000},
		{"pen", "audio", "2024-12-31", 120_000}, {"pen", "audio", "2025-01-01", 60_000},
		{"pen", "audio", "2026-04-05", 60_000}, {"pen", "audio", "2026-04-06", 130_000},
		{"cnty", "audio", "2021-10-26", 210_000}, {"cnty", "audio", "2025-03-31", 210_000},
		{"cnty", "audio", "2025-04-01", 90_000}, {"cnty", "audio", "2026-04-05", 90_000},
		{"cnty", "audio", "2026-04-06", 150_000},
		{"cnty", "video", "2024-12-31", 0}, {"cnty", "video", "2025-01-01", 140_000},
		{"cnty", "video", "2026-04-06", 140_000},                                           // rate below the new $0.21 cap
		{"tiny", "audio", "2026-04-05", 120_000}, {"tiny", "audio", "2026-04-06", 200_000}, // $0.19 + $0.02 cap above the rate
		{"pen", "video", "2026-04-06", 0}, // no rate set
	}
	for _, c := range cases {
		q, err := p.Price(ctx, c.fac, rates.Service(c.svc), noon(c.on))
		if c.want == 0 {
			if !parley.IsKind(err, parley.KindNotFound) {
				t.Errorf("%s %s %s: priced %+v, %v; want not priced", c.fac, c.svc, c.on, q, err)
			}
			continue
		}
		if err != nil || q.PerMinute != c.want || q.PerMinute > q.Cap.Max() || q.PerMinute > q.Rate {
			t.Errorf("%s %s %s: %+v, %v; want %s", c.fac, c.svc, c.on, q, err, c.want)
		}
	}
	// 2025-04-01 03:00 UTC is 22:00 on 2025-03-31 in Chicago: the old cap still applies.
	q, err := p.Price(ctx, "cnty", rates.Audio, time.Date(2025, 4, 1, 3, 0, 0, 0, time.UTC))
	if err != nil || q.PerMinute != 210_000 || !q.Day.Equal(day("2025-03-31")) {
		t.Errorf("late call in Chicago: %+v, %v", q, err)
	}
	if _, err := p.Price(ctx, "nowhere", rates.Audio, noon("2026-01-01")); !parley.IsKind(err, parley.KindNotFound) {
		t.Errorf("unknown facility: %v", err)
	}
}

func TestHoldAndCharge(t *testing.T) {
	q, err := newPricer(t).Price(context.Background(), "pen", rates.Audio, day("2025-06-01"))
	if err != nil {
		t.Fatal(err)
	}
	// $0.06/min: $0.90 pays for 15m09s (909 s cost 90.9¢, rounded down); the limit wins
	// when the balance is larger.
	if d, amt := q.Hold(90, time.Hour); d != 15*time.Minute+9*time.Second || amt != 90 {
		t.Errorf("Hold($0.90) = %v, %s", d, amt)
	}
	if d, amt := q.Hold(100_00, 15*time.Minute); d != 15*time.Minute || amt != 90 {
		t.Errorf("Hold($100, 15m) = %v, %s", d, amt)
	}
	// Nine seconds cost 0.9¢, which rounds down to nothing: no hold, and the call ends there.
	if d, amt := q.Hold(0, time.Hour); d != 9*time.Second || amt != 0 {
		t.Errorf("Hold($0) = %v, %s", d, amt)
	}
	if c := q.Charge(61 * time.Second); c != ledger.Cents(6) {
		t.Errorf("Charge(61s) = %s", c)
	}
}

// TestPriceCallClasses: a relay call is free at every facility and on each side of every
// cap change, with or without a rate or a cap in force; a captioned call is the voice price.
func TestPriceCallClasses(t *testing.T) {
	p := newPricer(t)
	ctx := context.Background()
	for _, on := range []string{"2014-02-10", "2014-02-11", "2023-01-08", "2023-01-09", "2025-03-31", "2025-04-01", "2026-04-05", "2026-04-06"} {
		for _, fac := range []string{"pen", "cnty", "tiny"} {
			for _, svc := range []rates.Service{rates.Audio, rates.Video} {
				name := fac + " " + string(svc) + " " + on
				relay, err := p.PriceCall(ctx, fac, svc, rates.Relay, day(on).Add(18*time.Hour))
				if err != nil || relay.PerMinute != 0 || relay.Charge(time.Hour) != 0 {
					t.Errorf("%s: relay %+v, %v; want free", name, relay, err)
				}
				voice, verr := p.Price(ctx, fac, svc, day(on).Add(18*time.Hour))
				capt, cerr := p.PriceCall(ctx, fac, svc, rates.Captioned, day(on).Add(18*time.Hour))
				if (verr == nil) != (cerr == nil) || capt.PerMinute != voice.PerMinute {
					t.Errorf("%s: captioned %s (%v), voice %s (%v)", name, capt.PerMinute, cerr, voice.PerMinute, verr)
				}
			}
		}
	}
	if _, err := p.PriceCall(ctx, "nowhere", rates.Audio, rates.Relay, day("2026-01-01")); !parley.IsKind(err, parley.KindNotFound) {
		t.Errorf("relay at an unknown facility: %v", err)
	}
}
