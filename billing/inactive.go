package billing

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/ledger"
)

// InactiveDays is the FCC's inactivity period: 47 CFR § 64.6130(b)–(d) (FCC 24-75,
// "Protection of consumer funds in inactive accounts") forbids disposing of the funds in
// an IPCS account until 180 calendar days of continuous inactivity have passed, and then
// requires the provider to contact the holder and refund the remaining balance (or
// dispose of it as state unclaimed-property law says). Any deposit, credit, debit or
// transfer restarts the period (§ 64.6130(c)).
const InactiveDays = 180

// InactiveRefunder finds paying accounts with money in them and no ledger transaction for
// InactiveDays, deactivates them (no funds may then be taken from them, except the
// refund) and moves their balance to refunds payable, to be paid back to the holder.
// Each refund is audited; logs carry account ids (keyed digests) and amounts only.
type InactiveRefunder struct {
	Books *ledger.Books
	Audit parley.Auditor
	Actor string // who runs it, e.g. "system:inactive-refunds" or "cli:operator"
	// Days is the inactivity period: InactiveDays if zero. A state may set a longer one
	// (§ 64.6130(b)); a shorter one is refused.
	Days int
	Log  *slog.Logger // nil discards
}

// InactiveRefund is one account found inactive.
type InactiveRefund struct {
	Account      string       `json:"account"`
	Kind         string       `json:"kind"`
	Amount       ledger.Cents `json:"amount_cents"`
	LastActivity time.Time    `json:"last_activity"`
	Transaction  string       `json:"transaction,omitempty"` // the refund; empty in a dry run
}

// InactiveReport is what a run found and did.
type InactiveReport struct {
	AsOf    time.Time        `json:"as_of"`
	DryRun  bool             `json:"dry_run"`
	Refunds []InactiveRefund `json:"refunds"`
	Total   ledger.Cents     `json:"total_cents"`
}

// Run refunds every paying account whose last transaction is more than Days before asOf and whose balance is positive. With dryRun it only reports them. It is
// idempotent: the refund of one period of inactivity has the key
// "inactive-refund:<account>:<last activity>", so a second run (or a retry after a crash)
// moves nothing more. An account with open holds has been active and is skipped.
func (r *InactiveRefunder) Run(ctx context.Context, asOf time.Time, dryRun bool) (InactiveReport, error) {
	const op = "billing.InactiveRefunder.Run"
	if asOf.IsZero() {
		return InactiveReport{}, parley.Errorf(op, parley.KindInvalid, "an as-of time is required")
	}
	log := r.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	actor := r.Actor
	if actor == "" {
		actor = "system:inactive-refunds"
	}
	days := r.Days
	switch {
	case days == 0:
		days = InactiveDays
	case days < InactiveDays || days > 36500:
		return InactiveReport{}, parley.Errorf(op, parley.KindInvalid, "the inactivity period must be %d to 36500 days, not %d", InactiveDays, days)
	}
	cutoff := asOf.AddDate(0, 0, -days)
	store := r.Books.Store()
	accounts, err := store.Accounts(ctx)
	if err != nil {
		return InactiveReport{}, parley.WrapError(op, parley.KindInternal, err)
	}
	rep := InactiveReport{AsOf: asOf.UTC(), DryRun: dryRun, Refunds: []InactiveRefund{}}
	for _, a := range accounts {
		if !a.Kind.Paying() {
			continue
		}
		bal, err := store.Balance(ctx, a.ID)
		if err != nil {
			return rep, parley.WrapError(op, parley.KindInternal, err)
		}
		last, err := store.LastActivity(ctx, a.ID)
		if err != nil {
			return rep, parley.WrapError(op, parley.KindInternal, err)
		}
		if bal <= 0 || last.IsZero() || !last.Before(cutoff) {
			continue
		}
		if held, err := r.Books.Held(ctx, a.ID); err != nil {
			return rep, parley.WrapError(op, parley.KindInternal, err)
		} else if held > 0 {
			continue
		}
		ref := InactiveRefund{Account: a.ID, Kind: string(a.Kind), Amount: bal, LastActivity: last.UTC()}
		if !dryRun {
			if err := r.Audit.Audit(ctx, parley.AuditEvent{Actor: actor, Action: "account.refund_inactive",
				Object: "account:" + a.ID, Outcome: parley.OutcomeOK,
				Detail: fmt.Sprintf("amount %s; inactive since %s (%d-day rule, 47 CFR 64.6130)", bal, last.UTC().Format(time.DateOnly), days)}); err != nil {
				return rep, err
			}
			if a.Active {
				if err := store.SetAccountActive(ctx, a.ID, false); err != nil {
					return rep, parley.WrapError(op, parley.KindInternal, err)
				}
			}
			key := "inactive-refund:" + a.ID + ":" + last.UTC().Format("20060102T150405.000000")
			tx, err := r.Books.Refund(ctx, a.ID, key)
			if err != nil {
				return rep, err
			}
			ref.Transaction = tx.ID
		}
		rep.Refunds = append(rep.Refunds, ref)
		rep.Total += bal
	}
	log.Info("inactive accounts", "as_of", asOf.UTC().Format(time.DateOnly), "dry_run", dryRun,
		"accounts", len(rep.Refunds), "total", rep.Total.String())
	return rep, nil
}

// Every runs r.Run at once and then every interval until ctx ends, as of the clock's
// time: the periodic job `serve` runs. Errors are logged and the next run retries.
func (r *InactiveRefunder) Every(ctx context.Context, interval time.Duration, now func() time.Time) {
	if interval <= 0 {
		interval = 24 * time.Hour
	}
	if now == nil {
		now = time.Now
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := r.Run(ctx, now(), false); err != nil && ctx.Err() == nil && r.Log != nil {
			r.Log.Error("inactive account refunds failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
