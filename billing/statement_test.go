package billing

import (
	"testing"

	"parley.dev/parley/ledger"
)

func TestSummarize(t *testing.T) {
	ps := []ledger.Posting{
		{Kind: ledger.Deposit, Memo: "deposit", Amount: 2000},
		{Kind: ledger.Deposit, Memo: ledger.TrustTransferMemo, Amount: 500},
		{Kind: ledger.Reserve, Amount: -450}, {Kind: ledger.Charge, Amount: 435}, // a 15¢ call
		{Kind: ledger.Reserve, Amount: -300},                                      // used its whole hold: no settle posting
		{Kind: ledger.Reserve, Amount: -450}, {Kind: ledger.Release, Amount: 450}, // never connected
		{Kind: ledger.Credit, Amount: 15},
		{Kind: ledger.Refund, Amount: -1000},
		{Kind: ledger.Reversal, Amount: -20},
	}
	got := Summarize(ps)
	want := StatementSummary{Deposits: 2000, TrustTransfers: 500, CallCharges: 315, Calls: 3, Credits: 15, Refunds: 1000, Reversals: -20, Net: 1180}
	if got != want {
		t.Errorf("Summarize = %+v\nwant        %+v", got, want)
	}
	if got.Net != got.Deposits+got.TrustTransfers-got.CallCharges+got.Credits-got.Refunds+got.Reversals {
		t.Error("Net is not the sum of the parts")
	}
	if (Summarize(nil) != StatementSummary{}) {
		t.Error("empty statement not zero")
	}
}
