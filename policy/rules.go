package policy

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"parley.dev/parley"
)

// Bounds on configurable values. They keep every computation far from overflow and catch
// unit mistakes (a quota typed in seconds as minutes, say).
const (
	MaxCallCeiling   = 24 * time.Hour      // the longest MaxCallLength a facility may set
	MaxGapCeiling    = 7 * 24 * time.Hour  // the longest MinGap
	MaxQuotaCeiling  = 31 * 24 * time.Hour // the largest monthly quota
	MaxLockout       = 365 * 24 * time.Hour
	MaxPINFailures   = 100 // the largest PIN lockout threshold
	MaxWindowsPerDay = 16  // calling windows starting on one weekday
)

// Clock is a wall-clock time of day in the facility's time zone, in minutes after
// midnight: 0 is 00:00, 1439 is 23:59 and EndOfDay (1440) is 24:00, which only a window's
// End may be.
type Clock int

// EndOfDay is 24:00, the end of a window that runs to midnight.
const EndOfDay Clock = 24 * 60

// ParseClock parses "HH:MM" (00:00 to 24:00).
func ParseClock(s string) (Clock, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || len(h) != 2 || len(m) != 2 || err1 != nil || err2 != nil ||
		hh < 0 || hh > 24 || mm < 0 || mm > 59 || hh == 24 && mm != 0 {
		return 0, parley.Errorf("policy.ParseClock", parley.KindInvalid, "time of day must be HH:MM between 00:00 and 24:00")
	}
	return Clock(hh*60 + mm), nil
}

// String renders the clock as "HH:MM".
func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// Window is a span of calling hours that starts on the weekday it is listed under, in the
// facility's wall-clock time. An End before Start crosses midnight: a Friday window
// 22:00–02:00 runs from Friday 22:00 to Saturday 02:00. End may be 24:00. A window is open
// while the wall clock reads a time in [Start, End), so on the day clocks spring forward a
// window 01:30–02:30 closes at 03:00 daylight time, 30 minutes after it opened, and on the
// day they fall back a window 01:00–02:00 is open for two hours.
type Window struct {
	Start, End Clock
}

// ParseWindow parses "HH:MM-HH:MM".
func ParseWindow(s string) (Window, error) {
	a, b, ok := strings.Cut(s, "-")
	start, err1 := ParseClock(a)
	end, err2 := ParseClock(b)
	if !ok || err1 != nil || err2 != nil {
		return Window{}, parley.Errorf("policy.ParseWindow", parley.KindInvalid, "window must be HH:MM-HH:MM")
	}
	return Window{Start: start, End: end}, nil
}

// String renders the window as "HH:MM-HH:MM".
func (w Window) String() string { return w.Start.String() + "-" + w.End.String() }

// CrossesMidnight reports whether the window ends on the day after it starts.
func (w Window) CrossesMidnight() bool { return w.End < w.Start }

// length is the window's length in minutes.
func (w Window) length() int {
	if w.CrossesMidnight() {
		return int(EndOfDay - w.Start + w.End)
	}
	return int(w.End - w.Start)
}

// Week holds the calling windows of each weekday, indexed by time.Weekday (Sunday is 0).
// A day with no windows has no calling hours (apart from a window of the previous day that
// crosses midnight).
type Week [7][]Window

// Rules are one facility's calling rules. The zero value of an optional field means "no
// limit"; MaxCallLength is required.
type Rules struct {
	FacilityID string // the facility these rules belong to; scopes called-party blocks
	// Timezone is the facility's IANA time zone (parley.Facility.Timezone); "" means UTC.
	// Calling hours and the quota month are in this zone.
	Timezone string
	Hours    Week // calling hours; a facility with none refuses every call
	// MaxCallLength caps every call (0 < MaxCallLength <= MaxCallCeiling).
	MaxCallLength time.Duration
	// MinGap is the least time between the end of an inmate's call and the start of the
	// next; 0 means none.
	MinGap time.Duration
	// MonthlyQuota is the minutes an inmate may talk per calendar month in facility time;
	// 0 means unlimited. Inmate.MonthlyQuota replaces it for one inmate.
	MonthlyQuota time.Duration
	// Lockdown refuses every call until LockdownUntil, or until cleared if that is zero.
	Lockdown      bool
	LockdownUntil time.Time
	// MaxConcurrent is the most calls the facility carries at once; 0 means no limit.
	MaxConcurrent int
	// OpenDialing allows numbers that are not on the inmate's allowed list.
	OpenDialing bool
	// PINMaxFailures consecutive wrong PINs lock an inmate's PIN for PINLockout; 0 never
	// locks. PINLockout must be positive when PINMaxFailures is.
	PINMaxFailures int
	PINLockout     time.Duration
	// BlockedNumbers the facility refuses to connect (victims, witnesses, staff).
	BlockedNumbers []parley.Number
	// BlockedPrefixes are E.164 prefixes the facility refuses, e.g. "+1900", "+1976".
	BlockedPrefixes []string
}

// Validate checks the rules: a valid facility id, a known time zone, well-formed and
// non-overlapping calling windows, lengths within their bounds, E.164 blocked numbers and
// prefixes. It returns a KindInvalid *parley.Error whose message starts with the field,
// e.g. "hours.friday[1]: overlaps another window".
func (r *Rules) Validate() error {
	const op = "policy.Rules.Validate"
	bad := func(field, format string, args ...any) error {
		return parley.Errorf(op, parley.KindInvalid, field+": "+format, args...)
	}
	if err := parley.ValidateID(r.FacilityID); err != nil {
		return &parley.Error{Op: op, Kind: parley.KindInvalid, Message: "facility_id", Err: err}
	}
	if _, err := location(r.Timezone); err != nil {
		return bad("timezone", "unknown time zone")
	}
	if err := validateHours(&r.Hours); err != nil {
		return &parley.Error{Op: op, Kind: parley.KindInvalid, Message: err.Error()}
	}
	switch {
	case r.MaxCallLength <= 0 || r.MaxCallLength > MaxCallCeiling:
		return bad("max_call_length", "must be positive and at most %s", MaxCallCeiling)
	case r.MinGap < 0 || r.MinGap > MaxGapCeiling:
		return bad("min_gap", "must be between 0 and %s", MaxGapCeiling)
	case r.MonthlyQuota < 0 || r.MonthlyQuota > MaxQuotaCeiling:
		return bad("monthly_quota", "must be between 0 and %s", MaxQuotaCeiling)
	case r.MaxConcurrent < 0:
		return bad("max_concurrent", "must not be negative")
	case r.PINMaxFailures < 0 || r.PINMaxFailures > MaxPINFailures:
		return bad("pin_max_failures", "must be between 0 and %d", MaxPINFailures)
	case r.PINLockout < 0 || r.PINLockout > MaxLockout || r.PINMaxFailures > 0 && r.PINLockout == 0:
		return bad("pin_lockout", "must be positive (when pin_max_failures is) and at most %s", MaxLockout)
	}
	for i, n := range r.BlockedNumbers {
		if !n.Valid() {
			return bad(fmt.Sprintf("blocked_numbers[%d]", i), "not an E.164 number")
		}
	}
	for i, p := range r.BlockedPrefixes {
		if !validPrefix(p) {
			return bad(fmt.Sprintf("blocked_prefixes[%d]", i), "must be '+' and 1 to 15 digits, not starting with 0")
		}
	}
	return nil
}

// validateHours checks each window and that no two windows of the week overlap (a window
// crossing Saturday midnight wraps to Sunday). Adjacent windows are allowed.
func validateHours(wk *Week) error {
	const weekMinutes = 7 * int(EndOfDay)
	var used [weekMinutes/64 + 1]uint64
	for d := range wk {
		if len(wk[d]) > MaxWindowsPerDay {
			return fmt.Errorf("hours.%s: more than %d windows", dayName(d), MaxWindowsPerDay)
		}
		for i, w := range wk[d] {
			field := fmt.Sprintf("hours.%s[%d]", dayName(d), i)
			switch {
			case w.Start < 0 || w.Start >= EndOfDay:
				return fmt.Errorf("%s: start must be between 00:00 and 23:59", field)
			case w.End < 0 || w.End > EndOfDay:
				return fmt.Errorf("%s: end must be between 00:00 and 24:00", field)
			case w.Start == w.End:
				return fmt.Errorf("%s: start equals end", field)
			}
			base := d*int(EndOfDay) + int(w.Start)
			for m := range w.length() {
				k := (base + m) % weekMinutes
				if used[k/64]&(1<<(k%64)) != 0 {
					return fmt.Errorf("%s: overlaps another window", field)
				}
				used[k/64] |= 1 << (k % 64)
			}
		}
	}
	return nil
}

func dayName(d int) string { return strings.ToLower(time.Weekday(d).String()) }

// validPrefix reports whether p is '+' then 1 to 15 digits, the first not 0.
func validPrefix(p string) bool {
	if len(p) < 2 || len(p) > 16 || p[0] != '+' || p[1] == '0' {
		return false
	}
	return strings.Trim(p[1:], "0123456789") == ""
}

// locations caches loaded time zones by name: the zone database is read once per name, and
// Evaluate does no I/O after the first call for a facility.
var locations sync.Map // string → *time.Location

// location returns the named IANA time zone; "" and "UTC" are UTC. "Local" is refused:
// calling hours must not depend on the server's configuration.
func location(name string) (*time.Location, error) {
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	if name == "Local" {
		return nil, parley.Errorf("policy.location", parley.KindInvalid, "the server's local zone is not a facility zone")
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, parley.WrapError("policy.location", parley.KindInvalid, err)
	}
	locations.Store(name, l)
	return l, nil
}
