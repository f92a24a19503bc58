package main

import (
	"context"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/rates"
)

func init() {
	register("rates show", "rates show --facility ID [--on YYYY-MM-DD] [--json]", runRatesShow)
}

// rateView is one service's line of `rates show`: the facility's rate, the cap in force
// and its source, and what a call is charged (the lower of the two).
type rateView struct {
	Service       string `json:"service"`
	Rate          string `json:"rate,omitempty"`      // the facility's rate per minute; empty if none is set
	RateFrom      string `json:"rate_from,omitempty"` // first day of that rate
	SetBy         string `json:"set_by,omitempty"`
	Cap           string `json:"cap,omitempty"` // the cap in force per minute; empty if none is
	CapDescribed  string `json:"cap_described,omitempty"`
	CapFrom       string `json:"cap_from,omitempty"`
	CapSource     string `json:"cap_source,omitempty"`
	CapSourceNote string `json:"cap_source_note,omitempty"`
	Charged       string `json:"charged,omitempty"` // per minute; empty if calls are not priced
	Capped        bool   `json:"capped"`            // the cap, not the rate, sets the charge
	Note          string `json:"note,omitempty"`    // why a call is not priced
}

// ratesView is the --json output of `rates show`.
type ratesView struct {
	Facility    string     `json:"facility"`
	Type        string     `json:"type"`
	ADP         int        `json:"adp"`
	On          string     `json:"on"`
	CapsVersion string     `json:"caps_version"`
	Services    []rateView `json:"services"`
}

// runRatesShow prints a facility's rate for each service on a day, the cap in force that
// day with its source, and what a call starting that day is charged per minute.
func runRatesShow(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("rates show")
	df := m.addDataFlags(fs)
	facility := fs.String("facility", "", "facility id")
	on := fs.String("on", "", "day, YYYY-MM-DD (default: today at the facility)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("facility", *facility); err != nil {
		return err
	}
	day, err := parseDay("on", *on, time.Time{})
	if err != nil {
		return err
	}
	caps, err := m.caps()
	if err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		f, day, err := e.facilityDay(ctx, *facility, day)
		if err != nil {
			return err
		}
		out := ratesView{Facility: f.ID, Type: string(f.Type), ADP: f.ADP, On: day.Format(time.DateOnly), CapsVersion: caps.Version()}
		for _, svc := range []rates.Service{rates.Audio, rates.Video} {
			v := rateView{Service: string(svc)}
			r, rerr := e.db.FacilityRate(ctx, f.ID, svc, day)
			switch {
			case rerr == nil:
				v.Rate, v.RateFrom, v.SetBy = r.Rate.String(), r.Effective.Format(time.DateOnly), r.SetBy
			case parley.IsKind(rerr, parley.KindNotFound):
				v.Note = "no rate set: calls are not priced"
			default:
				return rerr
			}
			cp, cerr := caps.CapFor(day, f.Type, f.ADP, svc)
			switch {
			case cerr == nil:
				v.Cap, v.CapDescribed, v.CapFrom = cp.Max().String(), cp.Describe(), cp.Effective.Format(time.DateOnly)
				v.CapSource, v.CapSourceNote = cp.Source.String(), cp.Source.Note
			case parley.IsKind(cerr, parley.KindNotFound):
				v.Note = "no cap in force: calls are not priced"
			default:
				return cerr
			}
			if rerr == nil && cerr == nil {
				p, err := caps.PriceFor(day, f.Type, f.ADP, svc, r.Rate)
				if err != nil {
					return err
				}
				v.Charged, v.Capped = p.PerMinute.String(), p.Capped()
			}
			out.Services = append(out.Services, v)
		}
		if *asJSON {
			return m.writeJSON(out)
		}
		m.printf("facility %s (%s, ADP %d) on %s, caps data %s\n", f.ID, f.Type, f.ADP, out.On, out.CapsVersion)
		for _, v := range out.Services {
			m.printf("%s:\n", v.Service)
			if v.Rate != "" {
				m.printf("  rate     %s/min from %s (set by %s)\n", v.Rate, v.RateFrom, v.SetBy)
			} else {
				m.printf("  rate     none set\n")
			}
			if v.Cap != "" {
				m.printf("  cap      %s, in force from %s\n", v.CapDescribed, v.CapFrom)
				m.printf("  source   %s\n", v.CapSource)
			} else {
				m.printf("  cap      none in force\n")
			}
			switch {
			case v.Charged == "":
				m.printf("  charged  nothing: %s\n", v.Note)
			case v.Capped:
				m.printf("  charged  %s/min: the cap, which is below the facility's rate\n", v.Charged)
			default:
				m.printf("  charged  %s/min\n", v.Charged)
			}
		}
		return nil
	})
}
