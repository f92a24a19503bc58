package admin

import (
	"context"
	"fmt"
	"strings"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/billing"
	"parley.dev/parley/rates"
)

// RateRequest is a change of a facility's per-minute rates: dollar strings ("0.06"),
// empty for a service left alone; Day zero means today in the facility's time zone.
type RateRequest struct {
	FacilityID   string
	Audio, Video string
	Day          time.Time
}

// SetRates sets a facility's rates from a day. A rate above the cap in force that day, or
// on a day no cap is in force, is refused with the cap and its source named, and nothing is
// audited or written. It returns one line per service: rate, cap and the cap's order.
func (s *Service) SetRates(ctx context.Context, req RateRequest) ([]string, time.Time, error) {
	const op = "admin.SetRates"
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

// RatesView is a facility's rates and caps on a day.
type RatesView struct {
	Facility    string     `json:"facility"`
	Type        string     `json:"type"`
	ADP         int        `json:"adp"`
	On          string     `json:"on"`
	CapsVersion string     `json:"caps_version"`
	Services    []RateView `json:"services"`
}

// ShowRates returns a facility's rate for each service on a day (zero: today there), the
// cap in force with its source, and the per-minute charge.
func (s *Service) ShowRates(ctx context.Context, facilityID string, day time.Time) (RatesView, error) {
	f, day, err := s.FacilityDay(ctx, facilityID, day)
	if err != nil {
		return RatesView{}, err
	}
	out := RatesView{Facility: f.ID, Type: string(f.Type), ADP: f.ADP, On: day.Format(time.DateOnly), CapsVersion: s.Caps.Version()}
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
