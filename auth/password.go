package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"parley.dev/parley"
)

// Parameters of new password hashes (argon2id, OWASP's first recommended configuration).
const (
	argonMemory  = 46 * 1024 // KiB
	argonTime    = 1
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// Password length bounds: long enough for a passphrase, short enough to bound hashing work.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 256
)

var b64 = base64.RawStdEncoding

// CheckPassword reports whether a new password is acceptable. The error never contains it.
func CheckPassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLen || len(pw) > MaxPasswordLen || !utf8.ValidString(pw) {
		return parley.Errorf("auth.CheckPassword", parley.KindInvalid,
			"password must be %d to %d characters", MinPasswordLen, MaxPasswordLen)
	}
	return nil
}

// HashPassword returns the PHC-encoded argon2id hash of pw with a fresh salt.
func HashPassword(pw string) (string, error) {
	if err := CheckPassword(pw); err != nil {
		return "", err
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", parley.WrapError("auth.HashPassword", parley.KindInternal, err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime,
		argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches encoded, in constant time. A malformed or
// out-of-bounds encoding never matches.
func VerifyPassword(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) || len(pw) > MaxPasswordLen {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil ||
		m < 8*1024 || m > 256*1024 || t < 1 || t > 16 || p < 1 || p > 16 {
		return false
	}
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(want) < 16 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is verified against when an account does not exist, so a wrong name costs
// the same time as a wrong password.
var dummyHash = func() string {
	h, _ := HashPassword("not-a-real-password-at-all")
	return h
}()
