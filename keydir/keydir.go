// Package keydir keeps parley's keys in a local key directory: named secrets and the
// period keys (implementing parley.PeriodKeys) that wrap each recording's data key, each
// stored wrapped by a key-encryption key (KEK) of a parley.Keyring. The default keyring,
// LocalKeyring, keeps the KEKs as files in the same directory.
//
// Layout (directories 0700, files 0600):
//
//	kek/<id>.key                 32 random bytes; kek/active names the active id (LocalKeyring only)
//	secrets/<name>.key           a named 32-byte secret, wrapped by a KEK
//	periods/<facility>/<day>/<gen>.key   a period key, wrapped by a KEK
//	periods/<facility>/<day>/<gen>.rewrap  the re-wrap journal of that generation (opaque)
//	audit/checkpoint             the audit log's latest signed checkpoint (not wrapped: public)
//	audit/checkpoint.lock        locked (flock) by whoever replaces it
//
// Dir stores the wrapped keys (files, modes, fsync, destruction, journals) and calls its
// Keyring for every wrap and unwrap; it never sees a KEK. Open refuses a directory, a KEK
// file or a secret file that group or others may access.
//
// An external KMS or Vault transit plugs in as another parley.Keyring passed to Open:
// Wrap encrypts with the service's current key version, binding aad (as encryption
// context or associated data), and returns that version's id as WrappedKey.KEK (1 to 255
// bytes); Unwrap decrypts with the version named by WrappedKey.KEK; Rotate asks the service
// for a new version. It reports KindUnavailable when the service cannot be reached,
// KindNotFound for a version that is gone and KindIntegrity for a ciphertext that does not
// authenticate. The wrapped secrets and period keys stay in this directory either way, so
// destroying a period key is still local and final. Rewrap then moves every stored key to
// the active version; KEK versions are retired in the service itself (RetireKEK destroys
// local KEKs only). Moving an existing directory from local KEKs to a KMS takes a keyring
// that unwraps with either (by KEK id) and wraps with the KMS, then one Rewrap. The
// keyring is chosen in cmd/parley (env.go, openKeyring).
//
// A wrapped file is "PRLYKEY1", one byte n, n bytes of KEK id, then the keyring's
// ciphertext of the key, with additional data binding what the key is for (the secret's
// name, or the period and generation), so a file copied to another name does not unwrap.
// LocalKeyring's ciphertext is AES-256-GCM (random nonce, cipher.NewGCMWithRandomNonce).
//
// Every write is atomic: a temporary file is written, fsynced, renamed (or hard-linked when
// the name must not exist yet) into place, and the directory is fsynced. A key is wrapped
// before its file is created, so a keyring that fails leaves no file behind. Destroying a
// key overwrites the file with zeros, fsyncs, unlinks and fsyncs the directory; on
// copy-on-write or wear-levelled storage the overwrite is best effort, which is why the
// key directory must never be backed up with its history and should live on its own file
// system.
//
// A re-wrap journal (WriteJournal, ReadJournal) is written by the vault when it re-wraps a
// period's surviving data keys under a new generation; its content is sealed by the vault
// with that generation's period key, so the directory stores it as opaque bytes and it is
// destroyed together with the key (DestroyPeriodKey).
//
// The key directory must never be inside the data directory (CheckApart): a backup of the
// data must not carry the keys that decrypt it. A Dir is safe for concurrent use within one
// process; it never logs key material.
package keydir

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

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
	maxKEKID     = 255 // the file format gives the KEK id one length byte
)

// Dir is a key directory. It implements parley.PeriodKeys; every key it stores is wrapped
// by its Keyring.
type Dir struct {
	root    string
	logger  *slog.Logger
	keyring parley.Keyring

	mu sync.RWMutex // serializes changes to the files
}

var _ parley.PeriodKeys = (*Dir)(nil)

// Open opens the key directory dir, creating it (mode 0700) on first use, with keyring
// wrapping every key it stores. A nil keyring means the local KEKs of dir (OpenLocal),
// created on first use. It refuses a directory or a secret file that grants any
// permission to group or others.
func Open(dir string, keyring parley.Keyring, logger *slog.Logger) (*Dir, error) {
	const op = "keydir.Open"
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	root, err := openRoot(op, dir, logger)
	if err != nil {
		return nil, err
	}
	if keyring == nil {
		if keyring, err = OpenLocal(root, logger); err != nil {
			return nil, err
		}
	}
	for _, sub := range []string{secretsDir, periodsDir} {
		if err := ensurePrivateDir(op, filepath.Join(root, sub)); err != nil {
			return nil, err
		}
	}
	if err := checkSecretFiles(op, filepath.Join(root, secretsDir)); err != nil {
		return nil, err
	}
	return &Dir{root: root, logger: logger, keyring: keyring}, nil
}

// openRoot returns the absolute key directory, created with mode 0700 if missing and
// refused if group or others may access it.
func openRoot(op, dir string, logger *slog.Logger) (string, error) {
	if dir == "" {
		return "", parley.Errorf(op, parley.KindInvalid, "key directory required")
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return "", parley.WrapError(op, parley.KindInvalid, err)
	}
	if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(root, 0o700); err != nil {
			return "", &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot create key directory", Err: err}
		}
		logger.Info("created key directory", "dir", root)
	}
	return root, checkPrivate(op, root)
}

// ensurePrivateDir creates the subdirectory p (mode 0700) if missing and refuses it if
// group or others may access it.
func ensurePrivateDir(op, p string) error {
	if err := os.Mkdir(p, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot create key subdirectory", Err: err}
	}
	return checkPrivate(op, p)
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

// checkKeyFile refuses (KindInvalid) a key file that is not a regular file or that group
// or others may access; what names the kind of file in the message.
func checkKeyFile(op, what, p string) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot stat " + what, Err: err}
	}
	return checkKeyMode(op, what, p, fi)
}

func checkKeyMode(op, what, p string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o077 != 0 {
		return parley.Errorf(op, parley.KindInvalid, "%s file %s must be a regular file with mode 0600", what, p)
	}
	return nil
}

// checkSecretFiles refuses the directory if any secret file in sdir has a bad mode.
func checkSecretFiles(op, sdir string) error {
	ents, err := os.ReadDir(sdir)
	if err != nil {
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot read secrets directory", Err: err}
	}
	for _, e := range ents {
		if name := e.Name(); strings.HasSuffix(name, keySuffix) && !strings.HasPrefix(name, ".") {
			if err := checkKeyFile(op, "secret", filepath.Join(sdir, name)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Keyring returns the keyring that wraps the directory's keys.
func (d *Dir) Keyring() parley.Keyring { return d.keyring }

// ActiveKEK returns the id of the keyring's active KEK, the one new keys are wrapped by.
func (d *Dir) ActiveKEK() string { return d.keyring.ActiveKEK() }

// Rotate makes the keyring create a new active KEK. Stored keys stay wrapped by the older
// one (which still unwraps) until Rewrap.
func (d *Dir) Rotate(ctx context.Context) (string, error) {
	d.mu.Lock() // not during a Rewrap
	defer d.mu.Unlock()
	id, err := d.keyring.Rotate(ctx)
	if err != nil {
		return "", parley.WrapError("keydir.Rotate", parley.KindUnavailable, err)
	}
	return id, nil
}

// encodeWrapped renders a wrapped key file; KindInternal if the keyring gave a KEK id the
// format cannot hold.
func encodeWrapped(op string, w parley.WrappedKey) ([]byte, error) {
	if w.KEK == "" || len(w.KEK) > maxKEKID || len(w.Ciphertext) == 0 {
		return nil, parley.Errorf(op, parley.KindInternal, "keyring returned a wrapped key with an unusable KEK id or no ciphertext")
	}
	b := make([]byte, 0, len(wrappedMagic)+1+len(w.KEK)+len(w.Ciphertext))
	b = append(b, wrappedMagic...)
	b = append(b, byte(len(w.KEK)))
	b = append(b, w.KEK...)
	return append(b, w.Ciphertext...), nil
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
	k, err := d.readWrapped(ctx, op, p, secretAAD(name))
	if !parley.IsKind(err, parley.KindNotFound) {
		return k, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if w, err := readFile(op, p); err == nil { // created meanwhile
		return d.unwrap(ctx, op, w, secretAAD(name))
	} else if !parley.IsKind(err, parley.KindNotFound) {
		return nil, err
	}
	k = make([]byte, KeySize)
	rand.Read(k)
	if err := d.writeWrapped(ctx, op, p, k, secretAAD(name), false); err != nil {
		return nil, err
	}
	d.logger.Info("created secret", "name", name)
	return k, nil
}

// readFile reads a wrapped key file: KindNotFound if it does not exist, KindInvalid if it
// is not a regular file private to its owner.
func readFile(op, p string) (parley.WrappedKey, error) {
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return parley.WrappedKey{}, parley.Errorf(op, parley.KindNotFound, "key not found")
	}
	if err != nil {
		return parley.WrappedKey{}, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot read key file", Err: err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return parley.WrappedKey{}, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot stat key file", Err: err}
	}
	if err := checkKeyMode(op, "key", p, fi); err != nil {
		return parley.WrappedKey{}, err
	}
	b, err := io.ReadAll(io.LimitReader(f, 4096)) // a wrapped 32-byte key is far smaller
	if err != nil {
		return parley.WrappedKey{}, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot read key file", Err: err}
	}
	return decodeWrapped(op, b)
}

// readWrapped reads and unwraps a key file. KindNotFound if it does not exist. The file
// is read under d.mu; the keyring (perhaps a remote service) is called without it.
func (d *Dir) readWrapped(ctx context.Context, op, p string, aad []byte) ([]byte, error) {
	d.mu.RLock()
	w, err := readFile(op, p)
	d.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	return d.unwrap(ctx, op, w, aad)
}

// unwrap asks the keyring to unwrap w and checks the size of the key.
func (d *Dir) unwrap(ctx context.Context, op string, w parley.WrappedKey, aad []byte) ([]byte, error) {
	k, err := d.keyring.Unwrap(ctx, w, aad)
	if parley.IsKind(err, parley.KindNotFound) {
		// The file exists but its KEK is gone: that is damage, not absence.
		return nil, parley.Errorf(op, parley.KindIntegrity, "key file is wrapped by a missing KEK")
	}
	if err != nil {
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	if len(k) != KeySize {
		return nil, parley.Errorf(op, parley.KindIntegrity, "key has the wrong size")
	}
	return k, nil
}

// wrap asks the keyring to wrap k and renders the file content.
func (d *Dir) wrap(ctx context.Context, op string, k, aad []byte) ([]byte, error) {
	w, err := d.keyring.Wrap(ctx, k, aad)
	if err != nil {
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	return encodeWrapped(op, w)
}

// writeWrapped wraps k with the keyring and writes it to p atomically; nothing is written
// if wrapping fails. If replace is false it fails with KindConflict when p exists. The
// caller holds d.mu.
func (d *Dir) writeWrapped(ctx context.Context, op, p string, k, aad []byte, replace bool) error {
	b, err := d.wrap(ctx, op, k, aad)
	if err != nil {
		return err
	}
	return writeKeyFile(op, p, b, replace)
}

// writeKeyFile writes a wrapped key file atomically; KindConflict if replace is false and
// p exists. The caller holds d.mu.
func writeKeyFile(op, p string, b []byte, replace bool) error {
	var err error
	if replace {
		err = writeReplace(p, b)
	} else {
		err = writeNew(p, b)
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
