package rates

import (
	"math"
	"math/bits"
	"time"

	"parley.dev/parley/ledger"
)

// microPerCentMinute is the divisor from rate × seconds (microdollar-seconds per minute)
// to cents: 60 seconds × 10,000 microdollars.
const microPerCentMinute = 60 * uint64(Cent)

// Charge returns what a call of the given duration costs at a per-minute rate, under
// parley's charging rule:
//
//   - the call is billed by the second: fractions of a second are dropped, and a partial
//     minute is never rounded up to a whole one;
//   - the exact cost, rate × seconds / 60, is rounded down to the cent.
//
// Both roundings are in the caller's favour, so the charge is never more than rate ×
// duration and never more than any billing in whole minutes rounded up would give. A
// negative or zero duration or rate costs nothing.
func Charge(duration time.Duration, rate Microdollars) ledger.Cents {
	secs := duration / time.Second
	if secs <= 0 || rate <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(rate), uint64(secs))
	if hi >= microPerCentMinute { // the quotient would not fit in 64 bits
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, microPerCentMinute)
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return ledger.Cents(q)
}

// Affordable returns the longest duration, in whole seconds and at most limit, whose
// Charge at rate is at most balance: the length of call to reserve for at call start
// (reserve Charge(Affordable(...), rate)). A zero rate affords limit; a balance of zero
// or less affords nothing unless the rate is zero.
func Affordable(balance ledger.Cents, rate Microdollars, limit time.Duration) time.Duration {
	limit = limit.Truncate(time.Second)
	switch {
	case limit <= 0:
		return 0
	case rate <= 0:
		return limit
	case balance < 0:
		return 0
	}
	// Largest s with floor(rate × s / 600,000) <= balance:
	// rate × s < (balance+1) × 600,000.
	hi, lo := bits.Mul64(uint64(balance)+1, microPerCentMinute)
	if hi >= uint64(rate) {
		return limit
	}
	q, rem := bits.Div64(hi, lo, uint64(rate))
	if rem == 0 {
		q-- // strict inequality
	}
	if q >= uint64(limit/time.Second) {
		return limit
	}
	return time.Duration(q) * time.Second
}
