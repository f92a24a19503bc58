package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/rates"
)

func init() {
	register("rates set", "rates set --facility ID --audio DOLLARS_PER_MIN [--video DOLLARS_PER_MIN] [--from YYYY-MM-DD]", runRatesSet)
}

// runRatesSet sets a facility's per-minute rates from a day (default: today in the
// facility's time zone). A rate above the FCC cap in force that day, or on a day no cap is
// in force, is refused with the cap and its source named, and nothing is written.
func runRatesSet(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("rates set")
	df := m.addDataFlags(fs)
	facility := fs.String("facility", "", "facility id")
	audio := fs.String("audio", "", "audio rate in dollars per minute, e.g. 0.06 or 0.2149")
	video := fs.String("video", "", "video rate in dollars per minute")
	from := fs.String("from", "", "first day in force, YYYY-MM-DD (default: today at the facility)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("facility", *facility, "audio", *audio); err != nil {
		return err
	}
	var want []rates.FacilityRate
	for _, s := range []struct {
		svc rates.Service
		arg string
	}{{rates.Audio, *audio}, {rates.Video, *video}} {
		if s.arg == "" {
			continue
		}
		r, err := rates.ParseDollars(s.arg)
		if err != nil {
			return parley.WrapError("--"+string(s.svc), parley.KindInvalid, err)
		}
		want = append(want, rates.FacilityRate{FacilityID: *facility, Service: s.svc, Rate: r})
	}
	day, err := parseDay("from", *from, time.Time{})
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
		var lines []string
		for i := range want {
			want[i].Effective, want[i].SetBy = day, parley.ActorFromContext(ctx)
			cp, err := caps.CheckFacilityRate(want[i], f.Type, f.ADP)
			if err != nil {
				return err
			}
			lines = append(lines, fmt.Sprintf("%s %s/min (cap %s, %s)", want[i].Service, want[i].Rate, cp.Max(), cp.Source.Order))
		}
		if err := e.audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: "rates.set",
			Object: "facility:" + f.ID, Outcome: parley.OutcomeOK,
			Detail: "from " + day.Format(time.DateOnly) + ": " + strings.Join(lines, "; ")}); err != nil {
			return err
		}
		if err := e.db.SetFacilityRates(ctx, caps, want); err != nil {
			return err
		}
		m.printf("facility %s from %s: %s\n", f.ID, day.Format(time.DateOnly), strings.Join(lines, "; "))
		return nil
	})
}
