package main

import (
	"context"
	"fmt"

	"parley.dev/parley"
	"parley.dev/parley/ledger"
)

func init() {
	register("ledger verify", "ledger verify [--json]", runLedgerVerify)
}

// runLedgerVerify replays every ledger transaction and exits non-zero on any
// inconsistency: an invalid or unbalanced transaction, a key, reversal or hold close used
// twice, a paying account below zero, a stored balance that is not the sum of its entries,
// or books that do not sum to zero. The result is audited.
func runLedgerVerify(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("ledger verify")
	df := m.addDataFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		rep, verr := ledger.Verify(ctx, e.db.Ledger())
		ev := parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: "ledger.verify", Outcome: parley.OutcomeOK,
			Detail: fmt.Sprintf("%d transactions, %d accounts", rep.Transactions, rep.Accounts)}
		if verr != nil {
			ev.Outcome, ev.Detail = parley.OutcomeError, "inconsistent"
		}
		if err := e.audit.Audit(ctx, ev); err != nil {
			return err
		}
		if verr != nil {
			return verr
		}
		if *asJSON {
			return m.writeJSON(rep)
		}
		m.printf("ledger verified: %d transactions, %d accounts, books balance (total %s)\n", rep.Transactions, rep.Accounts, rep.Total)
		return nil
	})
}
