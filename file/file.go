// Package file implements parley.BlobStore on a local directory.
//
// An object with key "recordings/ab/abcdef" lives at <dir>/recordings/ab/abcdef. While it is
// written it lives at <key>.partial; Commit fsyncs it, renames it to <key> and fsyncs the
// directory, so a crash leaves either the whole committed object or a partial one that Open
// never returns (OpenPartial does, for recovery). Files are created with mode 0600 and
// directories with mode 0700. The store only ever holds ciphertext: the vault encrypts
// before it writes.
package file

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"parley.dev/parley"
	"parley.dev/parley/internal/fsutil"
)

// partialSuffix marks an object that is being written (or whose writer crashed).
const partialSuffix = ".partial"

// maxKeyLen caps the length of a key.
const maxKeyLen = 512

// Store is a parley.BlobStore in a local directory. It is safe for concurrent use; two
// writers of the same key at the same time are not supported (the vault never does that:
// recording ids are random).
type Store struct {
	dir string
}

var _ parley.BlobStore = (*Store)(nil)

// Open returns a Store rooted at dir, creating it (mode 0700) if needed.
func Open(dir string) (*Store, error) {
	const op = "file.Open"
	if dir == "" {
		return nil, parley.Errorf(op, parley.KindInvalid, "blob directory required")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, parley.WrapError(op, parley.KindInvalid, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot create blob directory", Err: err}
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot stat blob directory", Err: err}
	}
	if !fi.IsDir() {
		return nil, parley.Errorf(op, parley.KindInvalid, "blob path is not a directory")
	}
	return &Store{dir: abs}, nil
}

// Dir returns the root directory of the store.
func (s *Store) Dir() string { return s.dir }

// validKey reports whether key is a clean relative slash-separated path whose segments use
// only [A-Za-z0-9._-], do not start with '.', and whose last segment does not end in
// ".partial".
func validKey(key string) bool {
	if key == "" || len(key) > maxKeyLen || strings.HasSuffix(key, partialSuffix) {
		return false
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg[0] == '.' {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
				return false
			}
		}
	}
	return true
}

// path returns the file path of key, or KindInvalid.
func (s *Store) path(op, key string) (string, error) {
	if !validKey(key) {
		return "", parley.Errorf(op, parley.KindInvalid, "invalid blob key")
	}
	return filepath.Join(s.dir, filepath.FromSlash(key)), nil
}

// Create starts writing key. Nothing is visible under key until Commit. Any partial object
// left under key by an earlier writer is discarded.
func (s *Store) Create(ctx context.Context, key string) (parley.BlobWriter, error) {
	const op = "file.Create"
	p, err := s.path(op, key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	dir := filepath.Dir(p)
	if err := s.mkdirs(dir); err != nil {
		return nil, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot create blob directory", Err: err}
	}
	f, err := os.OpenFile(p+partialSuffix, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot create blob", Err: err}
	}
	return &writer{f: f, path: p, dir: dir}, nil
}

// mkdirs creates dir and its missing parents below the store root with mode 0700, fsyncing
// each parent so the new entries are durable.
func (s *Store) mkdirs(dir string) error {
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	if dir == s.dir || len(dir) <= len(s.dir) {
		return os.MkdirAll(dir, 0o700)
	}
	parent := filepath.Dir(dir)
	if err := s.mkdirs(parent); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return fsutil.SyncDir(parent)
}

// Open reads the committed object key. KindNotFound if there is none.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	return s.open(ctx, "file.Open", key, "")
}

// OpenPartial reads what an uncommitted write of key left. KindNotFound if there is none.
func (s *Store) OpenPartial(ctx context.Context, key string) (io.ReadCloser, error) {
	return s.open(ctx, "file.OpenPartial", key, partialSuffix)
}

func (s *Store) open(ctx context.Context, op, key, suffix string) (io.ReadCloser, error) {
	p, err := s.path(op, key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	f, err := os.Open(p + suffix)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, parley.Errorf(op, parley.KindNotFound, "blob not found")
	}
	if err != nil {
		return nil, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot open blob", Err: err}
	}
	return f, nil
}

// Delete removes the object and any partial one. A missing object is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	const op = "file.Delete"
	p, err := s.path(op, key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return parley.WrapError(op, parley.KindUnavailable, err)
	}
	removed := false
	for _, name := range []string{p, p + partialSuffix} {
		err := os.Remove(name)
		switch {
		case err == nil:
			removed = true
		case errors.Is(err, fs.ErrNotExist):
		default:
			return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot delete blob", Err: err}
		}
	}
	if removed {
		if err := fsutil.SyncDir(filepath.Dir(p)); err != nil {
			return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot sync blob directory", Err: err}
		}
	}
	return nil
}

// writer is a parley.BlobWriter writing <key>.partial.
type writer struct {
	mu   sync.Mutex
	f    *os.File // nil once committed or aborted
	path string
	dir  string
}

func errDone(op string) error {
	return parley.Errorf(op, parley.KindInvalid, "blob writer already committed or aborted")
}

// Write appends p to the partial object.
func (w *writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return 0, errDone("file.Write")
	}
	n, err := w.f.Write(p)
	if err != nil {
		return n, &parley.Error{Op: "file.Write", Kind: parley.KindUnavailable, Message: "cannot write blob", Err: err}
	}
	return n, nil
}

// Sync makes everything written so far durable as a partial object.
func (w *writer) Sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return errDone("file.Sync")
	}
	if err := w.f.Sync(); err != nil {
		return &parley.Error{Op: "file.Sync", Kind: parley.KindUnavailable, Message: "cannot sync blob", Err: err}
	}
	return nil
}

// Commit fsyncs the partial object, renames it to its key and fsyncs the directory.
func (w *writer) Commit() error {
	const op = "file.Commit"
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return errDone(op)
	}
	f := w.f
	w.f = nil
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(w.path + partialSuffix)
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot sync blob", Err: err}
	}
	if err := f.Close(); err != nil {
		os.Remove(w.path + partialSuffix)
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot close blob", Err: err}
	}
	if err := os.Rename(w.path+partialSuffix, w.path); err != nil {
		os.Remove(w.path + partialSuffix)
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot commit blob", Err: err}
	}
	if err := fsutil.SyncDir(w.dir); err != nil {
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot sync blob directory", Err: err}
	}
	return nil
}

// Abort discards the partial object. Aborting after Commit or Abort does nothing.
func (w *writer) Abort() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	w.f.Close()
	w.f = nil
	if err := os.Remove(w.path + partialSuffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return &parley.Error{Op: "file.Abort", Kind: parley.KindUnavailable, Message: "cannot remove partial blob", Err: err}
	}
	return nil
}
