package sqldb

import (
	"bytes"
	"testing"

	"parley.dev/parley"
)

// clearCipher is a FieldCipher that "seals" by prefixing the column name, so tests can
// build plaintexts sealPII would never produce.
type clearCipher struct{}

func (clearCipher) Seal(column string, pt []byte) ([]byte, error) {
	return append([]byte(column+"\x00"), pt...), nil
}

func (clearCipher) Open(column string, ct []byte) ([]byte, error) {
	prefix := []byte(column + "\x00")
	if !bytes.HasPrefix(ct, prefix) {
		return nil, parley.Errorf("clearCipher.Open", parley.KindIntegrity, "wrong column")
	}
	return ct[len(prefix):], nil
}

func (clearCipher) BlindIndex(column string, v []byte) []byte { return nil }

func TestPII(t *testing.T) {
	db := New(nil, Dialect{}, clearCipher{}, nil)
	col := piiColumn(colCallPII, "call-1")
	if col != "calls.pii/call-1" {
		t.Fatalf("column %q", col)
	}
	if got := piiColumn(colInmatePII, "f1", "00ff"); got != "inmates.pii/f1/00ff" {
		t.Fatalf("column %q", got)
	}
	long := string(bytes.Repeat([]byte("x"), 300)) // a two-byte length
	ct, err := db.sealPII("op", col, "B-1", "", "+15551234567", long)
	if err != nil {
		t.Fatal(err)
	}
	var a, b, c, d string
	if err := db.openPII("op", col, ct, &a, &b, &c, &d); err != nil {
		t.Fatal(err)
	}
	if a != "B-1" || b != "" || c != "+15551234567" || d != long {
		t.Fatalf("round trip: %q %q %q %d bytes", a, b, c, len(d))
	}
	if err := db.openPII("op", piiColumn(colCallPII, "call-2"), ct, &a, &b, &c, &d); !parley.IsKind(err, parley.KindIntegrity) {
		t.Fatalf("another row: %v", err)
	}
	prefix := []byte(col + "\x00")
	for name, pt := range map[string][]byte{
		"empty":         {},
		"bad version":   {2, 0, 0, 0, 0},
		"too few":       {1, 0, 0, 0},
		"too many":      {1, 0, 0, 0, 0, 0},
		"trailing byte": {1, 0, 0, 0, 0, 'x'},
		"overlong":      {1, 0, 0, 0, 5, 'x'},
		"bad varint":    {1, 0, 0, 0, 0x80},
	} {
		if err := db.openPII("op", col, append(prefix, pt...), &a, &b, &c, &d); !parley.IsKind(err, parley.KindIntegrity) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
