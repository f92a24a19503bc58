package main

import (
	"encoding/hex"
	"strings"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/policy"
)

// numberObject names a number in an audit event by a short keyed digest, never in clear.
func (e *env) numberObject(n parley.Number) string {
	return "number:#" + shortDigest(e.cipher.BlindIndex("number", []byte(n)))
}

// inmateObject names an inmate in an audit event by a short keyed digest of facility and id.
func (e *env) inmateObject(facilityID, inmateID string) string {
	return "inmate:#" + shortDigest(e.cipher.BlindIndex("inmate_id", []byte(facilityID+"\x00"+inmateID)))
}

func shortDigest(d []byte) string {
	if len(d) > 8 {
		d = d[:8]
	}
	return hex.EncodeToString(d)
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func parseWeekday(s string) (int, bool) {
	for i, d := range dayNames {
		if strings.EqualFold(s, d) {
			return i, true
		}
	}
	return 0, false
}

// parseHours parses calling hours: comma-separated items "DAYS HH:MM-HH:MM", where DAYS is
// a day ("mon"), a range ("mon-fri", "fri-mon" wraps) or "daily". A day may be named in
// several items for several windows. Overlaps are left to policy.Rules.Validate.
func parseHours(s string) (policy.Week, error) {
	const op = "--hours"
	var wk policy.Week
	bad := func(item, why string) error {
		return parley.Errorf(op, parley.KindInvalid, "%q: %s (want e.g. 'mon-fri 08:00-22:00,sat-sun 09:00-21:00')", item, why)
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

// formatHours renders calling hours one item per day and window, in the syntax parseHours
// reads.
func formatHours(wk policy.Week) string {
	var items []string
	for d, ws := range wk {
		for _, w := range ws {
			items = append(items, dayNames[d]+" "+w.String())
		}
	}
	return strings.Join(items, ",")
}

// rulesView is the --json form of a facility's call rules. Durations are Go durations
// ("15m0s") and whole seconds.
type rulesView struct {
	Facility        string              `json:"facility"`
	Timezone        string              `json:"timezone"`
	Hours           map[string][]string `json:"hours"`
	MaxCall         string              `json:"max_call"`
	MaxCallSeconds  int64               `json:"max_call_seconds"`
	MinGap          string              `json:"min_gap"`
	MonthlyQuota    string              `json:"monthly_quota"`
	MaxConcurrent   int                 `json:"max_concurrent"`
	OpenDialing     bool                `json:"open_dialing"`
	Lockdown        bool                `json:"lockdown"`
	LockdownUntil   *time.Time          `json:"lockdown_until,omitempty"`
	PINMaxFailures  int                 `json:"pin_max_failures"`
	PINLockout      string              `json:"pin_lockout"`
	BlockedNumbers  int                 `json:"blocked_numbers"` // a count: numbers are personal data
	BlockedPrefixes []string            `json:"blocked_prefixes"`
}

func viewRules(r policy.Rules) rulesView {
	v := rulesView{Facility: r.FacilityID, Timezone: r.Timezone, Hours: map[string][]string{},
		MaxCall: r.MaxCallLength.String(), MaxCallSeconds: int64(r.MaxCallLength / time.Second),
		MinGap: r.MinGap.String(), MonthlyQuota: r.MonthlyQuota.String(), MaxConcurrent: r.MaxConcurrent,
		OpenDialing: r.OpenDialing, Lockdown: r.Lockdown, PINMaxFailures: r.PINMaxFailures,
		PINLockout: r.PINLockout.String(), BlockedNumbers: len(r.BlockedNumbers), BlockedPrefixes: r.BlockedPrefixes}
	if v.BlockedPrefixes == nil {
		v.BlockedPrefixes = []string{}
	}
	if !r.LockdownUntil.IsZero() {
		t := r.LockdownUntil
		v.LockdownUntil = &t
	}
	for d, ws := range r.Hours {
		for _, w := range ws {
			v.Hours[dayNames[d]] = append(v.Hours[dayNames[d]], w.String())
		}
	}
	return v
}
