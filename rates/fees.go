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
	ThirdPartyFinancial FeeKind = "third_party_financial" // a money-transfer service's fee, passed through
	SingleCall          FeeKind = "single_call"           // a single call billed through a third party
	SiteCommission      FeeKind = "site_commission"       // never charged to callers
)

// Valid reports whether k is a known kind.
func (k FeeKind) Valid() bool {
	switch k {
	case AutomatedPayment, LiveAgent, PaperBill, ThirdPartyFinancial, SingleCall, SiteCommission:
		return true
	}
	return false
}

// FeeRule allows a kind of fee, at most Max, for calls and payments on days in [From, To).
// A zero To is open-ended.
type FeeRule struct {
	Kind     FeeKind
	From, To time.Time
	Max      Microdollars
	Source   Source
}

type fileFee struct {
	Kind FeeKind `json:"kind"`
	From string  `json:"from"`
	To   string  `json:"to"`
	Max  string  `json:"max"`
	fileSource
}

// parseFees checks the fee rules: known kinds (never a site commission), dates in order,
// a maximum, a source, and no two rules of one kind overlapping.
func parseFees(in []fileFee) ([]FeeRule, error) {
	var out []FeeRule
	for i, ff := range in {
		row := fmt.Sprintf("fee %d (%s)", i+1, ff.Kind)
		if !ff.Kind.Valid() || ff.Kind == SiteCommission {
			return nil, fmt.Errorf("%s: unknown or forbidden fee kind", row)
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
		r := FeeRule{Kind: ff.Kind, From: from, To: to, Max: max, Source: src}
		for _, o := range out {
			if o.Kind == r.Kind && (o.To.IsZero() || r.From.Before(o.To)) && (r.To.IsZero() || o.From.Before(r.To)) {
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

// FeeAllowed returns the rule allowing a fee of that kind on date's calendar day, or a
// KindForbidden error saying why none may be charged: since FCC 24-75 (in parley's data
// from 2025-01-01) no separate ancillary service charge may be imposed; before a fee cap
// existed parley charges none, since it cannot show the fee was cost-based; and a site
// commission is never charged to a caller. KindInvalid for an unknown kind.
func (c *Caps) FeeAllowed(date time.Time, kind FeeKind) (FeeRule, error) {
	const op = "rates.FeeAllowed"
	if !kind.Valid() {
		return FeeRule{}, parley.Errorf(op, parley.KindInvalid, "unknown fee kind %q", kind)
	}
	if kind == SiteCommission {
		return FeeRule{}, parley.Errorf(op, parley.KindForbidden,
			"site commissions are never charged to callers: parley's rates include every cent a caller pays")
	}
	day := civilDay(date)
	var ended *FeeRule
	for i, r := range c.fees {
		if r.Kind != kind {
			continue
		}
		if r.covers(day) {
			return r, nil
		}
		if !r.To.IsZero() && !day.Before(r.To) {
			ended = &c.fees[i]
		}
	}
	if ended != nil {
		return FeeRule{}, parley.Errorf(op, parley.KindForbidden,
			"no %s fee may be charged on %s: the allowance under %s ended on %s, and FCC 24-75 prohibits separate ancillary service charges",
			kind, day.Format(time.DateOnly), ended.Source.Order, ended.To.Format(time.DateOnly))
	}
	return FeeRule{}, parley.Errorf(op, parley.KindForbidden,
		"no %s fee may be charged on %s: no rule in caps version %s allows it", kind, day.Format(time.DateOnly), c.version)
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
