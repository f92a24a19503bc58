package ledger_test

import (
	"context"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/ledger"
)

func TestParseCents(t *testing.T) {
	good := map[string]ledger.Cents{"20": 2000, "20.5": 2050, "19.99": 1999, "0.01": 1, "100000": ledger.MaxAmount, "007.10": 710}
	for s, want := range good {
		if got, err := ledger.ParseCents(s); err != nil || got != want {
			t.Errorf("ParseCents(%q) = %s, %v; want %s", s, got, err, want)
		}
	}
	for _, s := range []string{"", "0", "0.00", "-5", "+5", "1.234", "1e3", "$5", "1,000", " 5", "5.", ".5",
		"100000.01", "99999999999999999", "NaN", "Inf", "５"} {
		if got, err := ledger.ParseCents(s); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("ParseCents(%q) = %s, %v; want KindInvalid", s, got, err)
		}
	}
}

func TestHeldAndDepositOnce(t *testing.T) {
	ctx := context.Background()
	b := ledger.NewBooks(ledger.NewMemStore(), ledger.DefaultSystemAccounts(), func() time.Time { return time.Unix(1e9, 0) })
	if err := b.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.OpenAccount(ctx, "fam", ledger.Prepaid, "h1"); err != nil {
		t.Fatal(err)
	}
	first, applied, err := b.DepositOnce(ctx, "fam", 1000, "d1")
	if err != nil || !applied {
		t.Fatalf("deposit: %v, applied %v", err, applied)
	}
	again, applied, err := b.DepositOnce(ctx, "fam", 1000, "d1")
	if err != nil || applied || again.ID != first.ID {
		t.Fatalf("retry: %+v applied %v, %v", again, applied, err)
	}
	h1, err := b.Reserve(ctx, "fam", 300, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Reserve(ctx, "fam", 200, "r2"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Settle(ctx, h1.ID, 120, "s1"); err != nil {
		t.Fatal(err)
	}
	held, err := b.Held(ctx, "fam")
	bal, _ := b.Store().Balance(ctx, "fam")
	if err != nil || held != 200 || bal != 680 {
		t.Errorf("held %s, balance %s, %v; want $2.00 held and $6.80 available", held, bal, err)
	}
}
