package parley

import "context"

// WrappedKey is a key encrypted by a key-encryption key (KEK) of a Keyring.
type WrappedKey struct {
	KEK        string // id of the KEK that wraps it
	Ciphertext []byte
}

// Keyring holds key-encryption keys. The local implementation keeps them in a key
// directory that is never inside the data directory; another can hold them in an external
// KMS. Implementations must be safe for concurrent use.
type Keyring interface {
	// Wrap encrypts key under the active KEK, binding aad (which must be given again to
	// unwrap).
	Wrap(ctx context.Context, key, aad []byte) (WrappedKey, error)
	// Unwrap decrypts a wrapped key with whichever KEK wrapped it. KindNotFound if that KEK
	// is gone, KindIntegrity if the ciphertext or aad do not authenticate.
	Unwrap(ctx context.Context, w WrappedKey, aad []byte) ([]byte, error)
	// ActiveKEK returns the id of the KEK that Wrap uses.
	ActiveKEK() string
	// Rotate creates a new KEK and makes it active; older KEKs still unwrap.
	Rotate(ctx context.Context) (string, error)
}

// PeriodKeys keeps the per-period keys that wrap recordings' data keys. They live only in
// the key directory (never in the database or blob store), so destroying one is final even
// against backups of the data. Implementations must be safe for concurrent use.
type PeriodKeys interface {
	// CreatePeriodKey makes, durably stores and returns a new random 32-byte key for
	// (period, gen). KindConflict if it exists.
	CreatePeriodKey(ctx context.Context, period string, gen int) ([]byte, error)
	// PeriodKey returns the key. KindNotFound if it does not exist (or was destroyed).
	PeriodKey(ctx context.Context, period string, gen int) ([]byte, error)
	// DestroyPeriodKey erases the key durably. Destroying a missing key is not an error.
	DestroyPeriodKey(ctx context.Context, period string, gen int) error
	// ListPeriodKeys returns the generations held for every period.
	ListPeriodKeys(ctx context.Context) (map[string][]int, error)
}

// FieldCipher protects personal data inside the database: Seal/Open encrypt a column value
// with an AEAD bound to the column name, and BlindIndex gives a keyed HMAC for equality
// search, so a dump of the database shows neither the value nor a dictionary-searchable
// hash of it. Implementations must be safe for concurrent use.
type FieldCipher interface {
	Seal(column string, plaintext []byte) ([]byte, error)
	Open(column string, ciphertext []byte) ([]byte, error)
	BlindIndex(column string, value []byte) []byte
}
