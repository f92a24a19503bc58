package postgres_test

import (
	"testing"

	"parley.dev/parley/billing/billingtest"
	"parley.dev/parley/ledger"
)

// TestCharger runs the call charger's suite against PostgreSQL, a schema per subtest.
func TestCharger(t *testing.T) {
	billingtest.RunCharger(t, func(t *testing.T) (billingtest.Store, ledger.Store) {
		db := openSchema(t, newSchema(t))
		return db, db.Ledger()
	})
}

// TestInactiveRefunds runs the inactive-account suite against PostgreSQL.
func TestInactiveRefunds(t *testing.T) {
	billingtest.RunInactive(t, openSchema(t, newSchema(t)).Ledger())
}

// BenchmarkCharger: Authorize + Settle of one call on PostgreSQL.
func BenchmarkCharger(b *testing.B) {
	db := openSchema(b, newSchema(b))
	billingtest.BenchCharger(b, db, db.Ledger())
}

// TestInterruptedCalls runs the interrupted-call suite against PostgreSQL.
func TestInterruptedCalls(t *testing.T) {
	db := openSchema(t, newSchema(t))
	billingtest.RunInterrupted(t, db, db.Ledger())
}
