package main

import (
	"context"

	"parley.dev/parley"
)

func init() {
	register("account show", "account show --number NUMBER | --inmate ID --facility ID [--json]", runAccountShow)
}

// accountView is the --json output of `account show`. Balance is what the holder has put
// in and not been charged; Held is reserved by calls in progress; Available is what new
// calls may use (Balance − Held).
type accountView struct {
	Account        string `json:"account"`
	Kind           string `json:"kind"`
	Active         bool   `json:"active"`
	Balance        string `json:"balance"`
	Held           string `json:"held"`
	Available      string `json:"available"`
	BalanceCents   int64  `json:"balance_cents"`
	HeldCents      int64  `json:"held_cents"`
	AvailableCents int64  `json:"available_cents"`
}

// runAccountShow prints an account's balance, the part held by calls in progress and the
// part available. Reading a family's balance is audited.
func runAccountShow(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("account show")
	df := m.addDataFlags(fs)
	h := addHolderFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := h.check(); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		a, err := h.existing(ctx, e)
		if err != nil {
			return err
		}
		if err := e.audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: "account.read",
			Object: "account:" + a.ID, Outcome: parley.OutcomeOK}); err != nil {
			return err
		}
		books := e.books()
		avail, err := books.Store().Balance(ctx, a.ID)
		if err != nil {
			return err
		}
		held, err := books.Held(ctx, a.ID)
		if err != nil {
			return err
		}
		v := accountView{Account: a.ID, Kind: string(a.Kind), Active: a.Active,
			Balance: (avail + held).String(), Held: held.String(), Available: avail.String(),
			BalanceCents: int64(avail + held), HeldCents: int64(held), AvailableCents: int64(avail)}
		if *asJSON {
			return m.writeJSON(v)
		}
		state := "active"
		if !a.Active {
			state = "inactive"
		}
		m.printf("%s (%s, %s)\nbalance    %s\nheld       %s\navailable  %s\n", a.label, a.ID, state, v.Balance, v.Held, v.Available)
		return nil
	})
}
