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

// InterruptedCallStore ends the call records a crashed node left unfinished and releases
// their holds in one store transaction (sqldb.DB does).
type InterruptedCallStore interface {
	DropStaleCallsReleasing(ctx context.Context, before time.Time, reason string,
		keys func(callID string) (holdKey, releaseKey, memo string)) (int, error)
}

// EndInterrupted ends, with reason, the calls started before `before` that a crashed node
// left unfinished, releasing each one's hold in full in the same store transaction: a
// call the system dropped is charged nothing (Classify counts an unknown dropped reason
// as a fault, and a fault is credited in full), and the family's money is back at once,
// not at the next stale-hold run. The release carries the call's settle key, so a late
// Settle of the same call is refused rather than charging twice. It returns how many
// calls it ended.
func EndInterrupted(ctx context.Context, store InterruptedCallStore, before time.Time, reason string) (int, error) {
	return store.DropStaleCallsReleasing(ctx, before, reason, func(callID string) (string, string, string) {
		return holdKey(callID), settleKey(callID), "call " + callID + ": ended by a restart, not charged"
	})
}
