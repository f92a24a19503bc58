package postgres_test

import (
	"testing"

	"parley.dev/parley/billing/billingtest"
	"parley.dev/parley/ledger"
	"parley.dev/parley/ledger/ledgertest"
)

// TestLedgerConformance runs the ledger.Store suite against PostgreSQL, a schema per
// subtest.
func TestLedgerConformance(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) ledger.Store { return openSchema(t, newSchema(t)).Ledger() })
}

// TestLedgerNoOverdraftUnderLoad: many goroutines reserving on one account through Books
// never take it below zero, and the books verify afterwards.
func TestLedgerNoOverdraftUnderLoad(t *testing.T) {
	ledgertest.NoOverdraftUnderLoad(t, openSchema(t, newSchema(t)).Ledger())
}

// TestFacilityRates runs the facility rate suite against PostgreSQL.
func TestFacilityRates(t *testing.T) {
	billingtest.RunRateStore(t, openSchema(t, newSchema(t)))
}
