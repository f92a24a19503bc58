package billing

import (
	"context"
	"strings"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/ledger"
)

// ReleaseStale releases the holds of calls that were authorized more than maxAge before
// now and never settled — the node running them stopped before Settle — so a family's
// money is not locked forever. maxAge must exceed the longest call (MaxCall); a released
// call is charged nothing, in the caller's favour. The release uses the call's settle key,
// so a late Settle of the same call is refused rather than charging twice. It scans the
// whole ledger: run it rarely (hourly), not per call. It returns how many holds it released.
func (c *Charger) ReleaseStale(ctx context.Context, now time.Time, maxAge time.Duration) (int, error) {
	const op = "billing.Charger.ReleaseStale"
	if maxAge < c.maxCall() {
		return 0, parley.Errorf(op, parley.KindInvalid, "maxAge %v is shorter than the longest call %v", maxAge, c.maxCall())
	}
	store := c.Books.Store()
	cutoff := now.Add(-maxAge)
	released := 0
	var after int64
	for {
		txs, err := store.Transactions(ctx, after, 1000)
		if err != nil {
			return released, parley.WrapError(op, parley.KindInternal, err)
		}
		for _, tx := range txs {
			after = tx.Seq
			callID, ok := strings.CutPrefix(tx.IdempotencyKey, "call-hold:")
			if tx.Kind != ledger.Reserve || !ok || !tx.Time.Before(cutoff) {
				continue
			}
			by, err := store.ClosedBy(ctx, tx.ID)
			if err != nil {
				return released, parley.WrapError(op, parley.KindInternal, err)
			}
			if by != "" {
				continue
			}
			if _, err := c.Books.SettleMemo(ctx, tx.ID, 0, settleKey(callID), "call "+callID+": hold expired unsettled"); err != nil {
				return released, parley.WrapError(op, parley.KindInternal, err)
			}
			released++
			c.log().Warn("stale call hold released", "call", callID, "hold", tx.ID)
		}
		if len(txs) < 1000 {
			return released, nil
		}
	}
}
