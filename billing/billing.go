// Package billing prices calls: the per-minute rate a facility has set, never above the
// FCC cap in force on the day the call starts (in the facility's time zone), and the most
// a call may cost, which it reserves in the ledger before it starts.
//
// Rates are stored per facility and service from a calendar day (RateStore; sqldb
// implements it) and checked against the cap in force on that day when they are set.
// Caps change after a rate is set — a new order, or the facility moving to another size
// tier — so the price of every call is computed again at its start: the lower of the
// facility's rate and the cap in force that day (rates.Caps.PriceFor).
//
// Charger is the SIP call path's billing hook: it picks the paying account, reserves the
// most a call may cost before the trunk is dialled, charges the bridged time when the call
// ends and credits calls dropped in their first minute or ended by a system fault (see
// Classify for the table of end reasons). InactiveRefunder refunds accounts idle for 180
// days (47 CFR § 64.6130); Summarize totals a statement.
package billing

import (
	"context"
	"errors"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/ledger"
	"parley.dev/parley/rates"
)

// RateStore keeps facilities' per-minute rates. Implementations must be safe for
// concurrent use; billingtest.RunRateStore is their conformance suite.
type RateStore interface {
	// SetFacilityRates stores rates, all or none, in one transaction. Each is checked
	// with caps.CheckFacilityRate against the facility's type and ADP as stored:
	// KindNotFound if the facility does not exist or no cap is in force on a rate's first
	// day, KindForbidden (naming the cap and its source) if a rate is above the cap,
	// KindInvalid for a bad field. A rate for a day that already has one replaces it from
	// then on; the earlier row stays in the history.
	SetFacilityRates(ctx context.Context, caps *rates.Caps, rs []rates.FacilityRate) error
	// FacilityRate returns the facility's rate for service in force on on's calendar day
	// (in on's location: pass a time in the facility's zone), or KindNotFound.
	FacilityRate(ctx context.Context, facilityID string, service rates.Service, on time.Time) (rates.FacilityRate, error)
	// FacilityRates returns every rate set for the facility, ordered by service,
	// effective day and the order they were set in.
	FacilityRates(ctx context.Context, facilityID string) ([]rates.FacilityRate, error)
}

// ErrNoRate is in the chain of Price's error when the facility has no rate for the
// service on the call's day (as opposed to a missing facility or no cap in force).
var ErrNoRate = errors.New("no rate set")

// FacilityFinder finds facilities (parley.FacilityService has it).
type FacilityFinder interface {
	FindFacility(ctx context.Context, id string) (*parley.Facility, error)
}

// Pricer prices calls at a facility. All fields are required.
type Pricer struct {
	Caps       *rates.Caps
	Rates      RateStore
	Facilities FacilityFinder
}

// Quote is the price of one call.
type Quote struct {
	rates.Price
	FacilityID string
	Service    rates.Service
	Day        time.Time // the call's start day in the facility's time zone (UTC midnight)
}

// Price returns the per-minute price of a voice call of service starting at start at the
// facility: the facility's rate in force on the start day, in the facility's time zone,
// and never more than the cap in force that day. KindNotFound if the facility does not
// exist, has no rate for the service that day, or no cap is in force (parley does not
// price such calls).
func (p *Pricer) Price(ctx context.Context, facilityID string, service rates.Service, start time.Time) (Quote, error) {
	return p.PriceCall(ctx, facilityID, service, rates.Voice, start)
}

// PriceCall is Price for a call of a class (rates.Caps.PriceCall, 47 CFR § 64.6040(d)): a
// relay (TRS) call is free, whether or not the facility has a rate or a cap is in force;
// a captioned call is priced as the voice call would be, never more.
func (p *Pricer) PriceCall(ctx context.Context, facilityID string, service rates.Service, class rates.CallClass, start time.Time) (Quote, error) {
	const op = "billing.Price"
	f, err := p.Facilities.FindFacility(ctx, facilityID)
	if err != nil {
		return Quote{}, parley.WrapError(op, parley.KindNotFound, err)
	}
	local, err := InZone(start, f)
	if err != nil {
		return Quote{}, parley.WrapError(op, parley.KindInternal, err)
	}
	r, err := p.Rates.FacilityRate(ctx, f.ID, service, local)
	switch {
	case class == rates.Relay && (err == nil || parley.IsKind(err, parley.KindNotFound)):
		// Free: the rate, if any, is shown but not charged.
	case parley.IsKind(err, parley.KindNotFound):
		return Quote{}, &parley.Error{Op: op, Kind: parley.KindNotFound,
			Message: "facility " + f.ID + " has no " + string(service) + " rate on " + local.Format(time.DateOnly), Err: ErrNoRate}
	case err != nil:
		return Quote{}, parley.WrapError(op, parley.KindNotFound, err)
	}
	price, err := p.Caps.PriceCall(rates.CallRequest{Start: local, Facility: f.Type, ADP: f.ADP, Service: service, Class: class, Rate: r.Rate})
	if err != nil {
		return Quote{}, parley.WrapError(op, parley.KindNotFound, err)
	}
	return Quote{Price: price, FacilityID: f.ID, Service: service, Day: rates.Day(local)}, nil
}

// InZone returns t in the facility's time zone (UTC if it names none).
func InZone(t time.Time, f *parley.Facility) (time.Time, error) {
	if f.Timezone == "" {
		return t.UTC(), nil
	}
	loc, err := time.LoadLocation(f.Timezone)
	if err != nil {
		return time.Time{}, parley.Errorf("billing.InZone", parley.KindInvalid, "facility %s has an unknown time zone", f.ID)
	}
	return t.In(loc), nil
}

// Charge returns what a call of duration d costs at the quoted price (rates.Charge: by the
// second, rounded down to the cent); a relay call costs nothing.
func (q Quote) Charge(d time.Duration) ledger.Cents { return q.Price.Charge(d) }

// Hold returns the longest call, at most limit, that balance pays for at the quoted
// price, and the amount to reserve for it (ledger.Books.Reserve) before the call starts.
// Charges round down to the cent, so a balance of zero still affords the few seconds that
// cost less than a cent: a zero amount needs no hold (Books.Reserve refuses zero), and the
// call must still be cut off at the duration returned.
func (q Quote) Hold(balance ledger.Cents, limit time.Duration) (time.Duration, ledger.Cents) {
	d := rates.Affordable(balance, q.PerMinute, limit)
	return d, q.Charge(d)
}
