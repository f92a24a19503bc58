package main

import (
	"context"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/billing"
)

func init() {
	register("account refund-inactive", "account refund-inactive [--as-of DATE|RFC3339] [--days N] [--dry-run] [--json]", runAccountRefundInactive)
}

// runAccountRefundInactive refunds, through the ledger, every paying account with money
// in it and no transaction for 180 days (47 CFR § 64.6130, FCC 24-75): the account is
// deactivated and its balance moved to refunds payable, once. --dry-run only lists them.
// Each refund is audited; the output names accounts by id only.
func runAccountRefundInactive(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("account refund-inactive")
	df := m.addDataFlags(fs)
	rawAsOf := fs.String("as-of", "", "the day (YYYY-MM-DD, UTC) or time (RFC 3339) to judge inactivity at; default now")
	dryRun := fs.Bool("dry-run", false, "list the accounts without refunding them")
	days := fs.Int("days", billing.InactiveDays, "inactivity period in days: 180 (federal), or a state's longer period")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	asOf, err := parseBound("as-of", *rawAsOf)
	if err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		if asOf.IsZero() {
			asOf = e.now()
		}
		if asOf.After(e.now()) {
			return usageError("--as-of must not be in the future")
		}
		r := &billing.InactiveRefunder{Books: e.books(), Audit: e.audit, Actor: parley.ActorFromContext(ctx), Log: e.logger, Days: *days}
		rep, err := r.Run(ctx, asOf, *dryRun)
		if err != nil {
			return err
		}
		if *asJSON {
			return m.writeJSON(rep)
		}
		verb := "refunded"
		if *dryRun {
			verb = "would refund"
		}
		rows := make([][]string, 0, len(rep.Refunds))
		for _, r := range rep.Refunds {
			rows = append(rows, []string{r.Account, r.Kind, r.Amount.String(), r.LastActivity.Format(time.DateOnly), r.Transaction})
		}
		if len(rows) > 0 {
			if err := m.table([]string{"ACCOUNT", "KIND", "AMOUNT", "LAST ACTIVITY", "TRANSACTION"}, rows); err != nil {
				return err
			}
		}
		m.printf("%s %d inactive account(s), %s in all, as of %s\n", verb, len(rep.Refunds), rep.Total, asOf.UTC().Format(time.RFC3339))
		return nil
	})
}
