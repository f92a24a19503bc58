package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/admin"
	"parley.dev/parley/policy"
)

func init() {
	register("facility rules", "facility rules [show] --facility ID [--hours 'mon-fri 08:00-22:00,sat-sun 09:00-21:00'] "+
		"[--max-call 15m] [--min-gap 5m] [--monthly-quota 600m] [--max-concurrent N] [--open-dialing[=false]] "+
		"[--lockdown on|off] [--pin-failures N --pin-lockout 30m] [--json]", runFacilityRules)
}

// runFacilityRules sets a facility's call rules, or with "show" prints them. Flags not given
// keep their current value; a facility without rules needs --hours and --max-call. The
// rules are validated (windows well formed and not overlapping, lengths within bounds)
// before anything is audited or written.
func runFacilityRules(ctx context.Context, m *Main, args []string) error {
	if len(args) > 0 && args[0] == "show" {
		return runFacilityRulesShow(ctx, m, args[1:])
	}
	fs := m.flags("facility rules")
	df := m.addDataFlags(fs)
	facility := fs.String("facility", "", "facility id")
	hours := fs.String("hours", "", "calling hours, e.g. 'mon-fri 08:00-22:00,sat-sun 09:00-21:00'")
	maxCall := fs.Duration("max-call", 0, "longest call, e.g. 15m")
	minGap := fs.Duration("min-gap", 0, "least time between an inmate's calls")
	quota := fs.Duration("monthly-quota", 0, "talk time per inmate per month, e.g. 600m (0: unlimited)")
	maxConc := fs.Int("max-concurrent", 0, "most calls at once at the facility (0: no limit)")
	open := fs.Bool("open-dialing", false, "allow numbers not on the inmate's list")
	lockdown := fs.String("lockdown", "", "on or off")
	pinFailures := fs.Int("pin-failures", 0, "wrong PINs before a lockout (0: never lock)")
	pinLockout := fs.Duration("pin-lockout", 0, "how long a PIN or phone stays locked")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("facility", *facility); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !anySet(set, "hours", "max-call", "min-gap", "monthly-quota",
		"max-concurrent", "open-dialing", "lockdown", "pin-failures", "pin-lockout") {
		return usageError("nothing to change: give at least one rule flag, or use 'facility rules show'")
	}
	if set["lockdown"] && *lockdown != "on" && *lockdown != "off" {
		return usageError("--lockdown must be on or off")
	}
	var week policy.Week
	if set["hours"] {
		var err error
		if week, err = parseHours(*hours); err != nil {
			return err
		}
	}
	var c admin.RulesChange
	if set["hours"] {
		c.Hours = &week
	}
	for name, p := range map[string]**time.Duration{"max-call": &c.MaxCall, "min-gap": &c.MinGap, "monthly-quota": &c.MonthlyQuota, "pin-lockout": &c.PINLockout} {
		if set[name] {
			*p = map[string]*time.Duration{"max-call": maxCall, "min-gap": minGap, "monthly-quota": quota, "pin-lockout": pinLockout}[name]
		}
	}
	if set["max-concurrent"] {
		c.MaxConcurrent = maxConc
	}
	if set["open-dialing"] {
		c.OpenDialing = open
	}
	if set["lockdown"] {
		on := *lockdown == "on"
		c.Lockdown = &on
	}
	if set["pin-failures"] {
		c.PINMaxFailures = pinFailures
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		if _, err := e.db.CallRules(ctx, *facility); parley.IsKind(err, parley.KindNotFound) && (!set["hours"] || !set["max-call"]) {
			if _, ferr := e.store.FindFacility(ctx, *facility); ferr != nil {
				return ferr
			}
			return usageError("facility %s has no rules yet: --hours and --max-call are required", *facility)
		}
		if _, err := e.admin(nil).SetRules(ctx, *facility, c); err != nil {
			return err
		}
		m.printf("facility %s call rules set\n", *facility)
		return nil
	})
}

func anySet(set map[string]bool, names ...string) bool {
	for _, n := range names {
		if set[n] {
			return true
		}
	}
	return false
}

// runFacilityRulesShow prints a facility's call rules. Blocked numbers are counted, never
// shown (see 'block list').
func runFacilityRulesShow(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("facility rules show")
	df := m.addDataFlags(fs)
	facility := fs.String("facility", "", "facility id")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("facility", *facility); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		r, err := e.db.CallRules(ctx, *facility)
		if parley.IsKind(err, parley.KindNotFound) {
			if _, ferr := e.store.FindFacility(ctx, *facility); ferr != nil {
				return ferr
			}
			return parley.Errorf("facility rules show", parley.KindNotFound,
				"facility %s has no call rules, so every call is refused: set them with 'parley facility rules --facility %s --hours … --max-call …'", *facility, *facility)
		} else if err != nil {
			return err
		}
		if *asJSON {
			return m.writeJSON(viewRules(r))
		}
		m.printRules(r)
		return nil
	})
}

// printRules prints a facility's call rules, one per line (blocked numbers counted only).
func (m *Main) printRules(r policy.Rules) {
	v := viewRules(r)
	tz := v.Timezone
	if tz == "" {
		tz = "UTC"
	}
	m.printf("facility:        %s (%s)\n", v.Facility, tz)
	m.printf("hours:           %s\n", admin.FormatHours(r.Hours))
	quota, conc := "unlimited", "no limit"
	if r.MonthlyQuota > 0 {
		quota = v.MonthlyQuota
	}
	if r.MaxConcurrent > 0 {
		conc = fmt.Sprint(r.MaxConcurrent)
	}
	m.printf("max call:        %s\nmin gap:         %s\nmonthly quota:   %s\n", v.MaxCall, v.MinGap, quota)
	m.printf("max concurrent:  %s\nopen dialing:    %t\nlockdown:        %t\n", conc, v.OpenDialing, v.Lockdown)
	m.printf("pin lockout:     %d failures, %s\n", v.PINMaxFailures, v.PINLockout)
	m.printf("blocked:         %d number(s), prefixes %s\n", v.BlockedNumbers, fmt.Sprint(v.BlockedPrefixes))
}
