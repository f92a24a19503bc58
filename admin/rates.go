package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/billing"
	"parley.dev/parley/rates"
)

// RateRequest is a change of a facility's per-minute rates: dollar strings ("0.06"),
// empty for a service left alone; Day zero means today in the facility's time zone.
// International, if given, is always refused (see SetRates): parley keeps no separate
// international rate.
type RateRequest struct {
	FacilityID    string
	Audio, Video  string
	International string
	Day           time.Time
}

// SetRates sets a facility's rates from a day. A rate above the cap in force that day, or
// on a day no cap is in force, is refused with the cap and its source named, and nothing is
// audited or written. It returns one line per service: rate, cap and the cap's order.
//
// An international rate is refused whatever it is, and nothing is written: above the
// domestic audio cap with rates.CheckInternationalRate's message (parley records no
// termination cost, the only thing 47 CFR § 64.6030(e) allows on top), at or below it
// because international calls are charged the facility's audio rate.
func (s *Service) SetRates(ctx context.Context, req RateRequest) ([]string, time.Time, error) {
	const op = "admin.SetRates"
	if req.International != "" {
		return nil, time.Time{}, s.refuseInternational(ctx, req)
	}
	var want []rates.FacilityRate
	for _, x := range []struct {
		svc rates.Service
		arg string
	}{{rates.Audio, req.Audio}, {rates.Video, req.Video}} {
		if x.arg == "" {
			continue
		}
		r, err := rates.ParseDollars(x.arg)
		if err != nil {
			return nil, time.Time{}, &parley.Error{Op: op, Kind: parley.KindInvalid, Message: string(x.svc) + " rate", Err: err}
		}
		want = append(want, rates.FacilityRate{FacilityID: req.FacilityID, Service: x.svc, Rate: r})
	}
	if len(want) == 0 {
		return nil, time.Time{}, parley.Errorf(op, parley.KindInvalid, "give an audio or a video rate")
	}
	f, day, err := s.FacilityDay(ctx, req.FacilityID, req.Day)
	if err != nil {
		return nil, time.Time{}, err
	}
	var lines []string
	for i := range want {
		want[i].Effective, want[i].SetBy = day, parley.ActorFromContext(ctx)
		cp, err := s.Caps.CheckFacilityRate(want[i], f.Type, f.ADP)
		if err != nil {
			return nil, time.Time{}, err
		}
		lines = append(lines, fmt.Sprintf("%s %s/min (cap %s, %s)", want[i].Service, want[i].Rate, cp.Max(), cp.Source.Order))
	}
	if err := s.act(ctx, "rates.set", "facility:"+f.ID, "from "+day.Format(time.DateOnly)+": "+strings.Join(lines, "; "), func() error {
		return s.Rates.SetFacilityRates(ctx, s.Caps, want)
	}); err != nil {
		return nil, time.Time{}, err
	}
	return lines, day, nil
}

// refuseInternational says why an international rate is not set.
func (s *Service) refuseInternational(ctx context.Context, req RateRequest) error {
	const op = "admin.SetRates"
	r, err := rates.ParseDollars(req.International)
	if err != nil {
		return &parley.Error{Op: op, Kind: parley.KindInvalid, Message: "international rate", Err: err}
	}
	f, day, err := s.FacilityDay(ctx, req.FacilityID, req.Day)
	if err != nil {
		return err
	}
	cp, err := s.Caps.CheckInternationalRate(r, day, f.Type, f.ADP, rates.Audio)
	if err != nil {
		return err
	}
	return parley.Errorf(op, parley.KindInvalid,
		"international calls are charged the facility's audio rate, never above the domestic cap of %s/min: parley keeps no separate international rate; set --audio",
		cp.Max())
}

// FacilityDay finds a facility and, when day is zero, defaults it to today in the
// facility's time zone: the day a rate takes effect or a cap is looked up for.
func (s *Service) FacilityDay(ctx context.Context, id string, day time.Time) (*parley.Facility, time.Time, error) {
	f, err := s.facility(ctx, id)
	if err != nil {
		return nil, day, err
	}
	if day.IsZero() {
		local, err := billing.InZone(s.now(), f)
		if err != nil {
			return nil, day, err
		}
		day = rates.Day(local)
	}
	return f, day, nil
}

// RateView is one service's rate, the cap in force and its source, and what a call is
// charged (the lower of the two).
type RateView struct {
	Service       string `json:"service"`
	Rate          string `json:"rate,omitempty"`
	RateFrom      string `json:"rate_from,omitempty"`
	SetBy         string `json:"set_by,omitempty"`
	Cap           string `json:"cap,omitempty"`
	CapDescribed  string `json:"cap_described,omitempty"`
	CapFrom       string `json:"cap_from,omitempty"`
	CapSource     string `json:"cap_source,omitempty"`
	CapSourceNote string `json:"cap_source_note,omitempty"`
	Charged       string `json:"charged,omitempty"`
	Capped        bool   `json:"capped"`
	Note          string `json:"note,omitempty"`
}

// RatesView is a facility's rates and caps on a day, the fee caps, and the rules for
// relay, captioned and international calls, each with its source.
type RatesView struct {
	Facility      string     `json:"facility"`
	Type          string     `json:"type"`
	ADP           int        `json:"adp"`
	On            string     `json:"on"`
	CapsVersion   string     `json:"caps_version"`
	Services      []RateView `json:"services"`
	Fees          []FeeView  `json:"fees"`
	Classes       []RuleView `json:"call_classes"`
	International RuleView   `json:"international"`
}

// FeeView is one kind of fee on the day: the most that may be charged and the rule's
// source, or why none may be (the refusal names the rule: FCC 24-75's ban, or no cap yet).
type FeeView struct {
	Kind   string `json:"kind"`
	Max    string `json:"max,omitempty"`
	Source string `json:"source,omitempty"`
	None   string `json:"none,omitempty"`
}

// RuleView is a pricing rule in words and its source.
type RuleView struct {
	Name   string `json:"name"`
	Rule   string `json:"rule"`
	Source string `json:"source"`
}

// feeViews says, for every kind of fee, what the rules in force on day allow at a
// facility of type ft, and on what authority.
func feeViews(caps *rates.Caps, day time.Time, ft parley.FacilityType) []FeeView {
	var out []FeeView
	for _, k := range append(rates.FeeKinds(), rates.SiteCommission) {
		v := FeeView{Kind: string(k)}
		rule, err := caps.FeeAllowed(day, ft, k)
		var pe *parley.Error
		switch {
		case err == nil:
			v.Max, v.Source = rule.Max.String(), rule.Source.String()
		case errors.As(err, &pe):
			v.None = pe.Message
		default:
			v.None = err.Error()
		}
		out = append(out, v)
	}
	return out
}

// ruleViews describes the relay, captioned and international rules.
func ruleViews(caps *rates.Caps) ([]RuleView, RuleView) {
	var classes []RuleView
	for _, x := range []struct {
		k    rates.CallClass
		rule string
	}{{rates.Relay, "free: no charge to any party, on every date"}, {rates.Captioned, "at most the voice price of the same call"}} {
		if r, ok := caps.ClassRule(x.k); ok {
			classes = append(classes, RuleView{Name: string(x.k), Rule: x.rule, Source: r.Source.String()})
		}
	}
	in := caps.International()
	return classes, RuleView{Name: "international", Rule: "at most the domestic cap (no termination cost is added); domestic: " +
		strings.Join(in.DomesticRegions, ", "), Source: in.Source.String()}
}

// ShowRates returns a facility's rate for each service on a day (zero: today there), the
// cap in force with its source, and the per-minute charge.
func (s *Service) ShowRates(ctx context.Context, facilityID string, day time.Time) (RatesView, error) {
	f, day, err := s.FacilityDay(ctx, facilityID, day)
	if err != nil {
		return RatesView{}, err
	}
	out := RatesView{Facility: f.ID, Type: string(f.Type), ADP: f.ADP, On: day.Format(time.DateOnly), CapsVersion: s.Caps.Version(),
		Fees: feeViews(s.Caps, day, f.Type)}
	out.Classes, out.International = ruleViews(s.Caps)
	for _, svc := range []rates.Service{rates.Audio, rates.Video} {
		v := RateView{Service: string(svc)}
		r, rerr := s.Rates.FacilityRate(ctx, f.ID, svc, day)
		switch {
		case rerr == nil:
			v.Rate, v.RateFrom, v.SetBy = r.Rate.String(), r.Effective.Format(time.DateOnly), r.SetBy
		case parley.IsKind(rerr, parley.KindNotFound):
			v.Note = "no rate set: calls are not charged until one is set"
		default:
			return RatesView{}, rerr
		}
		cp, cerr := s.Caps.CapFor(day, f.Type, f.ADP, svc)
		switch {
		case cerr == nil:
			v.Cap, v.CapDescribed, v.CapFrom = cp.Max().String(), cp.Describe(), cp.Effective.Format(time.DateOnly)
			v.CapSource, v.CapSourceNote = cp.Source.String(), cp.Source.Note
		case parley.IsKind(cerr, parley.KindNotFound):
			v.Note = "no cap in force: calls cannot be priced and are refused"
		default:
			return RatesView{}, cerr
		}
		if rerr == nil && cerr == nil {
			p, err := s.Caps.PriceFor(day, f.Type, f.ADP, svc, r.Rate)
			if err != nil {
				return RatesView{}, err
			}
			v.Charged, v.Capped = p.PerMinute.String(), p.Capped()
		}
		out.Services = append(out.Services, v)
	}
	return out, nil
}
