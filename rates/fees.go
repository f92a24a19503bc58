package rates

import (
	"fmt"
	"slices"
	"time"

	"parley.dev/parley"
)

// FeeKind is a kind of ancillary service charge: a fee beyond the per-minute rate.
type FeeKind string

// Fee kinds the FCC rules have named. SiteCommission is listed only so that asking about
// it gets a clear refusal: parley never charges a site commission to a caller.
const (
	AutomatedPayment    FeeKind = "automated_payment"     // paying by card or web, automated
	LiveAgent           FeeKind = "live_agent"            // paying through a live agent
	PaperBill           FeeKind = "paper_bill"            // a paper bill or statement
	ThirdPartyFinancial FeeKind = "third_party_financial" // a money-transfer service's fee, channel not recorded
	// From FCC 22-76 (2023-01-09) the third-party fee cap depends on how the payment was
	// made; ThirdPartyFinancial is then held to the lower, automated cap.
	ThirdPartyAutomated FeeKind = "third_party_financial_automated"  // paid through an automated system
	ThirdPartyLiveAgent FeeKind = "third_party_financial_live_agent" // paid through a live agent
	SingleCall          FeeKind = "single_call"                      // a single call billed through a third party
	SiteCommission      FeeKind = "site_commission"                  // never charged to callers
)

// Valid reports whether k is a known kind.
func (k FeeKind) Valid() bool {
	switch k {
	case AutomatedPayment, LiveAgent, PaperBill, ThirdPartyFinancial, ThirdPartyAutomated, ThirdPartyLiveAgent,
		SingleCall, SiteCommission:
		return true
	}
	return false
}

// FeeKinds lists the kinds a caller may be charged under some rule, in display order.
func FeeKinds() []FeeKind {
	return []FeeKind{AutomatedPayment, LiveAgent, PaperBill, ThirdPartyFinancial, ThirdPartyAutomated, ThirdPartyLiveAgent, SingleCall}
}

// FeeRule allows a kind of fee, at most Max, for calls and payments on days in [From, To)
// at facilities of type Facility (empty: every type). A zero To is open-ended.
type FeeRule struct {
	Kind     FeeKind
	Facility parley.FacilityType
	From, To time.Time
	Max      Microdollars
	Source   Source
}

type fileFee struct {
	Kind     FeeKind             `json:"kind"`
	Facility parley.FacilityType `json:"facility,omitempty"`
	From     string              `json:"from"`
	To       string              `json:"to"`
	Max      string              `json:"max"`
	fileSource
}

// parseFees checks the fee rules: known kinds (never a site commission), a facility type
// if any, dates in order, a maximum, a source, and no two rules of one kind and facility
// type overlapping.
func parseFees(in []fileFee) ([]FeeRule, error) {
	var out []FeeRule
	for i, ff := range in {
		row := fmt.Sprintf("fee %d (%s)", i+1, ff.Kind)
		if !ff.Kind.Valid() || ff.Kind == SiteCommission {
			return nil, fmt.Errorf("%s: unknown or forbidden fee kind", row)
		}
		if ff.Facility != "" && !ff.Facility.Valid() {
			return nil, fmt.Errorf("%s: facility must be prison, jail or absent (every type)", row)
		}
		from, err1 := time.Parse(time.DateOnly, ff.From)
		to, err2 := time.Parse(time.DateOnly, ff.To)
		if ff.To == "" {
			to, err2 = time.Time{}, nil
		}
		if err1 != nil || err2 != nil || !to.IsZero() && !from.Before(to) {
			return nil, fmt.Errorf("%s: from and to must be dates, from before to", row)
		}
		max, err := ParseDollars(ff.Max)
		if err != nil || max == 0 {
			return nil, fmt.Errorf("%s: max must be a positive dollar amount", row)
		}
		src, err := ff.fileSource.parse()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", row, err)
		}
		r := FeeRule{Kind: ff.Kind, Facility: ff.Facility, From: from, To: to, Max: max, Source: src}
		for _, o := range out {
			sameFacility := o.Facility == "" || r.Facility == "" || o.Facility == r.Facility
			if o.Kind == r.Kind && sameFacility && (o.To.IsZero() || r.From.Before(o.To)) && (r.To.IsZero() || o.From.Before(r.To)) {
				return nil, fmt.Errorf("%s: overlaps another %s rule", row, r.Kind)
			}
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b FeeRule) int { return a.From.Compare(b.From) })
	return out, nil
}

// covers reports whether the rule is in force on day.
func (r FeeRule) covers(day time.Time) bool {
	return !day.Before(r.From) && (r.To.IsZero() || day.Before(r.To))
}

// appliesTo reports whether the rule is for facilities of type ft.
func (r FeeRule) appliesTo(ft parley.FacilityType) bool { return r.Facility == "" || r.Facility == ft }

// FeeAllowed returns the rule allowing a fee of that kind on date's calendar day at a
// facility of type ft, or a KindForbidden error saying why none may be charged: since FCC
// 24-75 (in parley's data from 2025-01-01) no separate ancillary service charge may be
// imposed; before a fee cap applied to that type of facility parley charges none, since
// it cannot show the fee was cost-based; and a site commission is never charged to a
// caller. KindInvalid for an unknown kind or facility type.
func (c *Caps) FeeAllowed(date time.Time, ft parley.FacilityType, kind FeeKind) (FeeRule, error) {
	const op = "rates.FeeAllowed"
	switch {
	case !kind.Valid():
		return FeeRule{}, parley.Errorf(op, parley.KindInvalid, "unknown fee kind %q", kind)
	case !ft.Valid():
		return FeeRule{}, parley.Errorf(op, parley.KindInvalid, "facility type must be prison or jail")
	case kind == SiteCommission:
		return FeeRule{}, parley.Errorf(op, parley.KindForbidden,
			"site commissions are never charged to callers: parley's rates include every cent a caller pays")
	}
	day := civilDay(date)
	var ended, next *FeeRule
	for i, r := range c.fees {
		if r.Kind != kind || !r.appliesTo(ft) {
			continue
		}
		switch {
		case r.covers(day):
			return r, nil
		case !r.To.IsZero() && !day.Before(r.To):
			ended = &c.fees[i]
		case next == nil && day.Before(r.From):
			next = &c.fees[i]
		}
	}
	switch {
	case ended != nil && next == nil:
		return FeeRule{}, parley.Errorf(op, parley.KindForbidden,
			"no %s fee may be charged at %ss on %s: the allowance under %s ended on %s, and FCC 24-75 prohibits separate ancillary service charges",
			kind, ft, day.Format(time.DateOnly), ended.Source.Order, ended.To.Format(time.DateOnly))
	case next != nil:
		return FeeRule{}, parley.Errorf(op, parley.KindForbidden,
			"no %s fee may be charged at %ss on %s: no federal cap on it applied there yet (the first, under %s, takes effect %s), and parley charges none it cannot show is capped",
			kind, ft, day.Format(time.DateOnly), next.Source.Order, next.From.Format(time.DateOnly))
	}
	return FeeRule{}, parley.Errorf(op, parley.KindForbidden,
		"no %s fee may be charged at %ss on %s: no rule in caps version %s allows it", kind, ft, day.Format(time.DateOnly), c.version)
}

// CheckFee returns nil if amount is allowed under rule, or a KindForbidden error naming
// the maximum and its source.
func CheckFee(amount Microdollars, rule FeeRule) error {
	const op = "rates.CheckFee"
	if amount < 0 {
		return parley.Errorf(op, parley.KindInvalid, "fee %s is negative", amount)
	}
	if amount > rule.Max {
		return parley.Errorf(op, parley.KindForbidden, "%s fee %s is above the maximum of %s (%s)",
			rule.Kind, amount, rule.Max, rule.Source)
	}
	return nil
}
