package ledger

import (
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
)

var at = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

func TestValidate(t *testing.T) {
	good := Transaction{IdempotencyKey: "k", Time: at, Kind: Charge, Entries: []Entry{{"a", -5}, {"r", 5}}}
	if err := Validate(good); err != nil {
		t.Fatalf("good: %v", err)
	}
	cases := map[string]func(tx *Transaction){
		"no key":           func(tx *Transaction) { tx.IdempotencyKey = "" },
		"long key":         func(tx *Transaction) { tx.IdempotencyKey = strings.Repeat("k", MaxKeyLen+1) },
		"control in key":   func(tx *Transaction) { tx.IdempotencyKey = "k\n" },
		"no time":          func(tx *Transaction) { tx.Time = time.Time{} },
		"bad kind":         func(tx *Transaction) { tx.Kind = "gift" },
		"unbalanced":       func(tx *Transaction) { tx.Entries[1].Amount = 4 },
		"zero":             func(tx *Transaction) { tx.Entries = []Entry{{"a", 0}, {"r", 0}} },
		"one entry":        func(tx *Transaction) { tx.Entries = tx.Entries[:1] },
		"no account":       func(tx *Transaction) { tx.Entries[0].Account = "" },
		"same account":     func(tx *Transaction) { tx.Entries[1].Account = "a" },
		"absurd":           func(tx *Transaction) { tx.Entries = []Entry{{"a", -MaxAmount - 1}, {"r", MaxAmount + 1}} },
		"long memo":        func(tx *Transaction) { tx.Memo = strings.Repeat("m", MaxMemoLen+1) },
		"reverses non-rev": func(tx *Transaction) { tx.Reverses = "tx-1" },
		"reversal no ref":  func(tx *Transaction) { tx.Kind = Reversal },
		"deposit closes":   func(tx *Transaction) { tx.Kind = Deposit; tx.Closes = "tx-1" },
		"release no ref":   func(tx *Transaction) { tx.Kind = Release },
		"reserve 3 legs": func(tx *Transaction) {
			tx.Kind = Reserve
			tx.Entries = []Entry{{"a", -5}, {"h", 3}, {"x", 2}}
		},
		"too many entries": func(tx *Transaction) {
			tx.Entries = nil
			for i := range MaxEntries + 1 {
				tx.Entries = append(tx.Entries, Entry{string(rune('a' + i)), 1})
			}
			tx.Entries[0].Amount = -MaxEntries
		},
	}
	for name, mut := range cases {
		tx := clone(good)
		mut(&tx)
		if err := Validate(tx); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("%s: %v, want KindInvalid", name, err)
		}
	}
}

func TestCheckReversalAndClose(t *testing.T) {
	orig := Transaction{ID: "tx-1", Kind: Charge, Entries: []Entry{{"a", -5}, {"r", 5}}}
	if err := CheckReversal(orig, NewReversal(orig, "k", at, "")); err != nil {
		t.Errorf("exact reversal: %v", err)
	}
	partial := NewReversal(orig, "k", at, "")
	partial.Entries = []Entry{{"a", 4}, {"r", -4}}
	if err := CheckReversal(orig, partial); err == nil {
		t.Error("partial reversal accepted")
	}
	other := NewReversal(orig, "k", at, "")
	other.Entries[1].Account = "cash"
	if err := CheckReversal(orig, other); err == nil {
		t.Error("reversal to another account accepted")
	}
	hold := Transaction{ID: "tx-2", Kind: Reserve, Entries: []Entry{{"a", -100}, {"h", 100}}}
	if err := CheckReversal(hold, NewReversal(hold, "k", at, "")); err == nil {
		t.Error("reversal of a hold accepted")
	}
	ok := []Transaction{
		{Kind: Release, Closes: "tx-2", Entries: []Entry{{"h", -100}, {"a", 100}}},
		{Kind: Charge, Closes: "tx-2", Entries: []Entry{{"h", -100}, {"r", 100}}},
		{Kind: Charge, Closes: "tx-2", Entries: []Entry{{"h", -100}, {"r", 40}, {"a", 60}}},
	}
	for i, c := range ok {
		if err := CheckClose(hold, c); err != nil {
			t.Errorf("close %d: %v", i, err)
		}
	}
	bad := []Transaction{
		{Kind: Release, Closes: "tx-2", Entries: []Entry{{"h", -90}, {"a", 90}}},
		{Kind: Release, Closes: "tx-9", Entries: []Entry{{"h", -100}, {"a", 100}}},
		{Kind: Release, Closes: "tx-2", Entries: []Entry{{"h", -100}, {"a", 50}, {"r", 50}}},
		{Kind: Charge, Closes: "tx-2", Entries: []Entry{{"h", -100}, {"a", 100}}},
		{Kind: Charge, Closes: "tx-2", Entries: []Entry{{"h", -100}, {"r", 50}, {"x", 50}}},
		{Kind: Charge, Closes: "tx-2", Entries: []Entry{{"h", -100}, {"r", 150}, {"a", -50}}},
	}
	for i, c := range bad {
		if err := CheckClose(hold, c); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("bad close %d accepted: %v", i, err)
		}
	}
}

func TestCentsString(t *testing.T) {
	for c, want := range map[Cents]string{0: "$0.00", 5: "$0.05", 1234: "$12.34", -5: "-$0.05", -100000: "-$1000.00"} {
		if got := c.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int64(c), got, want)
		}
	}
}
