package ledger_test

import (
	"testing"

	"parley.dev/parley/ledger"
	"parley.dev/parley/ledger/ledgertest"
)

func TestMemStoreConformance(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) ledger.Store { return ledger.NewMemStore() })
}

func TestMemStoreNoOverdraftUnderLoad(t *testing.T) {
	ledgertest.NoOverdraftUnderLoad(t, ledger.NewMemStore())
}
