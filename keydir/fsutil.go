package keydir

import (
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"parley.dev/parley/internal/fsutil"
)

func randRead(b []byte) { rand.Read(b) }

func sortInts(s []int)       { slices.Sort(s) }
func sortStrings(s []string) { slices.Sort(s) }

// writeTemp writes data to a new temporary file (mode 0600) beside p and fsyncs it.
func writeTemp(p string, data []byte) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(tmp)
		return "", err
	}
	if err := f.Chmod(0o600); err != nil {
		return fail(err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// writeReplace atomically replaces p with data: temp file, fsync, rename, fsync dir.
func writeReplace(p string, data []byte) error {
	tmp, err := writeTemp(p, data)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return err
	}
	return fsutil.SyncDir(filepath.Dir(p))
}

// writeNew atomically creates p with data; it fails with an error matching fs.ErrExist if
// p exists (the temp file is hard-linked, which never replaces).
func writeNew(p string, data []byte) error {
	tmp, err := writeTemp(p, data)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, p); err != nil {
		return err
	}
	if err := os.Remove(tmp); err != nil {
		return err
	}
	return fsutil.SyncDir(filepath.Dir(p))
}

// shred overwrites the file p with zeros, fsyncs, unlinks it and fsyncs its directory. It
// reports whether p existed.
func shred(p string) (bool, error) {
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	fi, err := f.Stat()
	if err == nil {
		_, err = f.WriteAt(make([]byte, fi.Size()), 0)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return true, err
	}
	if err := os.Remove(p); err != nil {
		return true, err
	}
	return true, fsutil.SyncDir(filepath.Dir(p))
}
