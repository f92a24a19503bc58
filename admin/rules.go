package admin

import (
	"context"
	"slices"
	"strings"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/policy"
)

// RulesChange is a change of a facility's call rules: nil fields keep their value.
type RulesChange struct {
	Hours          *policy.Week
	MaxCall        *time.Duration
	MinGap         *time.Duration
	MonthlyQuota   *time.Duration
	MaxConcurrent  *int
	OpenDialing    *bool
	Lockdown       *bool
	PINMaxFailures *int
	PINLockout     *time.Duration
}

// names lists the changed settings under their CLI flag names, sorted (the audit detail).
func (c RulesChange) names() []string {
	var out []string
	add := func(set bool, name string) {
		if set {
			out = append(out, name)
		}
	}
	add(c.Hours != nil, "hours")
	add(c.MaxCall != nil, "max-call")
	add(c.MinGap != nil, "min-gap")
	add(c.MonthlyQuota != nil, "monthly-quota")
	add(c.MaxConcurrent != nil, "max-concurrent")
	add(c.OpenDialing != nil, "open-dialing")
	add(c.Lockdown != nil, "lockdown")
	add(c.PINMaxFailures != nil, "pin-failures")
	add(c.PINLockout != nil, "pin-lockout")
	slices.Sort(out)
	return out
}

// SetRules applies a change to a facility's call rules. A facility without rules needs
// hours and a maximum call length. The result is validated (policy.Rules.Validate) before
// the change is audited ("facility.rules", detail "set NAMES") and stored.
func (s *Service) SetRules(ctx context.Context, facilityID string, c RulesChange) (policy.Rules, error) {
	const op = "admin.SetRules"
	changed := c.names()
	if len(changed) == 0 {
		return policy.Rules{}, parley.Errorf(op, parley.KindInvalid, "nothing to change: give at least one rule")
	}
	f, err := s.facility(ctx, facilityID)
	if err != nil {
		return policy.Rules{}, err
	}
	r, err := s.Rules.CallRules(ctx, f.ID)
	switch {
	case parley.IsKind(err, parley.KindNotFound):
		if c.Hours == nil || c.MaxCall == nil {
			return policy.Rules{}, parley.Errorf(op, parley.KindInvalid, "facility %s has no rules yet: calling hours and the maximum call length are required", f.ID)
		}
		r = policy.Rules{FacilityID: f.ID, Timezone: f.Timezone}
	case err != nil:
		return policy.Rules{}, err
	}
	if c.Hours != nil {
		r.Hours = *c.Hours
	}
	for _, d := range []struct {
		src *time.Duration
		dst *time.Duration
	}{{c.MaxCall, &r.MaxCallLength}, {c.MinGap, &r.MinGap}, {c.MonthlyQuota, &r.MonthlyQuota}, {c.PINLockout, &r.PINLockout}} {
		if d.src != nil {
			*d.dst = *d.src
		}
	}
	if c.MaxConcurrent != nil {
		r.MaxConcurrent = *c.MaxConcurrent
	}
	if c.OpenDialing != nil {
		r.OpenDialing = *c.OpenDialing
	}
	if c.Lockdown != nil {
		r.Lockdown, r.LockdownUntil = *c.Lockdown, time.Time{}
	}
	if c.PINMaxFailures != nil {
		r.PINMaxFailures = *c.PINMaxFailures
	}
	if err := r.Validate(); err != nil {
		return policy.Rules{}, err
	}
	if err := s.act(ctx, "facility.rules", "facility:"+f.ID, "set "+strings.Join(changed, ","), func() error {
		return s.Rules.SetCallRules(ctx, r)
	}); err != nil {
		return policy.Rules{}, err
	}
	return r, nil
}

// DayNames are the weekday names calling hours use, Sunday first.
var DayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func parseWeekday(s string) (int, bool) {
	for i, d := range DayNames {
		if strings.EqualFold(s, d) {
			return i, true
		}
	}
	return 0, false
}

// ParseHours parses calling hours: comma-separated items "DAYS HH:MM-HH:MM", where DAYS is
// a day ("mon"), a range ("mon-fri", "fri-mon" wraps) or "daily". A day may be named in
// several items for several windows. Overlaps are left to policy.Rules.Validate.
func ParseHours(s string) (policy.Week, error) {
	const op = "hours"
	var wk policy.Week
	bad := func(item, why string) error {
		return parley.Errorf(op, parley.KindInvalid, "hours %q: %s (want e.g. 'mon-fri 08:00-22:00,sat-sun 09:00-21:00')", item, why)
	}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		fields := strings.Fields(item)
		if len(fields) != 2 {
			return wk, bad(item, "want DAYS and HH:MM-HH:MM")
		}
		w, err := policy.ParseWindow(fields[1])
		if err != nil {
			return wk, bad(item, "window must be HH:MM-HH:MM")
		}
		var days []int
		if strings.EqualFold(fields[0], "daily") {
			days = []int{0, 1, 2, 3, 4, 5, 6}
		} else {
			a, b, isRange := strings.Cut(fields[0], "-")
			from, ok1 := parseWeekday(a)
			to, ok2 := from, true
			if isRange {
				to, ok2 = parseWeekday(b)
			}
			if !ok1 || !ok2 {
				return wk, bad(item, "days must be sun…sat, a range such as mon-fri, or daily")
			}
			for d := from; ; d = (d + 1) % 7 {
				days = append(days, d)
				if d == to {
					break
				}
			}
		}
		for _, d := range days {
			wk[d] = append(wk[d], w)
		}
	}
	return wk, nil
}

// FormatHours renders calling hours one item per day and window, in the syntax ParseHours
// reads.
func FormatHours(wk policy.Week) string {
	var items []string
	for d, ws := range wk {
		for _, w := range ws {
			items = append(items, DayNames[d]+" "+w.String())
		}
	}
	return strings.Join(items, ",")
}
