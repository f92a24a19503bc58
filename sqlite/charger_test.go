package sqlite_test

import (
	"path/filepath"
	"testing"

	"parley.dev/parley/billing/billingtest"
	"parley.dev/parley/ledger"
)

// TestCharger runs the call charger's suite against SQLite.
func TestCharger(t *testing.T) {
	billingtest.RunCharger(t, func(t *testing.T) (billingtest.Store, ledger.Store) {
		db := openAt(t, filepath.Join(t.TempDir(), "parley.db"))
		return db, db.Ledger()
	})
}

// TestInactiveRefunds runs the inactive-account suite against SQLite.
func TestInactiveRefunds(t *testing.T) {
	billingtest.RunInactive(t, openAt(t, filepath.Join(t.TempDir(), "parley.db")).Ledger())
}

// BenchmarkCharger: Authorize + Settle of one call on SQLite.
func BenchmarkCharger(b *testing.B) {
	db := openAt(b, filepath.Join(b.TempDir(), "parley.db"))
	billingtest.BenchCharger(b, db, db.Ledger())
}

func TestInterruptedCalls(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "parley.db"))
	billingtest.RunInterrupted(t, db, db.Ledger())
}
