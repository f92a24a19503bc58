package ledger

import (
	"context"
	"strconv"
	"strings"
	"time"

	"parley.dev/parley"
)

// Held returns the sum of the account's open holds: reservations of calls in progress
// that no settle or release has closed yet. The account's balance already excludes them
// (a reserve moves the money to the holds account), so balance is what the holder can
// spend and balance + held is what they have put in and not yet been charged.
func (b *Books) Held(ctx context.Context, account string) (Cents, error) {
	const op = "ledger.Books.Held"
	ps, err := b.store.Postings(ctx, account, time.Time{}, time.Time{})
	if err != nil {
		return 0, parley.WrapError(op, parley.KindInternal, err)
	}
	var held Cents
	for _, p := range ps {
		if p.Kind != Reserve || p.Amount >= 0 {
			continue
		}
		by, err := b.store.ClosedBy(ctx, p.TxID)
		if err != nil {
			return 0, parley.WrapError(op, parley.KindInternal, err)
		}
		if by == "" {
			held -= p.Amount
		}
	}
	return held, nil
}

// ParseCents parses a positive dollar amount with at most two decimals, such as "20",
// "20.5" or "19.99", up to MaxAmount. It rejects signs, exponents, separators, a dollar
// sign, zero, more than two decimals and larger amounts with KindInvalid errors that
// do not echo more than a few characters of the input.
func ParseCents(s string) (Cents, error) {
	const op = "ledger.ParseCents"
	bad := func(why string) (Cents, error) {
		shown := s
		if len(shown) > 20 {
			shown = shown[:20] + "…"
		}
		return 0, parley.Errorf(op, parley.KindInvalid, "%q is not an amount: %s", shown, why)
	}
	whole, frac, hasPoint := strings.Cut(s, ".")
	switch {
	case s == "" || len(s) > 16:
		return bad("want dollars and cents like 20.00")
	case whole == "" || !allDigits(whole) || hasPoint && (frac == "" || !allDigits(frac)):
		return bad("want dollars and cents like 20.00")
	case len(frac) > 2:
		return bad("more than 2 decimals")
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > int64(MaxAmount/100) {
		return bad("above the limit of " + MaxAmount.String())
	}
	f, _ := strconv.ParseInt((frac + "00")[:2], 10, 64)
	c := Cents(w*100 + f)
	switch {
	case c == 0:
		return bad("must be at least $0.01")
	case c > MaxAmount:
		return bad("above the limit of " + MaxAmount.String())
	}
	return c, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
