// Package pin hashes and verifies inmate PINs with argon2id (RFC 9106), using the OWASP
// recommended minimum parameters (19 MiB of memory, 2 passes, 1 lane) and a random 16-byte
// salt per hash. Hashes are encoded in the PHC string format that other argon2
// implementations read:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt, base64 without padding>$<hash, base64 without padding>
//
// A PIN has 4 to 8 digits, so its hash is guessable offline in little time by anyone holding
// it: the hash is a speed bump, not a vault. Stores keep PINHash with the other inmate
// fields, encrypted, and the SIP front end locks an inmate out after repeated failures.
// Nothing in this package ever puts a PIN in an error or a log.
package pin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"

	"parley.dev/parley"
)

// Parameters of new hashes (OWASP password storage cheat sheet, argon2id minimum).
const (
	Memory  = 19 * 1024 // KiB
	Time    = 2
	Threads = 1
	saltLen = 16
	keyLen  = 32
)

// Bounds on parameters read back from an encoded hash, so a corrupted or hostile value
// cannot make Verify allocate gigabytes or spin for minutes.
const (
	maxMemory  = 256 * 1024 // KiB
	maxTime    = 16
	maxThreads = 16
	minSaltLen = 8
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 64
)

var b64 = base64.RawStdEncoding

// Validate reports whether pin is 4 to 8 ASCII digits. The error never contains the PIN.
func Validate(pin string) error {
	if len(pin) < 4 || len(pin) > 8 || strings.Trim(pin, "0123456789") != "" {
		return parley.Errorf("pin.Validate", parley.KindInvalid, "PIN must be 4 to 8 digits")
	}
	return nil
}

// Hash validates pin and returns its encoded argon2id hash with a fresh random salt.
func Hash(pin string) (string, error) {
	const op = "pin.Hash"
	if err := Validate(pin); err != nil {
		return "", parley.WrapError(op, parley.KindInvalid, err)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", parley.WrapError(op, parley.KindInternal, err)
	}
	key := argon2.IDKey([]byte(pin), salt, Time, Memory, Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, Memory, Time, Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether pin matches the encoded hash, comparing in constant time. A wrong
// PIN, or one that is not 4 to 8 digits, gives (false, nil). A malformed encoding, or one
// whose parameters are out of bounds, gives (false, KindInvalid).
func Verify(encoded, pin string) (bool, error) {
	const op = "pin.Verify"
	p, err := decode(encoded)
	if err != nil {
		return false, &parley.Error{Op: op, Kind: parley.KindInvalid, Message: "malformed PIN hash", Err: err}
	}
	if Validate(pin) != nil {
		return false, nil
	}
	key := argon2.IDKey([]byte(pin), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1, nil
}

type params struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

// decode parses a PHC argon2id string. Its errors describe the structure, never the content.
func decode(encoded string) (params, error) {
	var p params
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return p, fmt.Errorf("want 5 '$'-separated fields")
	}
	if parts[1] != "argon2id" {
		return p, fmt.Errorf("algorithm is not argon2id")
	}
	if parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, fmt.Errorf("unsupported version")
	}
	var m, t, th uint32
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &th); err != nil || n != 3 ||
		parts[3] != fmt.Sprintf("m=%d,t=%d,p=%d", m, t, th) {
		return p, fmt.Errorf("malformed parameters")
	}
	if m < 8*th || m > maxMemory || t < 1 || t > maxTime || th < 1 || th > maxThreads {
		return p, fmt.Errorf("parameters out of bounds")
	}
	salt, err := b64.Strict().DecodeString(parts[4])
	if err != nil || len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return p, fmt.Errorf("malformed salt")
	}
	key, err := b64.Strict().DecodeString(parts[5])
	if err != nil || len(key) < minKeyLen || len(key) > maxKeyLen {
		return p, fmt.Errorf("malformed hash")
	}
	return params{memory: m, time: t, threads: uint8(th), salt: salt, key: key}, nil
}
