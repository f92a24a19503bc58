// Package fieldcrypt implements parley.FieldCipher: AES-256-GCM for personal data stored in
// database columns and an HMAC-SHA-256 blind index for equality search.
//
// The encryption key and the index key are separate keys with separate jobs (an index key
// leak allows guessing numbers; an encryption key leak reveals them), and both live in the
// key directory, never beside the data. Every ciphertext starts with a version byte so the
// field key can be rotated later. GCM is built with cipher.NewGCMWithRandomNonce, which Go
// allows under GODEBUG=fips140=only.
package fieldcrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"errors"

	"parley.dev/parley"
)

const version1 = 1

// Cipher is a parley.FieldCipher. It is safe for concurrent use.
type Cipher struct {
	aead     cipher.AEAD
	indexKey []byte
}

var _ parley.FieldCipher = (*Cipher)(nil)

// New returns a Cipher from a 32-byte encryption key and a 32-byte index key.
func New(encKey, indexKey []byte) (*Cipher, error) {
	if len(encKey) != 32 || len(indexKey) != 32 {
		return nil, parley.Errorf("fieldcrypt.New", parley.KindInvalid, "keys must be 32 bytes")
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, parley.WrapError("fieldcrypt.New", parley.KindInternal, err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, parley.WrapError("fieldcrypt.New", parley.KindInternal, err)
	}
	return &Cipher{aead: aead, indexKey: append([]byte(nil), indexKey...)}, nil
}

func aad(column string) []byte { return []byte("parley/field/v1/" + column) }

// Seal encrypts plaintext for the named column.
func (c *Cipher) Seal(column string, plaintext []byte) ([]byte, error) {
	out := make([]byte, 1, 1+len(plaintext)+c.aead.Overhead())
	out[0] = version1
	return c.aead.Seal(out, nil, plaintext, aad(column)), nil
}

// Open decrypts a value sealed for the named column. A value sealed for another column, or
// changed in any way, fails with KindIntegrity.
func (c *Cipher) Open(column string, ciphertext []byte) ([]byte, error) {
	const op = "fieldcrypt.Open"
	if len(ciphertext) < 1+c.aead.Overhead() || ciphertext[0] != version1 {
		return nil, &parley.Error{Op: op, Kind: parley.KindIntegrity, Message: "malformed field ciphertext"}
	}
	pt, err := c.aead.Open(nil, nil, ciphertext[1:], aad(column))
	if err != nil {
		return nil, &parley.Error{Op: op, Kind: parley.KindIntegrity, Message: "field does not authenticate", Err: errors.Unwrap(err)}
	}
	return pt, nil
}

// BlindIndex returns HMAC-SHA-256(indexKey, column || 0 || value): equal values of a column
// give equal indexes, and without the key nobody can test a guess.
func (c *Cipher) BlindIndex(column string, value []byte) []byte {
	m := hmac.New(sha256.New, c.indexKey)
	m.Write([]byte(column))
	m.Write([]byte{0})
	m.Write(value)
	return m.Sum(nil)
}
