package policy

import (
	"fmt"
	"time"

	"parley.dev/parley"
)

// AllowedNumber is an entry of an inmate's allowed-number list.
type AllowedNumber struct {
	Number parley.Number
	// MaxCallLength caps calls to this number (a number approved for short calls only);
	// 0 means no cap of its own.
	MaxCallLength time.Duration
}

// Inmate is the policy state of one inmate: the store loads it, Evaluate reads it, and the
// PIN functions return updated copies for the store to save.
type Inmate struct {
	ID      string          // the inmate's id, for the caller's bookkeeping; never logged here
	Allowed []AllowedNumber // the allowed-number list
	// MaxCallLength further caps this inmate's calls; 0 means only the facility's cap. It
	// can only shorten calls: Evaluate takes the smallest of all caps.
	MaxCallLength time.Duration
	// MonthlyQuota replaces the facility's quota for this inmate (more or less); 0 means
	// the facility's.
	MonthlyQuota time.Duration
	// PINFailures counts consecutive wrong PINs since the last success or lockout.
	PINFailures int
	// LockedUntil is when a PIN lockout ends; the PIN is locked while now is before it.
	LockedUntil time.Time
}

// Validate checks the inmate state: E.164 allowed numbers without duplicates, lengths and
// quota within the facility bounds, a non-negative failure count. It returns a KindInvalid
// *parley.Error whose message starts with the field.
func (in *Inmate) Validate() error {
	const op = "policy.Inmate.Validate"
	bad := func(field, format string, args ...any) error {
		return parley.Errorf(op, parley.KindInvalid, field+": "+format, args...)
	}
	switch {
	case in.MaxCallLength < 0 || in.MaxCallLength > MaxCallCeiling:
		return bad("max_call_length", "must be between 0 and %s", MaxCallCeiling)
	case in.MonthlyQuota < 0 || in.MonthlyQuota > MaxQuotaCeiling:
		return bad("monthly_quota", "must be between 0 and %s", MaxQuotaCeiling)
	case in.PINFailures < 0:
		return bad("pin_failures", "must not be negative")
	}
	seen := make(map[parley.Number]bool, len(in.Allowed))
	for i, a := range in.Allowed {
		field := fmt.Sprintf("allowed[%d]", i)
		switch {
		case !a.Number.Valid():
			return bad(field+".number", "not an E.164 number")
		case seen[a.Number]:
			return bad(field+".number", "listed twice")
		case a.MaxCallLength < 0 || a.MaxCallLength > MaxCallCeiling:
			return bad(field+".max_call_length", "must be between 0 and %s", MaxCallCeiling)
		}
		seen[a.Number] = true
	}
	return nil
}

// Locked reports whether the inmate's PIN is locked at now.
func (in *Inmate) Locked(now time.Time) bool { return now.Before(in.LockedUntil) }

// allowed returns the allowed-list entry for n.
func (in *Inmate) allowed(n parley.Number) (AllowedNumber, bool) {
	for _, a := range in.Allowed {
		if a.Number == n {
			return a, true
		}
	}
	return AllowedNumber{}, false
}

// RegisterPINFailure records a wrong PIN at now and returns the new state and whether the
// PIN is now locked. The rules' PINMaxFailures-th consecutive failure locks the PIN for
// PINLockout and starts the count again, so after the lockout expires the inmate has the
// full number of tries again. A failure while the PIN is locked changes nothing (Evaluate
// refuses a locked PIN before looking at it). With PINMaxFailures 0 the PIN never locks.
// The caller stores the returned state.
func RegisterPINFailure(state Inmate, now time.Time, rules Rules) (Inmate, bool) {
	if state.Locked(now) {
		return state, true
	}
	if state.PINFailures < MaxPINFailures {
		state.PINFailures++
	}
	if rules.PINMaxFailures > 0 && rules.PINLockout > 0 && state.PINFailures >= rules.PINMaxFailures {
		state.PINFailures = 0
		state.LockedUntil = now.Add(rules.PINLockout)
		return state, true
	}
	return state, false
}

// ResetPINFailures returns state with no failures counted and no lockout: the SIP layer
// calls it after a correct PIN, staff to unlock an inmate early.
func ResetPINFailures(state Inmate) Inmate {
	state.PINFailures = 0
	state.LockedUntil = time.Time{}
	return state
}

// SelfBlock is a called party's request not to receive calls: from one facility, or from
// every facility when FacilityID is empty.
type SelfBlock struct {
	Number     parley.Number
	FacilityID string
}

// applies reports whether the block stops a call from facility to n.
func (b SelfBlock) applies(n parley.Number, facility string) bool {
	return b.Number == n && (b.FacilityID == "" || b.FacilityID == facility)
}
