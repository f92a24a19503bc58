package rates

import (
	"strconv"
	"strings"

	"parley.dev/parley"
)

// Microdollars is an amount in millionths of a dollar: fine enough for sub-cent
// per-minute rates, exact, and never a float. $0.21 is 210_000.
type Microdollars int64

// Units of Microdollars.
const (
	Cent   Microdollars = 10_000
	Dollar Microdollars = 1_000_000
)

// MaxDecimals is the most decimals ParseDollars accepts: hundredths of a cent, so
// per-minute rates such as $0.0625 can be written but nothing finer.
const MaxDecimals = 4

// MaxDollars bounds what ParseDollars accepts ($1,000): no per-minute rate or fee comes
// near it, and the bound keeps every later multiplication far from overflow.
const MaxDollars = 1000 * Dollar

// ParseDollars parses a non-negative decimal dollar amount such as "0.21", "3", "0.0625"
// or "5.95": digits, optionally a point and 1 to MaxDecimals digits. It rejects signs,
// exponents, NaN and infinities, spaces, separators, a dollar sign and values above
// MaxDollars, with KindInvalid errors.
func ParseDollars(s string) (Microdollars, error) {
	const op = "rates.ParseDollars"
	bad := func(why string) (Microdollars, error) {
		return 0, parley.Errorf(op, parley.KindInvalid, "%q is not a dollar amount: %s", clip(s), why)
	}
	if s == "" || len(s) > 16 {
		return bad("want 1 to 16 characters like 0.21")
	}
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || !digits(whole) || hasPoint && (frac == "" || !digits(frac)) {
		return bad("want digits, optionally a point and decimals, like 0.21")
	}
	if len(frac) > MaxDecimals {
		return bad("more than " + strconv.Itoa(MaxDecimals) + " decimals")
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > int64(MaxDollars/Dollar) {
		return bad("above the limit of " + MaxDollars.String())
	}
	f, _ := strconv.ParseInt((frac + "000000")[:6], 10, 64)
	v := Microdollars(w)*Dollar + Microdollars(f)
	if v > MaxDollars {
		return bad("above the limit of " + MaxDollars.String())
	}
	return v, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// clip shortens untrusted input for an error message.
func clip(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}

// String renders m as dollars with at least two decimals and no trailing zeros beyond
// them: "$0.21", "$0.0625", "$3.00", "-$0.05".
func (m Microdollars) String() string {
	sign := ""
	u := uint64(m)
	if m < 0 {
		sign, u = "-", uint64(-m)
	}
	frac := strconv.FormatUint(u%1_000_000+1_000_000, 10)[1:] // six digits
	frac = strings.TrimRight(frac, "0")
	for len(frac) < 2 {
		frac += "0"
	}
	return sign + "$" + strconv.FormatUint(u/1_000_000, 10) + "." + frac
}
