// Package policy is parley's call-policy engine: whether an inmate may place a call now,
// and for how long. It is pure: Evaluate reads only the Facts it is given (the facility's
// Rules, the inmate's state, the dialed number, counts and times the store gathered) and
// does no I/O, apart from reading a time zone from the zone database once per name.
//
// # Precedence
//
// When several reasons to refuse apply, a call is refused for the first of them, in this
// fixed order (Precedence):
//
//  1. invalid_input — the rules, inmate state or facts do not validate: fail closed.
//  2. lockdown — a locked-down facility refuses everything, before any PIN is looked at.
//  3. pin_locked — a locked PIN is refused whether or not this PIN was right, so a
//     guesser learns nothing during the lockout.
//  4. pin_invalid — no inmate matched, or the PIN was wrong. Nothing about the number is
//     revealed to a caller who has not identified themselves.
//  5. blocked_prefix, blocked_facility, blocked_by_called_party, not_allowed — the
//     number can never be called from here (until someone changes a list), so it is
//     told before anything that passes with time. Facility blocks come before the
//     called party's own block, so the facility's decision is the one announced, and
//     an allowed-list entry never overrides a block. A dialed number that is not E.164
//     is not_allowed.
//  6. quota_exceeded, outside_hours, inmate_busy, too_soon, facility_busy — reasons that
//     pass with time, from the longest-lasting (the month's quota) to the shortest (a
//     free line), so an inmate told to wait is not refused next for something they
//     could have been told first.
//
// # Limits
//
// An allowed call's Decision.MaxDuration is the least of: the facility's MaxCallLength
// (required), the inmate's MaxCallLength, the dialed number's MaxCallLength on the
// allowed list, the minutes left of the monthly quota (the inmate's quota if set, else the
// facility's) and the time until the calling hours close. Decision.Limit names which.
// Zero values of the optional limits mean "no limit". Caps only ever shorten a call; a
// quota override replaces the facility's quota and may be larger.
//
// # Time
//
// Calling hours are wall-clock windows per weekday in the facility's time zone
// (Rules.Timezone, as parley.Facility.Timezone; "" is UTC). A window may cross midnight;
// it belongs to the weekday it starts on. A window is open while the wall clock reads a
// time inside it, so daylight-saving days change its real length (see Window), and
// adjacent windows join: a call is cut only when the hours actually close. The monthly
// quota counts calls started in the calendar month in facility time (MonthBounds). The
// minimum gap runs from Facts.LastCallEnd; a last call that ended "in the future" (a clock
// skew between servers) counts as too soon. An inmate may have one call at a time.
//
// # PINs
//
// RegisterPINFailure counts a wrong PIN and, at the rules' threshold, locks the PIN for
// PINLockout; ResetPINFailures clears the count after a correct PIN. Both return a new
// state for the store to save.
package policy
