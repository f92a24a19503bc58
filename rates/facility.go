package rates

import (
	"time"

	"parley.dev/parley"
)

// FacilityRate is the per-minute rate a facility charges for a service from a calendar
// day (in the facility's time zone) until its next rate for that service. A rate is
// never above the cap in force on its first day (stores refuse it with CheckRate's
// message), and a call is never priced above the cap in force on the day it starts,
// whatever the rate says: see PriceFor.
type FacilityRate struct {
	FacilityID string
	Service    Service
	Rate       Microdollars // per minute
	Effective  time.Time    // first day in force: UTC midnight of the calendar date
	SetBy      string       // the actor who set it (e.g. "cli:operator")
	SetAt      time.Time
}

// Day returns t's calendar date, in t's own location, as UTC midnight: the form
// FacilityRate.Effective and Cap.Effective take.
func Day(t time.Time) time.Time { return civilDay(t) }

// Validate checks the rate's fields on their own (not against the caps).
func (r FacilityRate) Validate() error {
	const op = "rates.FacilityRate.Validate"
	switch {
	case parley.ValidateID(r.FacilityID) != nil:
		return parley.Errorf(op, parley.KindInvalid, "a facility id is required")
	case !r.Service.Valid():
		return parley.Errorf(op, parley.KindInvalid, "service must be audio or video")
	case r.Rate < 0 || r.Rate > maxCap:
		return parley.Errorf(op, parley.KindInvalid, "rate must be between $0 and %s per minute", maxCap)
	case r.Effective.IsZero():
		return parley.Errorf(op, parley.KindInvalid, "an effective date is required")
	case r.SetBy == "" || len(r.SetBy) > 200:
		return parley.Errorf(op, parley.KindInvalid, "who set the rate is required")
	}
	return nil
}

// Price is what a call is charged per minute, and why.
type Price struct {
	PerMinute Microdollars // min(Rate, Cap.Max()) for voice and captioned calls, 0 for relay calls
	Rate      Microdollars // the facility's rate in force on the call's start day
	Cap       Cap          // the cap in force on the call's start day (zero for a relay call on a day with none)
	Class     CallClass    // empty (voice) from PriceFor; set by PriceCall
	Rule      ClassRule    // the class's rule and source, for relay and captioned calls
}

// Capped reports whether the cap, not the facility's rate, set the price: the facility's
// rate predates a lower cap (or a change of the facility's size tier).
func (p Price) Capped() bool { return p.PerMinute < p.Rate && p.PerMinute == p.Cap.Max() }

// PriceFor returns the per-minute price of a call that starts at start, which must be in
// the facility's time zone (the cap in force is the one of that calendar day), for a
// facility of type ft and average daily population adp whose rate in force that day is
// rate: the lower of the rate and the cap. It fails as CapFor does — in particular with
// KindNotFound when no cap is in force, since parley does not price such calls — and
// with KindInvalid for a negative rate.
func (c *Caps) PriceFor(start time.Time, ft parley.FacilityType, adp int, service Service, rate Microdollars) (Price, error) {
	const op = "rates.PriceFor"
	if rate < 0 {
		return Price{}, parley.Errorf(op, parley.KindInvalid, "rate %s/min is negative", rate)
	}
	cp, err := c.CapFor(start, ft, adp, service)
	if err != nil {
		return Price{}, parley.WrapError(op, parley.KindInvalid, err)
	}
	return Price{PerMinute: min(rate, cp.Max()), Rate: rate, Cap: cp}, nil
}

// CheckFacilityRate checks a facility rate against the cap in force on its first day for
// a facility of type ft and size adp: KindNotFound (from CapFor) if no cap is in force
// then, KindForbidden with CheckRate's message (naming the cap and its source) if the
// rate is above it.
func (c *Caps) CheckFacilityRate(r FacilityRate, ft parley.FacilityType, adp int) (Cap, error) {
	const op = "rates.CheckFacilityRate"
	if err := r.Validate(); err != nil {
		return Cap{}, err
	}
	cp, err := c.CapFor(r.Effective, ft, adp, r.Service)
	if err != nil {
		return Cap{}, parley.WrapError(op, parley.KindInvalid, err)
	}
	if err := CheckRate(r.Rate, cp); err != nil {
		return Cap{}, err
	}
	return cp, nil
}
