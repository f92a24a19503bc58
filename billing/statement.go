package billing

import "parley.dev/parley/ledger"

// StatementSummary totals one account's postings over a statement period by what the
// money was for. Amounts are positive; Net is their signed sum, the change of balance.
type StatementSummary struct {
	Deposits       ledger.Cents `json:"deposits_cents"`        // money received
	TrustTransfers ledger.Cents `json:"trust_transfers_cents"` // from the inmate's trust account
	CallCharges    ledger.Cents `json:"call_charges_cents"`    // calls, net of returned holds (open holds included)
	Calls          int          `json:"calls"`                 // calls that reserved funds
	Credits        ledger.Cents `json:"credits_cents"`         // dropped or faulty calls given back
	Refunds        ledger.Cents `json:"refunds_cents"`         // balances refunded (e.g. inactive accounts)
	Reversals      ledger.Cents `json:"reversals_cents"`       // signed: corrections of earlier transactions
	Net            ledger.Cents `json:"net_cents"`
}

// Summarize totals postings (ledger.Books.Statement) for a statement. A call's hold and
// its settlement are netted, so CallCharges is what calls cost, even when a call used the
// whole hold and its settlement returned nothing to the account.
func Summarize(postings []ledger.Posting) StatementSummary {
	var s StatementSummary
	for _, p := range postings {
		s.Net += p.Amount
		switch p.Kind {
		case ledger.Deposit:
			if p.Memo == ledger.TrustTransferMemo {
				s.TrustTransfers += p.Amount
			} else {
				s.Deposits += p.Amount
			}
		case ledger.Reserve:
			s.Calls++
			s.CallCharges -= p.Amount
		case ledger.Charge, ledger.Release:
			s.CallCharges -= p.Amount
		case ledger.Credit:
			s.Credits += p.Amount
		case ledger.Refund:
			s.Refunds -= p.Amount
		case ledger.Reversal:
			s.Reversals += p.Amount
		}
	}
	return s
}
