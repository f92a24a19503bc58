package main

import (
	"context"
	"strings"
	"time"

	"parley.dev/parley/admin"
)

func init() {
	register("rates set", "rates set --facility ID --audio DOLLARS_PER_MIN [--video DOLLARS_PER_MIN] [--international DOLLARS_PER_MIN] [--from YYYY-MM-DD]", runRatesSet)
}

// runRatesSet sets a facility's per-minute rates from a day (default: today in the
// facility's time zone). A rate above the FCC cap in force that day, or on a day no cap is
// in force, is refused with the cap and its source named, and nothing is written. An
// --international rate is always refused, saying why: international calls are charged the
// audio rate, never above the domestic cap (admin.SetRates).
func runRatesSet(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("rates set")
	df := m.addDataFlags(fs)
	facility := fs.String("facility", "", "facility id")
	audio := fs.String("audio", "", "audio rate in dollars per minute, e.g. 0.06 or 0.2149")
	video := fs.String("video", "", "video rate in dollars per minute")
	intl := fs.String("international", "", "refused: international calls are charged the audio rate, at most the domestic cap")
	from := fs.String("from", "", "first day in force, YYYY-MM-DD (default: today at the facility)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("facility", *facility); err != nil {
		return err
	}
	if *intl == "" {
		if err := need("audio", *audio); err != nil {
			return err
		}
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
		lines, day, err := e.admin(caps).SetRates(ctx, admin.RateRequest{FacilityID: *facility, Audio: *audio, Video: *video, International: *intl, Day: day})
		if err != nil {
			return err
		}
		m.printf("facility %s from %s: %s\n", *facility, day.Format(time.DateOnly), strings.Join(lines, "; "))
		return nil
	})
}
