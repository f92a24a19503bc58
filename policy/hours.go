package policy

import (
	"time"

	"parley.dev/parley"
)

// wallClock returns t's wall-clock reading in loc as a time in UTC, so that wall times can
// be compared and subtracted without zone offsets getting in the way.
func wallClock(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
}

// windowEnd reports whether the wall time w (from wallClock) falls in a calling window and,
// if so, the wall time at which that window ends.
func (wk *Week) windowEnd(w time.Time) (end time.Time, open bool) {
	midnight := time.Date(w.Year(), w.Month(), w.Day(), 0, 0, 0, 0, time.UTC)
	tod := w.Sub(midnight)
	day := w.Weekday()
	for _, win := range wk[day] {
		start, stop := minutes(win.Start), minutes(win.End)
		switch {
		case win.CrossesMidnight() && tod >= start:
			return midnight.Add(24*time.Hour + stop), true
		case !win.CrossesMidnight() && tod >= start && tod < stop:
			return midnight.Add(stop), true
		}
	}
	for _, win := range wk[(day+6)%7] { // yesterday's windows running past midnight
		if stop := minutes(win.End); win.CrossesMidnight() && tod < stop {
			return midnight.Add(stop), true
		}
	}
	return time.Time{}, false
}

func minutes(c Clock) time.Duration { return time.Duration(c) * time.Minute }

// inHours reports whether the calling hours are open at t. It is the definition openFor
// must agree with, and the tests and the fuzz target check it does.
func (wk *Week) inHours(t time.Time, loc *time.Location) bool {
	_, open := wk.windowEnd(wallClock(t, loc))
	return open
}

// maxHoursSteps bounds openFor's walk: at most one step per adjacent window (at least a
// minute long) or zone transition within MaxCallCeiling, with a wide margin.
const maxHoursSteps = 4 * int(MaxCallCeiling/time.Minute)

// openFor reports whether the calling hours are open at now and, if so, for how long they
// stay open without a break, looking no further than horizon: adjacent windows (Monday
// 20:00–24:00 then Tuesday 00:00–01:00) count as one stretch. A window closes at the first
// instant the wall clock no longer reads a time inside it, which on DST days is not its
// nominal length: the walk steps to the window's end on the current zone offset, or to the
// next zone transition if that comes first, and looks again.
func (wk *Week) openFor(now time.Time, loc *time.Location, horizon time.Duration) (time.Duration, bool) {
	t := now
	for range maxHoursSteps {
		w := wallClock(t, loc)
		end, open := wk.windowEnd(w)
		if !open {
			if t.Equal(now) {
				return 0, false
			}
			return t.Sub(now), true
		}
		next := t.Add(end.Sub(w)) // end of window if the offset does not change
		if _, zoneEnd := t.In(loc).ZoneBounds(); !zoneEnd.IsZero() && zoneEnd.After(t) && zoneEnd.Before(next) {
			next = zoneEnd
		}
		t = next
		if t.Sub(now) >= horizon {
			return horizon, true
		}
	}
	return min(t.Sub(now), horizon), true
}

// MonthBounds returns the calendar month containing now in the facility's time zone, as
// [start, end): the store sums an inmate's call minutes started in that span into
// Facts.UsedThisMonth. A call counts against the month it starts in. It returns a
// KindInvalid error for an unknown time zone.
func MonthBounds(now time.Time, timezone string) (start, end time.Time, err error) {
	loc, err := location(timezone)
	if err != nil {
		return time.Time{}, time.Time{}, parley.WrapError("policy.MonthBounds", parley.KindInvalid, err)
	}
	l := now.In(loc)
	start = time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, loc)
	return start, start.AddDate(0, 1, 0), nil
}
