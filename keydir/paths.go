package keydir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"parley.dev/parley"
)

// DefaultFor returns the default key directory for a data directory: its sibling named
// "<base>-keys" (/var/lib/parley/data -> /var/lib/parley/data-keys).
func DefaultFor(dataDir string) string {
	clean := filepath.Clean(dataDir)
	return filepath.Join(filepath.Dir(clean), filepath.Base(clean)+"-keys")
}

// CheckApart refuses (KindInvalid) a key directory that equals, is inside, or contains the
// data directory, after resolving both to absolute paths and following symbolic links of
// the parts that exist. A backup of the data must never carry the keys.
func CheckApart(dataDir, keyDir string) error {
	const op = "keydir.CheckApart"
	if dataDir == "" || keyDir == "" {
		return parley.Errorf(op, parley.KindInvalid, "data and key directories are required")
	}
	d, err := resolve(dataDir)
	if err != nil {
		return parley.WrapError(op, parley.KindInvalid, err)
	}
	k, err := resolve(keyDir)
	if err != nil {
		return parley.WrapError(op, parley.KindInvalid, err)
	}
	switch {
	case d == k:
		return parley.Errorf(op, parley.KindInvalid, "the key directory must not be the data directory")
	case within(k, d):
		return parley.Errorf(op, parley.KindInvalid, "the key directory must not be inside the data directory")
	case within(d, k):
		return parley.Errorf(op, parley.KindInvalid, "the data directory must not be inside the key directory")
	}
	return nil
}

// within reports whether p is strictly inside dir.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// resolve returns the absolute form of p with symbolic links evaluated for the longest
// prefix that exists.
func resolve(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	var rest []string
	cur := abs
	for {
		r, err := filepath.EvalSymlinks(cur)
		if err == nil {
			return filepath.Join(append([]string{r}, rest...)...), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			if _, serr := os.Lstat(cur); serr == nil {
				return "", err
			}
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs, nil
		}
		rest = append([]string{filepath.Base(cur)}, rest...)
		cur = parent
	}
}
