package fieldcrypt

import (
	"bytes"
	"crypto/rand"
	"testing"

	"parley.dev/parley"
)

func newCipher(t *testing.T) *Cipher {
	t.Helper()
	c, err := New(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSealOpenRoundTrip(t *testing.T) {
	c := newCipher(t)
	ct, err := c.Seal("calls.number", []byte("+15551234567"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte("5551234567")) {
		t.Fatal("ciphertext contains the plaintext")
	}
	pt, err := c.Open("calls.number", ct)
	if err != nil || string(pt) != "+15551234567" {
		t.Fatalf("Open = %q, %v", pt, err)
	}
	ct2, _ := c.Seal("calls.number", []byte("+15551234567"))
	if bytes.Equal(ct, ct2) {
		t.Fatal("two seals of one value are equal: nonce reuse or deterministic encryption")
	}
}

func TestOpenRejectsTamperingAndColumnSwap(t *testing.T) {
	c := newCipher(t)
	ct, _ := c.Seal("inmates.name", []byte("Jane Doe"))
	if _, err := c.Open("calls.inmate_name", ct); !parley.IsKind(err, parley.KindIntegrity) {
		t.Fatalf("other column: err = %v, want integrity", err)
	}
	for i := range ct {
		bad := bytes.Clone(ct)
		bad[i] ^= 0x40
		if _, err := c.Open("inmates.name", bad); !parley.IsKind(err, parley.KindIntegrity) {
			t.Fatalf("flipped byte %d: err = %v, want integrity", i, err)
		}
	}
	for _, short := range [][]byte{nil, {1}, ct[:10]} {
		if _, err := c.Open("inmates.name", short); !parley.IsKind(err, parley.KindIntegrity) {
			t.Fatalf("short input %x: err = %v", short, err)
		}
	}
}

func TestBlindIndexKeyedAndColumnSeparated(t *testing.T) {
	c := newCipher(t)
	a := c.BlindIndex("number", []byte("+15551234567"))
	if !bytes.Equal(a, c.BlindIndex("number", []byte("+15551234567"))) {
		t.Fatal("index not deterministic")
	}
	if bytes.Equal(a, c.BlindIndex("inmate", []byte("+15551234567"))) {
		t.Fatal("index not separated by column")
	}
	other, _ := New(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{3}, 32))
	if bytes.Equal(a, other.BlindIndex("number", []byte("+15551234567"))) {
		t.Fatal("index does not depend on the key")
	}
}

func TestNewRejectsShortKeys(t *testing.T) {
	if _, err := New(make([]byte, 16), make([]byte, 32)); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("err = %v", err)
	}
}

func BenchmarkSeal(b *testing.B) {
	k := make([]byte, 32)
	rand.Read(k)
	c, _ := New(k, k)
	v := []byte("+15551234567")
	for b.Loop() {
		c.Seal("calls.number", v)
	}
}
