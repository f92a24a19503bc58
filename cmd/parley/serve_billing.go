package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"parley.dev/parley/billing"
	"parley.dev/parley/rates"
)

// Billing jobs serve runs beside the call path.
const (
	// refundsEvery is how often inactive accounts are looked for (47 CFR § 64.6130: the
	// refund is due after 180 days; a day's delay is within any reading of the rule).
	refundsEvery = 24 * time.Hour
	// staleHoldsEvery is how often holds of calls that never settled (a crash mid-call)
	// are released; staleHoldAge must exceed the longest call a hold covers.
	staleHoldsEvery = time.Hour
	staleHoldAge    = billing.DefaultMaxCall + time.Hour
)

// callCharger returns the charger the SIP call path uses. A facility with no audio rate
// makes free calls rather than refusing every call; serve names such facilities at start
// so an operator who forgot `rates set` sees it.
func (e *env) callCharger(ctx context.Context, m *Main) (*billing.Charger, error) {
	caps, err := m.caps()
	if err != nil {
		return nil, err
	}
	ch, err := e.charger(ctx, caps)
	if err != nil {
		return nil, err
	}
	ch.FreeWithoutRate = true
	fs, err := e.store.ListFacilities(ctx)
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		_, err := ch.Pricer.Price(ctx, f.ID, rates.Audio, e.now())
		switch {
		case errors.Is(err, billing.ErrNoRate):
			e.logger.Warn("facility has no audio rate today: its calls are free until 'rates set'", "facility", f.ID)
		case err != nil:
			e.logger.Warn("facility's calls cannot be priced: they will be refused", "facility", f.ID, "error", err)
		}
	}
	return ch, nil
}

// startBillingJobs runs the inactive-account refunds and the release of stale holds until
// ctx ends; wg tracks them so the store outlives them.
func (e *env) startBillingJobs(ctx context.Context, wg *sync.WaitGroup, ch *billing.Charger) {
	wg.Add(2)
	go func() { defer wg.Done(); e.inactiveRefunder().Every(ctx, refundsEvery, e.now) }()
	go func() {
		defer wg.Done()
		t := time.NewTicker(staleHoldsEvery)
		defer t.Stop()
		for {
			if n, err := ch.ReleaseStale(ctx, e.now(), staleHoldAge); err != nil && ctx.Err() == nil {
				e.logger.Error("releasing stale call holds failed", "error", err)
			} else if n > 0 {
				e.logger.Info("released holds of calls that never settled", "count", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}
