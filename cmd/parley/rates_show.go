package main

import (
	"context"
	"time"
)

func init() {
	register("rates show", "rates show --facility ID [--on YYYY-MM-DD] [--json]", runRatesShow)
}

// runRatesShow prints a facility's rate for each service on a day, the cap in force that
// day with its source, and what a call starting that day is charged per minute; then each
// kind of fee with the cap or the ban in force and its source, and the relay, captioned
// and international rules with theirs.
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
		out, err := e.admin(caps).ShowRates(ctx, *facility, day)
		if err != nil {
			return err
		}
		if *asJSON {
			return m.writeJSON(out)
		}
		m.printf("facility %s (%s, ADP %d) on %s, caps data %s\n", out.Facility, out.Type, out.ADP, out.On, out.CapsVersion)
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
		m.printf("fees (beyond the price per minute):\n")
		for _, f := range out.Fees {
			if f.Max != "" {
				m.printf("  %-32s at most %s\n  %-32s source %s\n", f.Kind, f.Max, "", f.Source)
			} else {
				m.printf("  %-32s none: %s\n", f.Kind, f.None)
			}
		}
		m.printf("relay and captioned calls (47 CFR § 64.6040(d)):\n")
		for _, r := range out.Classes {
			m.printf("  %-10s %s\n  %-10s source %s\n", r.Name, r.Rule, "", r.Source)
		}
		m.printf("international calls: %s\n  source %s\n", out.International.Rule, out.International.Source)
		return nil
	})
}
