package main

import (
	"context"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/billing"
)

func init() {
	register("account statement", "account statement --number NUMBER | --inmate ID --facility ID [--from DATE|RFC3339] [--to DATE|RFC3339] [--json]", runAccountStatement)
}

// postingView is one line of a statement.
type postingView struct {
	Time         string `json:"time"`
	Transaction  string `json:"transaction"`
	Kind         string `json:"kind"`
	Memo         string `json:"memo"`
	Amount       string `json:"amount"`
	Balance      string `json:"balance"`
	AmountCents  int64  `json:"amount_cents"`
	BalanceCents int64  `json:"balance_cents"`
}

// statementView is the --json output of `account statement`.
type statementView struct {
	Account      string        `json:"account"`
	From         string        `json:"from,omitempty"`
	To           string        `json:"to,omitempty"`
	Opening      string        `json:"opening"`
	Closing      string        `json:"closing"`
	OpeningCents int64         `json:"opening_cents"`
	ClosingCents int64         `json:"closing_cents"`
	Postings     []postingView `json:"postings"`
	Summary      summaryView   `json:"summary"`
}

// summaryView totals the statement's postings by purpose (billing.Summarize), in
// dollars and cents.
type summaryView struct {
	billing.StatementSummary
	Deposits       string `json:"deposits"`
	TrustTransfers string `json:"trust_transfers"`
	CallCharges    string `json:"call_charges"`
	Credits        string `json:"credits"`
	Refunds        string `json:"refunds"`
	Held           string `json:"held_now"` // reserved by calls in progress now
	HeldCents      int64  `json:"held_now_cents"`
}

// runAccountStatement prints an account's movements in [from, to), each with the balance
// after it, between the opening and closing balances, and their totals: deposits, trust
// transfers, call charges (each call's hold and settlement name the call, its length and
// price), credits and refunds — the billing statement of 47 CFR § 64.6000. Reading it is
// audited.
func runAccountStatement(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("account statement")
	df := m.addDataFlags(fs)
	h := addHolderFlags(fs)
	rawFrom := fs.String("from", "", "first day (YYYY-MM-DD, UTC) or time (RFC 3339)")
	rawTo := fs.String("to", "", "end, exclusive (YYYY-MM-DD, UTC, or RFC 3339)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := h.check(); err != nil {
		return err
	}
	from, err := parseBound("from", *rawFrom)
	if err != nil {
		return err
	}
	to, err := parseBound("to", *rawTo)
	if err != nil {
		return err
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return usageError("--from must be before --to")
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		a, err := h.existing(ctx, e)
		if err != nil {
			return err
		}
		if err := e.audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: "account.statement",
			Object: "account:" + a.ID, Outcome: parley.OutcomeOK}); err != nil {
			return err
		}
		opening, postings, err := e.books().Statement(ctx, a.ID, from, to)
		if err != nil {
			return err
		}
		v := statementView{Account: a.ID, Opening: opening.String(), Closing: opening.String(),
			OpeningCents: int64(opening), ClosingCents: int64(opening), Postings: []postingView{}}
		if !from.IsZero() {
			v.From = from.UTC().Format(time.RFC3339)
		}
		if !to.IsZero() {
			v.To = to.UTC().Format(time.RFC3339)
		}
		for _, p := range postings {
			v.Postings = append(v.Postings, postingView{Time: p.Time.UTC().Format(time.RFC3339), Transaction: p.TxID,
				Kind: string(p.Kind), Memo: p.Memo, Amount: p.Amount.String(), Balance: p.Balance.String(),
				AmountCents: int64(p.Amount), BalanceCents: int64(p.Balance)})
			v.Closing, v.ClosingCents = p.Balance.String(), int64(p.Balance)
		}
		held, err := e.books().Held(ctx, a.ID)
		if err != nil {
			return err
		}
		sum := billing.Summarize(postings)
		v.Summary = summaryView{StatementSummary: sum, Deposits: sum.Deposits.String(), TrustTransfers: sum.TrustTransfers.String(),
			CallCharges: sum.CallCharges.String(), Credits: sum.Credits.String(), Refunds: sum.Refunds.String(),
			Held: held.String(), HeldCents: int64(held)}
		if *asJSON {
			return m.writeJSON(v)
		}
		m.printf("%s (%s)\nopening balance %s\n", a.label, a.ID, v.Opening)
		rows := make([][]string, 0, len(v.Postings))
		for _, p := range v.Postings {
			rows = append(rows, []string{p.Time, p.Kind, p.Amount, p.Balance, p.Memo, p.Transaction})
		}
		if err := m.table([]string{"TIME", "KIND", "AMOUNT", "BALANCE", "MEMO", "TRANSACTION"}, rows); err != nil {
			return err
		}
		m.printf("closing balance %s\n", v.Closing)
		sv := v.Summary
		m.printf("deposits %s, trust transfers %s, %d call(s) %s, credits %s, refunds %s; held by calls in progress now %s\n",
			sv.Deposits, sv.TrustTransfers, sv.Calls, sv.CallCharges, sv.Credits, sv.Refunds, sv.Held)
		return nil
	})
}
