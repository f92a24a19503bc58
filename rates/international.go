package rates

import (
	"fmt"
	"slices"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/phone"
)

// Destination says whether a call is domestic or international for the caps.
type Destination string

// Destinations.
const (
	Domestic      Destination = "domestic"
	International Destination = "international"
)

// InternationalRule is how parley prices international calls, from the data file. The
// rules allow an international call the domestic cap plus the provider's average cost of
// terminating calls to the destination (47 CFR § 64.6030(e)); parley records no such
// cost, so it allows nothing on top: an international call is charged the facility's
// rate for the service, never above the domestic cap, and a separate international rate
// above that cap is refused. Charging below a cap is always lawful.
type InternationalRule struct {
	DomesticRegions []string // regions (ISO 3166-1 alpha-2) whose numbers are domestic
	Source          Source
}

type fileInternational struct {
	Charge          string   `json:"charge"`
	DomesticRegions []string `json:"domestic_regions"`
	fileSource
}

// atMostDomestic is the only international charge parley implements.
const atMostDomestic = "at_most_domestic_cap"

func parseInternational(fi *fileInternational) (InternationalRule, error) {
	switch {
	case fi == nil:
		return InternationalRule{}, fmt.Errorf("no international rule")
	case fi.Charge != atMostDomestic:
		return InternationalRule{}, fmt.Errorf("international: charge must be %q, the rule parley applies", atMostDomestic)
	case !slices.Contains(fi.DomesticRegions, "US"):
		return InternationalRule{}, fmt.Errorf("international: domestic_regions must include US")
	}
	for _, r := range fi.DomesticRegions {
		if len(r) != 2 || r[0] < 'A' || r[0] > 'Z' || r[1] < 'A' || r[1] > 'Z' {
			return InternationalRule{}, fmt.Errorf("international: region %q is not an ISO 3166-1 alpha-2 code", r)
		}
	}
	src, err := fi.fileSource.parse()
	if err != nil {
		return InternationalRule{}, fmt.Errorf("international: %w", err)
	}
	return InternationalRule{DomesticRegions: slices.Clone(fi.DomesticRegions), Source: src}, nil
}

// International returns the international rule and its source.
func (c *Caps) International() InternationalRule {
	r := c.intl
	r.DomesticRegions = slices.Clone(r.DomesticRegions)
	return r
}

// DestinationOf says whether a call to n is domestic or international. A number is
// domestic when its region (phone.Region) is one of the rule's domestic regions: the
// United States and its territories. Country code +1 is not enough: Canada and many
// Caribbean countries share it, and calls to them are international. A number no region
// claims is international. KindInvalid if n is not E.164.
func (c *Caps) DestinationOf(n parley.Number) (Destination, error) {
	if !n.Valid() {
		return "", parley.Errorf("rates.DestinationOf", parley.KindInvalid, "not an E.164 number")
	}
	if slices.Contains(c.intl.DomesticRegions, phone.Region(n)) {
		return Domestic, nil
	}
	return International, nil
}

// CheckInternationalRate refuses a per-minute international rate above the domestic cap
// in force on date at a facility of type ft and size adp (KindForbidden, saying why), as
// CapFor fails when no cap is in force, and accepts one at or below it.
func (c *Caps) CheckInternationalRate(rate Microdollars, date time.Time, ft parley.FacilityType, adp int, service Service) (Cap, error) {
	const op = "rates.CheckInternationalRate"
	if rate < 0 {
		return Cap{}, parley.Errorf(op, parley.KindInvalid, "rate %s/min is negative", rate)
	}
	cp, err := c.CapFor(date, ft, adp, service)
	if err != nil {
		return Cap{}, err
	}
	if rate > cp.Max() {
		return Cap{}, parley.Errorf(op, parley.KindForbidden,
			"international rate %s/min is above the domestic cap of %s in force on %s (%s): "+
				"the rules allow an international call only the domestic cap plus the provider's average cost of terminating calls to the destination (%s), "+
				"and parley records no such cost, so it charges international calls at most the domestic cap",
			rate, cp.Describe(), cp.On.Format(time.DateOnly), cp.Source.Order, c.intl.Source.Section)
	}
	return cp, nil
}
