package policy

import "time"

// The rules a new facility starts with (DefaultRules). They let calls through at once,
// within common limits, so that a facility is usable from `parley facility add`; an admin
// changes any of them with `parley facility rules` or on the facility's page.
const (
	DefaultOpen          Clock         = 7 * 60  // calls from 07:00 …
	DefaultClose         Clock         = 22 * 60 // … to 22:00, every day, facility time
	DefaultMaxCall       time.Duration = 15 * time.Minute
	DefaultPINMaxFailure               = 5 // wrong PINs in a row before a lockout
	DefaultPINLockout    time.Duration = 15 * time.Minute
)

// DefaultRules returns the rules of a new facility in timezone: calls every day from 07:00
// to 22:00 facility time, at most 15 minutes each, no minimum gap between an inmate's calls,
// no monthly quota, no limit on calls at once, only numbers on the inmate's allowed list,
// and a PIN locked for 15 minutes after 5 wrong tries. No blocks, no lockdown.
func DefaultRules(facilityID, timezone string) Rules {
	var week Week
	for d := range week {
		week[d] = []Window{{Start: DefaultOpen, End: DefaultClose}}
	}
	return Rules{FacilityID: facilityID, Timezone: timezone, Hours: week, MaxCallLength: DefaultMaxCall,
		PINMaxFailures: DefaultPINMaxFailure, PINLockout: DefaultPINLockout}
}
