package pin_test

import (
	"strings"
	"testing"

	"parley.dev/parley"
	"parley.dev/parley/pin"
)

func TestValidate(t *testing.T) {
	for _, ok := range []string{"0000", "1234", "12345678", "00000000"} {
		if err := pin.Validate(ok); err != nil {
			t.Errorf("Validate(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "123", "123456789", "12a4", " 1234", "1234 ", "١٢٣٤", "12.4", "-123"} {
		err := pin.Validate(bad)
		if !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("Validate(%q) = %v, want KindInvalid", bad, err)
			continue
		}
		if !strings.Contains(err.Error(), "PIN must be 4 to 8 digits") {
			t.Errorf("Validate(%q) message = %q", bad, err)
		}
		if len(bad) >= 3 && strings.Contains(err.Error(), bad) {
			t.Errorf("error %q echoes the PIN", err)
		}
	}
}

func TestHashVerify(t *testing.T) {
	h, err := pin.Hash("482913")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("encoding = %q", h)
	}
	if strings.Contains(h, "482913") {
		t.Error("hash contains the PIN")
	}
	if ok, err := pin.Verify(h, "482913"); err != nil || !ok {
		t.Errorf("Verify(right PIN) = %v, %v", ok, err)
	}
	for _, wrong := range []string{"482914", "48291", "4829130", "", "abcdef"} {
		if ok, err := pin.Verify(h, wrong); err != nil || ok {
			t.Errorf("Verify(wrong PIN %q) = %v, %v; want false, nil", wrong, ok, err)
		}
	}
	h2, err := pin.Hash("482913")
	if err != nil {
		t.Fatal(err)
	}
	if h2 == h {
		t.Error("two hashes of one PIN are equal: salt is not random")
	}
}

func TestHashRejectsBadPIN(t *testing.T) {
	for _, bad := range []string{"", "12", "123456789", "12 34"} {
		h, err := pin.Hash(bad)
		if !parley.IsKind(err, parley.KindInvalid) || h != "" {
			t.Errorf("Hash(%q) = %q, %v; want KindInvalid", bad, h, err)
		}
	}
}

func TestVerifyMalformed(t *testing.T) {
	// A valid encoding with cheap parameters, to derive malformed variants from.
	const salt, key = "c2FsdHNhbHRzYWx0c2FsdA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	tests := map[string]string{
		"empty":            "",
		"garbage":          "not a hash",
		"too few fields":   "$argon2id$v=19$m=64,t=1,p=1$" + salt,
		"too many fields":  "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$x",
		"argon2i":          "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"bcrypt":           "$2a$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234",
		"old version":      "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
		"params order":     "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key,
		"params trailing":  "$argon2id$v=19$m=64,t=1,p=1,x=2$" + salt + "$" + key,
		"params signed":    "$argon2id$v=19$m=+64,t=1,p=1$" + salt + "$" + key,
		"memory huge":      "$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + key,
		"time zero":        "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key,
		"time huge":        "$argon2id$v=19$m=64,t=1000,p=1$" + salt + "$" + key,
		"threads zero":     "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key,
		"threads overflow": "$argon2id$v=19$m=64,t=1,p=257$" + salt + "$" + key,
		"salt short":       "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + key,
		"salt not base64":  "$argon2id$v=19$m=64,t=1,p=1$!!!!!!!!!!!!$" + key,
		"salt padded":      "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA==$" + key,
		"hash short":       "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$AAAA",
		"hash not base64":  "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.Repeat("*", 43),
	}
	for name, enc := range tests {
		t.Run(name, func(t *testing.T) {
			ok, err := pin.Verify(enc, "1234")
			if ok || !parley.IsKind(err, parley.KindInvalid) {
				t.Fatalf("Verify = %v, %v; want false, KindInvalid", ok, err)
			}
			if strings.Contains(err.Error(), "1234") {
				t.Errorf("error %q echoes the PIN", err)
			}
		})
	}
	// The well-formed base case is accepted (wrong PIN, no error).
	ok, err := pin.Verify("$argon2id$v=19$m=64,t=1,p=1$"+salt+"$"+key, "1234")
	if ok || err != nil {
		t.Errorf("well-formed encoding: Verify = %v, %v; want false, nil", ok, err)
	}
}

func BenchmarkHash(b *testing.B) {
	for b.Loop() {
		if _, err := pin.Hash("482913"); err != nil {
			b.Fatal(err)
		}
	}
}
