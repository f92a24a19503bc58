package audit

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"parley.dev/parley"
)

// DefaultKeyName is the note key name of parley's audit signing key.
const DefaultKeyName = "parley-audit"

// algEd25519 is note's algorithm byte for ed25519 keys.
const algEd25519 = 1

// SignerFromSeed derives the audit log's ed25519 signing key from a 32-byte secret seed
// (the key directory's "audit-signer-seed") and returns a note signer and the matching
// verifier key in note's format ("name+hash+base64"), for note.NewVerifier. The same name
// and seed always give the same key, so checkpoints stay verifiable across restarts.
func SignerFromSeed(name string, seed []byte) (note.Signer, string, error) {
	const op = "audit.SignerFromSeed"
	if len(seed) != ed25519.SeedSize {
		return nil, "", parley.Errorf(op, parley.KindInvalid, "seed must be %d bytes", ed25519.SeedSize)
	}
	if !validKeyName(name) {
		return nil, "", parley.Errorf(op, parley.KindInvalid, "key name must be non-empty UTF-8 without spaces or '+'")
	}
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		return nil, "", &parley.Error{Op: op, Kind: parley.KindInvalid, Message: "invalid key name", Err: err}
	}
	pubkey := append([]byte{algEd25519}, pub...)
	privkey := append([]byte{algEd25519}, seed...)
	skey := fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", name, keyHash(name, pubkey),
		base64.StdEncoding.EncodeToString(privkey))
	signer, err := note.NewSigner(skey)
	if err != nil {
		// Do not wrap err: keep the key material out of every message.
		return nil, "", parley.Errorf(op, parley.KindInternal, "cannot build the note signer")
	}
	return signer, vkey, nil
}

// validKeyName reports whether name is a valid note key name.
func validKeyName(name string) bool {
	return name != "" && utf8.ValidString(name) && strings.IndexFunc(name, unicode.IsSpace) < 0 &&
		!strings.Contains(name, "+")
}

// keyHash is note's key hash: the first four bytes of SHA-256(name "\n" key).
func keyHash(name string, key []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte("\n"))
	h.Write(key)
	return binary.BigEndian.Uint32(h.Sum(nil))
}
