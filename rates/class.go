package rates

import (
	"fmt"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/ledger"
)

// CallClass says what kind of call is priced. The zero value is a voice call.
type CallClass string

// Call classes 47 CFR § 64.6040(d) prices differently.
const (
	Voice     CallClass = "voice"     // an ordinary call: the facility's rate, never above the cap
	Relay     CallClass = "trs"       // a TRS (relay) call other than captioned: no charge to any party
	Captioned CallClass = "captioned" // IP CTS or CTS: never more than a voice call of the same length
)

// Valid reports whether k is a known class (empty counts as Voice).
func (k CallClass) Valid() bool { return k == "" || k == Voice || k == Relay || k == Captioned }

func (k CallClass) orVoice() CallClass {
	if k == "" {
		return Voice
	}
	return k
}

// ClassCharge is what a class of call may be charged.
type ClassCharge string

// Class charges.
const (
	NoCharge    ClassCharge = "none"          // nothing, from anyone, for the call or the device
	AtMostVoice ClassCharge = "at_most_voice" // no more than a voice call of the same duration
)

// ClassRule is the data file's rule for a class of call, with its source. parley applies
// it to calls on every date, From included or not: charging a relay call nothing, and a
// captioned call no more than a voice call, is always lawful. From is the date the cited
// text took effect.
type ClassRule struct {
	Class  CallClass
	Charge ClassCharge
	From   time.Time
	Source Source
}

// want is the charge parley's code applies to each class; the data must agree.
var classCharge = map[CallClass]ClassCharge{Relay: NoCharge, Captioned: AtMostVoice}

type fileClass struct {
	Class  CallClass   `json:"class"`
	Charge ClassCharge `json:"charge"`
	From   string      `json:"from"`
	fileSource
}

// parseClasses checks the class rules: one for each of Relay and Captioned, saying what
// the code does, dated and sourced.
func parseClasses(in []fileClass) (map[CallClass]ClassRule, error) {
	out := map[CallClass]ClassRule{}
	for i, fc := range in {
		row := fmt.Sprintf("call class %d (%s)", i+1, fc.Class)
		want, ok := classCharge[fc.Class]
		switch {
		case !ok:
			return nil, fmt.Errorf("%s: class must be trs or captioned", row)
		case fc.Charge != want:
			return nil, fmt.Errorf("%s: charge must be %q, the rule parley applies", row, want)
		case out[fc.Class].Class != "":
			return nil, fmt.Errorf("%s: a second rule for the class", row)
		}
		from, err := time.Parse(time.DateOnly, fc.From)
		if err != nil {
			return nil, fmt.Errorf("%s: from must be a date", row)
		}
		src, err := fc.fileSource.parse()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", row, err)
		}
		out[fc.Class] = ClassRule{Class: fc.Class, Charge: fc.Charge, From: from, Source: src}
	}
	for k := range classCharge {
		if _, ok := out[k]; !ok {
			return nil, fmt.Errorf("no rule for %s calls", k)
		}
	}
	return out, nil
}

// ClassRule returns the rule for a relay or captioned call, and false for a voice call
// (priced by the caps alone) or an unknown class.
func (c *Caps) ClassRule(k CallClass) (ClassRule, bool) {
	r, ok := c.classes[k]
	return r, ok
}

// CallRequest is a call to price: when it starts (in the facility's time zone), where,
// which service and class, and the facility's per-minute rate in force that day.
type CallRequest struct {
	Start    time.Time
	Facility parley.FacilityType
	ADP      int
	Service  Service
	Class    CallClass // empty: Voice
	Rate     Microdollars
}

// PriceCall prices a call of any class under 47 CFR § 64.6040(d):
//
//   - Voice: as PriceFor, the lower of the facility's rate and the cap in force.
//   - Relay (TRS other than captioned): $0 per minute, on every date and whatever the
//     rate; no cap needs to be in force to charge nothing.
//   - Captioned (IP CTS, CTS): the voice price of the same call, never more.
//
// It fails as PriceFor does (for Relay only on bad arguments) and with KindInvalid for an
// unknown class.
func (c *Caps) PriceCall(req CallRequest) (Price, error) {
	const op = "rates.PriceCall"
	class := req.Class.orVoice()
	switch {
	case !class.Valid():
		return Price{}, parley.Errorf(op, parley.KindInvalid, "call class must be voice, trs or captioned")
	case req.Rate < 0:
		return Price{}, parley.Errorf(op, parley.KindInvalid, "rate %s/min is negative", req.Rate)
	case class == Relay:
		if !req.Facility.Valid() || !req.Service.Valid() || req.Start.IsZero() {
			return Price{}, parley.Errorf(op, parley.KindInvalid, "a facility type, a service and a start are required")
		}
		cp, err := c.CapFor(req.Start, req.Facility, req.ADP, req.Service)
		if err != nil && !parley.IsKind(err, parley.KindNotFound) {
			return Price{}, err
		}
		return Price{PerMinute: 0, Rate: req.Rate, Cap: cp, Class: Relay, Rule: c.classes[Relay]}, nil
	}
	p, err := c.PriceFor(req.Start, req.Facility, req.ADP, req.Service, req.Rate)
	if err != nil {
		return Price{}, err
	}
	p.Class = class
	if class == Captioned {
		p.Rule = c.classes[Captioned] // the voice price is the most it may be
	}
	return p, nil
}

// Charge returns what the priced call costs for duration d (Charge's rule: by the second,
// rounded down to the cent). A relay call costs nothing whatever PerMinute says.
func (p Price) Charge(d time.Duration) ledger.Cents {
	if p.Class == Relay {
		return 0
	}
	return Charge(d, p.PerMinute)
}
