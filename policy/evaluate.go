package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"parley.dev/parley"
)

// Reason is the stable code of a refusal, stored in parley.CallRecord.Reason and used to
// pick the prompt played to the inmate. Do not rename: codes are persisted.
type Reason string

// Reasons, in order of precedence (see Precedence).
const (
	ReasonNone                 Reason = ""                        // the call is allowed
	ReasonInvalidInput         Reason = "invalid_input"           // rules, inmate state or facts failed validation
	ReasonLockdown             Reason = "lockdown"                // the facility is locked down
	ReasonPINLocked            Reason = "pin_locked"              // too many wrong PINs; locked for a while
	ReasonPINInvalid           Reason = "pin_invalid"             // unknown inmate or wrong PIN
	ReasonBlockedPrefix        Reason = "blocked_prefix"          // the number starts with a blocked prefix
	ReasonBlockedFacility      Reason = "blocked_facility"        // the facility blocks the number
	ReasonBlockedByCalledParty Reason = "blocked_by_called_party" // the called party blocked calls
	ReasonNotAllowed           Reason = "not_allowed"             // not on the allowed list (or not E.164)
	ReasonQuotaExceeded        Reason = "quota_exceeded"          // no minutes left this month
	ReasonOutsideHours         Reason = "outside_hours"           // outside calling hours
	ReasonInmateBusy           Reason = "inmate_busy"             // the inmate is on another call
	ReasonTooSoon              Reason = "too_soon"                // within the minimum gap after the last call
	ReasonFacilityBusy         Reason = "facility_busy"           // the facility's concurrent-call limit is reached
)

// precedence lists the refusal reasons, first checked first.
var precedence = []Reason{
	ReasonInvalidInput, ReasonLockdown, ReasonPINLocked, ReasonPINInvalid,
	ReasonBlockedPrefix, ReasonBlockedFacility, ReasonBlockedByCalledParty, ReasonNotAllowed,
	ReasonQuotaExceeded, ReasonOutsideHours, ReasonInmateBusy, ReasonTooSoon, ReasonFacilityBusy,
}

// Precedence returns every refusal reason in the order Evaluate checks them: when several
// apply, a call is refused for the first. See the package documentation for why.
func Precedence() []Reason { return slices.Clone(precedence) }

// Prompt returns the id of the voice prompt for the refusal: "refused_" and the reason,
// e.g. "refused_outside_hours". It is "" for ReasonNone.
func (r Reason) Prompt() string {
	if r == ReasonNone {
		return ""
	}
	return "refused_" + string(r)
}

// Limit names the limit that set an allowed call's MaxDuration.
type Limit string

// Limits on an allowed call's length. When several are equal the first listed is named.
const (
	LimitFacility Limit = "facility" // Rules.MaxCallLength
	LimitInmate   Limit = "inmate"   // Inmate.MaxCallLength
	LimitNumber   Limit = "number"   // AllowedNumber.MaxCallLength of the dialed number
	LimitQuota    Limit = "quota"    // minutes left of the monthly quota
	LimitHours    Limit = "hours"    // time until the calling hours close
)

// Facts is everything Evaluate needs, gathered by the caller (the SIP layer, from the
// store) at the moment a call is placed.
type Facts struct {
	Now    time.Time
	Rules  Rules
	Inmate *Inmate // nil if no inmate matched the entered id and PIN
	// PINVerified reports that the entered PIN matched Inmate's.
	PINVerified bool
	Dialed      parley.Number
	// UsedThisMonth is the inmate's call time in the current month (see MonthBounds).
	UsedThisMonth time.Duration
	// LastCallEnd is when the inmate's last call ended; zero if there was none.
	LastCallEnd time.Time
	// FacilityActive and InmateActive count calls in progress at the facility and of the
	// inmate.
	FacilityActive int
	InmateActive   int
	// SelfBlocks are the called-party blocks on file for the dialed number (blocks for
	// other numbers are ignored, so the store may pass more).
	SelfBlocks []SelfBlock
}

// Validate checks the facts: the rules and inmate state validate, Now is set, counts and
// minutes are not negative and self-block numbers are E.164. It returns a KindInvalid
// *parley.Error naming the field.
func (f *Facts) Validate() error {
	const op = "policy.Facts.Validate"
	if err := f.Rules.Validate(); err != nil {
		return parley.WrapError(op, parley.KindInvalid, err)
	}
	if f.Inmate != nil {
		if err := f.Inmate.Validate(); err != nil {
			return parley.WrapError(op, parley.KindInvalid, err)
		}
	}
	bad := func(field, msg string) error { return parley.Errorf(op, parley.KindInvalid, "%s: %s", field, msg) }
	switch {
	case f.Now.IsZero():
		return bad("now", "is required")
	case f.UsedThisMonth < 0:
		return bad("used_this_month", "must not be negative")
	case f.FacilityActive < 0:
		return bad("facility_active", "must not be negative")
	case f.InmateActive < 0:
		return bad("inmate_active", "must not be negative")
	}
	for i, b := range f.SelfBlocks {
		if !b.Number.Valid() {
			return bad(fmt.Sprintf("self_blocks[%d].number", i), "not an E.164 number")
		}
	}
	return nil
}

// Decision is the verdict on one call.
type Decision struct {
	Allow  bool
	Reason Reason // ReasonNone when allowed
	// MaxDuration is how long an allowed call may last: the least of the facility's
	// MaxCallLength, the inmate's MaxCallLength, the dialed number's MaxCallLength, the
	// minutes left of the monthly quota and the time until the calling hours close (see
	// Week.openFor). Zero when refused.
	MaxDuration time.Duration
	Limit       Limit  // which limit set MaxDuration; "" when refused
	Prompt      string // prompt id for a refusal (Reason.Prompt); "" when allowed
}

func refuse(r Reason) Decision { return Decision{Reason: r, Prompt: r.Prompt()} }

// Evaluate decides whether the call described by f may be placed and for how long. It is
// a pure function of f. Refusals are checked in the order of Precedence; invalid facts
// (Facts.Validate) refuse the call with ReasonInvalidInput, so the engine fails closed.
func Evaluate(f Facts) Decision {
	if err := f.Validate(); err != nil {
		return refuse(ReasonInvalidInput)
	}
	r, in, now, n := &f.Rules, f.Inmate, f.Now, f.Dialed
	loc, _ := location(r.Timezone) // checked by Validate

	if r.Lockdown && (r.LockdownUntil.IsZero() || now.Before(r.LockdownUntil)) {
		return refuse(ReasonLockdown)
	}
	if in != nil && in.Locked(now) {
		return refuse(ReasonPINLocked)
	}
	if in == nil || !f.PINVerified {
		return refuse(ReasonPINInvalid)
	}
	if !n.Valid() {
		return refuse(ReasonNotAllowed)
	}
	if slices.ContainsFunc(r.BlockedPrefixes, func(p string) bool { return strings.HasPrefix(string(n), p) }) {
		return refuse(ReasonBlockedPrefix)
	}
	if slices.Contains(r.BlockedNumbers, n) {
		return refuse(ReasonBlockedFacility)
	}
	if slices.ContainsFunc(f.SelfBlocks, func(b SelfBlock) bool { return b.applies(n, r.FacilityID) }) {
		return refuse(ReasonBlockedByCalledParty)
	}
	entry, listed := in.allowed(n)
	if !listed && !r.OpenDialing {
		return refuse(ReasonNotAllowed)
	}

	d := Decision{Allow: true, MaxDuration: r.MaxCallLength, Limit: LimitFacility}
	tighten := func(v time.Duration, l Limit) {
		if v > 0 && v < d.MaxDuration {
			d.MaxDuration, d.Limit = v, l
		}
	}
	tighten(in.MaxCallLength, LimitInmate)
	tighten(entry.MaxCallLength, LimitNumber)
	quota := r.MonthlyQuota
	if in.MonthlyQuota > 0 {
		quota = in.MonthlyQuota
	}
	if quota > 0 {
		left := quota - f.UsedThisMonth
		if left <= 0 {
			return refuse(ReasonQuotaExceeded)
		}
		tighten(left, LimitQuota)
	}
	open, ok := r.Hours.openFor(now, loc, d.MaxDuration)
	if !ok {
		return refuse(ReasonOutsideHours)
	}
	tighten(open, LimitHours)

	switch {
	case f.InmateActive > 0:
		return refuse(ReasonInmateBusy)
	case !f.LastCallEnd.IsZero() && now.Before(f.LastCallEnd.Add(r.MinGap)):
		return refuse(ReasonTooSoon)
	case r.MaxConcurrent > 0 && f.FacilityActive >= r.MaxConcurrent:
		return refuse(ReasonFacilityBusy)
	}
	return d
}
