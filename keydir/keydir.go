// Package keydir keeps parley's keys in a local key directory: key-encryption keys (KEKs,
// implementing parley.Keyring), KEK-wrapped named secrets, and KEK-wrapped period keys
// (implementing parley.PeriodKeys) that wrap each recording's data key.
//
// Layout (directories 0700, files 0600):
//
//	kek/<id>.key                 32 random bytes; kek/active names the active id
//	secrets/<name>.key           a named 32-byte secret, wrapped by a KEK
//	periods/<facility>/<day>/<gen>.key   a period key, wrapped by a KEK
//	periods/<facility>/<day>/<gen>.rewrap  the re-wrap journal of that generation (opaque)
//
// A re-wrap journal (WriteJournal, ReadJournal) is written by the vault when it re-wraps a
// period's surviving data keys under a new generation; its content is sealed by the vault
// with that generation's period key, so the directory stores it as opaque bytes and it is
// destroyed together with the key (DestroyPeriodKey).
//
// A wrapped file is "PRLYKEY1", one byte n, n bytes of KEK id, then AES-256-GCM (random
// nonce, cipher.NewGCMWithRandomNonce) of the key with additional data binding what the key
// is for (the secret's name, or the period and generation), so a file copied to another
// name does not unwrap.
//
// Every write is atomic: a temporary file is written, fsynced, renamed (or hard-linked when
// the name must not exist yet) into place, and the directory is fsynced. Destroying a key
// overwrites the file with zeros, fsyncs, unlinks and fsyncs the directory; on copy-on-write
// or wear-levelled storage the overwrite is best effort, which is why the key directory must
// never be backed up with its history and should live on its own file system.
//
// The key directory must never be inside the data directory (CheckApart): a backup of the
// data must not carry the keys that decrypt it. A Dir is safe for concurrent use within one
// process; it never logs key material.
package keydir

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"parley.dev/parley"
)

// KeySize is the size in bytes of every key the directory holds.
const KeySize = 32

const (
	kekDir       = "kek"
	secretsDir   = "secrets"
	periodsDir   = "periods"
	activeFile   = "active"
	keySuffix    = ".key"
	wrappedMagic = "PRLYKEY1"
)

// Dir is a key directory. It implements parley.Keyring and parley.PeriodKeys.
type Dir struct {
	root   string
	logger *slog.Logger

	mu     sync.RWMutex
	keks   map[string][]byte // id -> key
	active string
}

var (
	_ parley.Keyring    = (*Dir)(nil)
	_ parley.PeriodKeys = (*Dir)(nil)
)

// Open opens the key directory dir, creating it (mode 0700) and a first KEK on first use.
// It refuses a directory that grants any permission to group or others.
func Open(dir string, logger *slog.Logger) (*Dir, error) {
	const op = "keydir.Open"
	if dir == "" {
		return nil, parley.Errorf(op, parley.KindInvalid, "key directory required")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, parley.WrapError(op, parley.KindInvalid, err)
	}
	if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(root, 0o700); err != nil {
			return nil, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot create key directory", Err: err}
		}
		logger.Info("created key directory", "dir", root)
	}
	if err := checkPrivate(op, root); err != nil {
		return nil, err
	}
	for _, sub := range []string{kekDir, secretsDir, periodsDir} {
		p := filepath.Join(root, sub)
		if err := os.Mkdir(p, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot create key subdirectory", Err: err}
		}
		if err := checkPrivate(op, p); err != nil {
			return nil, err
		}
	}
	d := &Dir{root: root, logger: logger, keks: map[string][]byte{}}
	if err := d.loadKEKs(op); err != nil {
		return nil, err
	}
	if d.active == "" {
		id, err := d.newKEK(op)
		if err != nil {
			return nil, err
		}
		logger.Info("created first key-encryption key", "kek", id)
	}
	return d, nil
}

// checkPrivate refuses a path that is not a directory or that group or others may access.
func checkPrivate(op, p string) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot stat key directory", Err: err}
	}
	if !fi.IsDir() {
		return parley.Errorf(op, parley.KindInvalid, "key directory %s is not a directory", p)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return parley.Errorf(op, parley.KindInvalid,
			"key directory %s has mode %04o: group and others must have no access (chmod 0700)", p, perm)
	}
	return nil
}

// loadKEKs reads every KEK and the active id.
func (d *Dir) loadKEKs(op string) error {
	dir := filepath.Join(d.root, kekDir)
	ents, err := os.ReadDir(dir)
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
		p := filepath.Join(dir, name)
		fi, err := os.Lstat(p)
		if err != nil {
			return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot stat KEK", Err: err}
		}
		if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o077 != 0 {
			return parley.Errorf(op, parley.KindInvalid, "KEK file %s must be a regular file with mode 0600", p)
		}
		k, err := os.ReadFile(p)
		if err != nil {
			return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot read KEK", Err: err}
		}
		if len(k) != KeySize {
			return parley.Errorf(op, parley.KindIntegrity, "KEK %s has the wrong size", id)
		}
		d.keks[id] = k
	}
	b, err := os.ReadFile(filepath.Join(dir, activeFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if len(d.keks) > 0 {
			return parley.Errorf(op, parley.KindIntegrity, "key directory holds KEKs but no kek/active file")
		}
		return nil
	case err != nil:
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot read active KEK id", Err: err}
	}
	id := strings.TrimSpace(string(b))
	if _, ok := d.keks[id]; !ok {
		return parley.Errorf(op, parley.KindIntegrity, "active KEK %q is missing", id)
	}
	d.active = id
	return nil
}

// newKEK creates a KEK and makes it active. The caller holds d.mu (or is Open).
func (d *Dir) newKEK(op string) (string, error) {
	var suffix [2]byte
	rand.Read(suffix[:])
	id := "kek-" + time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(suffix[:])
	if _, ok := d.keks[id]; ok {
		return "", parley.Errorf(op, parley.KindConflict, "KEK id collision, retry")
	}
	k := make([]byte, KeySize)
	rand.Read(k)
	dir := filepath.Join(d.root, kekDir)
	if err := writeNew(filepath.Join(dir, id+keySuffix), k); err != nil {
		return "", &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot write KEK", Err: err}
	}
	if err := writeReplace(filepath.Join(dir, activeFile), []byte(id+"\n")); err != nil {
		return "", &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot write active KEK id", Err: err}
	}
	d.keks[id] = k
	d.active = id
	return id, nil
}

// ActiveKEK returns the id of the KEK that Wrap uses.
func (d *Dir) ActiveKEK() string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.active
}

// Rotate creates a new KEK and makes it active. Older KEKs still unwrap until retired.
func (d *Dir) Rotate(ctx context.Context) (string, error) {
	const op = "keydir.Rotate"
	if err := ctx.Err(); err != nil {
		return "", parley.WrapError(op, parley.KindUnavailable, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	id, err := d.newKEK(op)
	if err != nil {
		return "", err
	}
	d.logger.Info("rotated key-encryption key", "kek", id)
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

// Wrap encrypts key under the active KEK, binding aad.
func (d *Dir) Wrap(ctx context.Context, key, aad []byte) (parley.WrappedKey, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.wrapLocked("keydir.Wrap", key, aad)
}

func (d *Dir) wrapLocked(op string, key, aad []byte) (parley.WrappedKey, error) {
	aead, err := newAEAD(d.keks[d.active])
	if err != nil {
		return parley.WrappedKey{}, parley.WrapError(op, parley.KindInternal, err)
	}
	return parley.WrappedKey{KEK: d.active, Ciphertext: aead.Seal(nil, nil, key, kekAAD(aad))}, nil
}

// Unwrap decrypts a wrapped key with the KEK that wrapped it: KindNotFound if that KEK is
// gone, KindIntegrity if the ciphertext or aad do not authenticate.
func (d *Dir) Unwrap(ctx context.Context, w parley.WrappedKey, aad []byte) ([]byte, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.unwrapLocked("keydir.Unwrap", w, aad)
}

func (d *Dir) unwrapLocked(op string, w parley.WrappedKey, aad []byte) ([]byte, error) {
	k, ok := d.keks[w.KEK]
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

// encodeWrapped renders a wrapped key file.
func encodeWrapped(w parley.WrappedKey) []byte {
	b := make([]byte, 0, len(wrappedMagic)+1+len(w.KEK)+len(w.Ciphertext))
	b = append(b, wrappedMagic...)
	b = append(b, byte(len(w.KEK)))
	b = append(b, w.KEK...)
	return append(b, w.Ciphertext...)
}

// decodeWrapped parses a wrapped key file.
func decodeWrapped(op string, b []byte) (parley.WrappedKey, error) {
	bad := parley.Errorf(op, parley.KindIntegrity, "malformed wrapped key file")
	if len(b) < len(wrappedMagic)+1 || string(b[:len(wrappedMagic)]) != wrappedMagic {
		return parley.WrappedKey{}, bad
	}
	b = b[len(wrappedMagic):]
	n := int(b[0])
	if len(b) < 1+n || n == 0 {
		return parley.WrappedKey{}, bad
	}
	return parley.WrappedKey{KEK: string(b[1 : 1+n]), Ciphertext: b[1+n:]}, nil
}

// validName reports whether s matches [a-z0-9-]+ and is at most 64 bytes.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// secretAAD binds a secret file to its name.
func secretAAD(name string) []byte { return []byte("secret\x00" + name) }

// Secret returns the named 32-byte secret, creating it on first use. Names match
// [a-z0-9-]+ (e.g. "field", "index", "audit-signer-seed").
func (d *Dir) Secret(ctx context.Context, name string) ([]byte, error) {
	const op = "keydir.Secret"
	if !validName(name) {
		return nil, parley.Errorf(op, parley.KindInvalid, "invalid secret name")
	}
	if err := ctx.Err(); err != nil {
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	p := filepath.Join(d.root, secretsDir, name+keySuffix)
	d.mu.RLock()
	k, err := d.readWrapped(op, p, secretAAD(name))
	d.mu.RUnlock()
	if !parley.IsKind(err, parley.KindNotFound) {
		return k, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	k, err = d.readWrapped(op, p, secretAAD(name))
	if !parley.IsKind(err, parley.KindNotFound) {
		return k, err
	}
	k = make([]byte, KeySize)
	rand.Read(k)
	if err := d.writeWrapped(op, p, k, secretAAD(name), false); err != nil {
		return nil, err
	}
	d.logger.Info("created secret", "name", name)
	return k, nil
}

// readWrapped reads and unwraps a key file. KindNotFound if it does not exist. The caller
// holds d.mu.
func (d *Dir) readWrapped(op, p string, aad []byte) ([]byte, error) {
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, parley.Errorf(op, parley.KindNotFound, "key not found")
	}
	if err != nil {
		return nil, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot read key file", Err: err}
	}
	w, err := decodeWrapped(op, b)
	if err != nil {
		return nil, err
	}
	k, err := d.unwrapLocked(op, w, aad)
	if parley.IsKind(err, parley.KindNotFound) {
		// The file exists but its KEK is gone: that is damage, not absence.
		return nil, parley.Errorf(op, parley.KindIntegrity, "key file is wrapped by a missing KEK")
	}
	if err != nil {
		return nil, err
	}
	if len(k) != KeySize {
		return nil, parley.Errorf(op, parley.KindIntegrity, "key has the wrong size")
	}
	return k, nil
}

// writeWrapped wraps k under the active KEK and writes it to p atomically. If replace is
// false it fails with KindConflict when p exists. The caller holds d.mu.
func (d *Dir) writeWrapped(op, p string, k, aad []byte, replace bool) error {
	w, err := d.wrapLocked(op, k, aad)
	if err != nil {
		return err
	}
	if replace {
		err = writeReplace(p, encodeWrapped(w))
	} else {
		err = writeNew(p, encodeWrapped(w))
	}
	if errors.Is(err, fs.ErrExist) {
		return parley.Errorf(op, parley.KindConflict, "key exists")
	}
	if err != nil {
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot write key file", Err: err}
	}
	return nil
}

// String describes the directory without key material.
func (d *Dir) String() string { return fmt.Sprintf("keydir(%s)", d.root) }
