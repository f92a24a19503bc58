package keydir

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"parley.dev/parley"
)

// LocalKeyring is the default parley.Keyring: KEKs as files in the kek/ subdirectory of a
// key directory. It knows nothing of what it wraps; Dir stores the wrapped keys.
type LocalKeyring struct {
	dir    string // <key directory>/kek
	logger *slog.Logger

	mu     sync.RWMutex
	keks   map[string][]byte // id -> key
	active string
}

var _ parley.Keyring = (*LocalKeyring)(nil)

// OpenLocal opens the KEKs of the key directory dir, creating the directory (mode 0700),
// its kek/ subdirectory and a first KEK on first use. It refuses a directory that grants
// any permission to group or others, and a KEK file that is not a regular 0600 file.
func OpenLocal(dir string, logger *slog.Logger) (*LocalKeyring, error) {
	const op = "keydir.OpenLocal"
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	root, err := openRoot(op, dir, logger)
	if err != nil {
		return nil, err
	}
	kdir := filepath.Join(root, kekDir)
	if err := ensurePrivateDir(op, kdir); err != nil {
		return nil, err
	}
	l := &LocalKeyring{dir: kdir, logger: logger, keks: map[string][]byte{}}
	if err := l.load(op); err != nil {
		return nil, err
	}
	if l.active == "" {
		id, err := l.newKEK(op)
		if err != nil {
			return nil, err
		}
		logger.Info("created first key-encryption key", "kek", id)
	}
	return l, nil
}

// load reads every KEK and the active id.
func (l *LocalKeyring) load(op string) error {
	ents, err := os.ReadDir(l.dir)
	if err != nil {
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot read KEK directory", Err: err}
	}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, keySuffix) || strings.HasPrefix(name, ".") {
			continue
		}
		id := strings.TrimSuffix(name, keySuffix)
		if !validSegment(id) {
			continue
		}
		p := filepath.Join(l.dir, name)
		if err := checkKeyFile(op, "KEK", p); err != nil {
			return err
		}
		k, err := os.ReadFile(p)
		if err != nil {
			return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot read KEK", Err: err}
		}
		if len(k) != KeySize {
			return parley.Errorf(op, parley.KindIntegrity, "KEK %s has the wrong size", id)
		}
		l.keks[id] = k
	}
	b, err := os.ReadFile(filepath.Join(l.dir, activeFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if len(l.keks) > 0 {
			return parley.Errorf(op, parley.KindIntegrity, "key directory holds KEKs but no kek/active file")
		}
		return nil
	case err != nil:
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot read active KEK id", Err: err}
	}
	id := strings.TrimSpace(string(b))
	if _, ok := l.keks[id]; !ok {
		return parley.Errorf(op, parley.KindIntegrity, "active KEK %q is missing", id)
	}
	l.active = id
	return nil
}

// newKEK creates a KEK and makes it active. The caller holds l.mu (or is OpenLocal).
func (l *LocalKeyring) newKEK(op string) (string, error) {
	var suffix [2]byte
	rand.Read(suffix[:])
	id := "kek-" + time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(suffix[:])
	if _, ok := l.keks[id]; ok {
		return "", parley.Errorf(op, parley.KindConflict, "KEK id collision, retry")
	}
	k := make([]byte, KeySize)
	rand.Read(k)
	if err := writeNew(filepath.Join(l.dir, id+keySuffix), k); err != nil {
		return "", &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot write KEK", Err: err}
	}
	if err := writeReplace(filepath.Join(l.dir, activeFile), []byte(id+"\n")); err != nil {
		return "", &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot write active KEK id", Err: err}
	}
	l.keks[id] = k
	l.active = id
	return id, nil
}

// ActiveKEK returns the id of the KEK that Wrap uses.
func (l *LocalKeyring) ActiveKEK() string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.active
}

// Rotate creates a new KEK and makes it active. Older KEKs still unwrap until retired.
func (l *LocalKeyring) Rotate(ctx context.Context) (string, error) {
	const op = "keydir.Rotate"
	if err := ctx.Err(); err != nil {
		return "", parley.WrapError(op, parley.KindUnavailable, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	id, err := l.newKEK(op)
	if err != nil {
		return "", err
	}
	l.logger.Info("rotated key-encryption key", "kek", id)
	return id, nil
}

// kekAAD prefixes caller AAD so KEK ciphertexts never authenticate in another context.
func kekAAD(aad []byte) []byte { return append([]byte("parley/kek/v1\x00"), aad...) }

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithRandomNonce(block)
}

// Wrap encrypts key under the active KEK (AES-256-GCM, random nonce), binding aad.
func (l *LocalKeyring) Wrap(ctx context.Context, key, aad []byte) (parley.WrappedKey, error) {
	const op = "keydir.Wrap"
	l.mu.RLock()
	defer l.mu.RUnlock()
	aead, err := newAEAD(l.keks[l.active])
	if err != nil {
		return parley.WrappedKey{}, parley.WrapError(op, parley.KindInternal, err)
	}
	return parley.WrappedKey{KEK: l.active, Ciphertext: aead.Seal(nil, nil, key, kekAAD(aad))}, nil
}

// Unwrap decrypts a wrapped key with the KEK that wrapped it: KindNotFound if that KEK is
// gone, KindIntegrity if the ciphertext or aad do not authenticate.
func (l *LocalKeyring) Unwrap(ctx context.Context, w parley.WrappedKey, aad []byte) ([]byte, error) {
	const op = "keydir.Unwrap"
	l.mu.RLock()
	defer l.mu.RUnlock()
	k, ok := l.keks[w.KEK]
	if !ok {
		return nil, parley.Errorf(op, parley.KindNotFound, "KEK %q not found", w.KEK)
	}
	aead, err := newAEAD(k)
	if err != nil {
		return nil, parley.WrapError(op, parley.KindInternal, err)
	}
	pt, err := aead.Open(nil, nil, w.Ciphertext, kekAAD(aad))
	if err != nil {
		return nil, parley.Errorf(op, parley.KindIntegrity, "wrapped key does not authenticate")
	}
	return pt, nil
}

// KEKs returns the ids of every KEK held, sorted.
func (l *LocalKeyring) KEKs() []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	ids := make([]string, 0, len(l.keks))
	for id := range l.keks {
		ids = append(ids, id)
	}
	sortStrings(ids)
	return ids
}

// kekRetirer is a keyring that can destroy a KEK for good. It is unexported so a KEK is
// only retired through Dir.RetireKEK, which first checks that nothing it stores still
// needs it. An external KMS retires key versions in its own console, after Dir.Rewrap.
type kekRetirer interface {
	retireKEK(ctx context.Context, id string) error
}

// retireKEK destroys the KEK id: KindConflict for the active KEK, KindNotFound if unknown.
func (l *LocalKeyring) retireKEK(ctx context.Context, id string) error {
	const op = "keydir.RetireKEK"
	if err := ctx.Err(); err != nil {
		return parley.WrapError(op, parley.KindUnavailable, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.keks[id]; !ok || !validSegment(id) {
		return parley.Errorf(op, parley.KindNotFound, "KEK not found")
	}
	if id == l.active {
		return parley.Errorf(op, parley.KindConflict, "cannot retire the active KEK")
	}
	if _, err := shred(filepath.Join(l.dir, id+keySuffix)); err != nil {
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot destroy KEK", Err: err}
	}
	clear(l.keks[id])
	delete(l.keks, id)
	l.logger.Info("retired key-encryption key", "kek", id)
	return nil
}

// String describes the keyring without key material.
func (l *LocalKeyring) String() string { return "keydir.LocalKeyring(" + filepath.Dir(l.dir) + ")" }
