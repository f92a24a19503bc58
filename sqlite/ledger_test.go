package sqlite_test

import (
	"path/filepath"
	"testing"

	"parley.dev/parley/billing/billingtest"
	"parley.dev/parley/ledger"
	"parley.dev/parley/ledger/ledgertest"
)

// TestLedgerConformance runs the ledger.Store suite against SQLite.
func TestLedgerConformance(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) ledger.Store {
		return openAt(t, filepath.Join(t.TempDir(), "parley.db")).Ledger()
	})
}

// TestLedgerNoOverdraftUnderLoad: many goroutines reserving on one account through Books
// never take it below zero, and the books verify afterwards.
func TestLedgerNoOverdraftUnderLoad(t *testing.T) {
	ledgertest.NoOverdraftUnderLoad(t, openAt(t, filepath.Join(t.TempDir(), "parley.db")).Ledger())
}

// TestFacilityRates runs the facility rate suite against SQLite.
func TestFacilityRates(t *testing.T) {
	billingtest.RunRateStore(t, openAt(t, filepath.Join(t.TempDir(), "parley.db")))
}
