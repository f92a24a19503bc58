package keydir

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"parley.dev/parley"
	"parley.dev/parley/internal/fsutil"
)

// validSegment reports whether s matches [A-Za-z0-9._-]{1,64} and does not start with '.'.
func validSegment(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ValidPeriod reports whether period is "<facility>/<day>", each part matching
// [A-Za-z0-9._-]{1,64} and not starting with '.', so it can never escape the key directory.
func ValidPeriod(period string) bool {
	fac, day, ok := strings.Cut(period, "/")
	return ok && validSegment(fac) && validSegment(day)
}

// periodPath returns the file of (period, gen), or KindInvalid.
func (d *Dir) periodPath(op, period string, gen int) (string, error) {
	if !ValidPeriod(period) {
		return "", parley.Errorf(op, parley.KindInvalid, "invalid period")
	}
	if gen < 1 {
		return "", parley.Errorf(op, parley.KindInvalid, "invalid period key generation")
	}
	fac, day, _ := strings.Cut(period, "/")
	return filepath.Join(d.root, periodsDir, fac, day, strconv.Itoa(gen)+keySuffix), nil
}

// periodAAD binds a period key file to its period and generation.
func periodAAD(period string, gen int) []byte {
	return []byte("period\x00" + period + "\x00" + strconv.Itoa(gen))
}

// CreatePeriodKey makes, durably stores and returns a new random key for (period, gen).
// KindConflict if it exists.
func (d *Dir) CreatePeriodKey(ctx context.Context, period string, gen int) ([]byte, error) {
	const op = "keydir.CreatePeriodKey"
	p, err := d.periodPath(op, period, gen)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	k := make([]byte, KeySize)
	randRead(k)
	// Wrap first: a keyring that fails (a KMS that cannot be reached) leaves nothing behind.
	b, err := d.wrap(ctx, op, k, periodAAD(period, gen))
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := mkdirs(filepath.Join(d.root, periodsDir), filepath.Dir(p)); err != nil {
		return nil, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot create period directory", Err: err}
	}
	if err := writeKeyFile(op, p, b, false); err != nil {
		return nil, err
	}
	d.logger.Debug("created period key", "period", period, "gen", gen)
	return k, nil
}

// PeriodKey returns the key of (period, gen). KindNotFound if it does not exist or was
// destroyed.
func (d *Dir) PeriodKey(ctx context.Context, period string, gen int) ([]byte, error) {
	const op = "keydir.PeriodKey"
	p, err := d.periodPath(op, period, gen)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	return d.readWrapped(ctx, op, p, periodAAD(period, gen))
}

// DestroyPeriodKey overwrites the key file with zeros, fsyncs it, unlinks it and fsyncs its
// directory. The re-wrap journal of the same generation, if any, is destroyed the same way
// first, so a journal never outlives its key. Destroying a missing key is not an error.
func (d *Dir) DestroyPeriodKey(ctx context.Context, period string, gen int) error {
	const op = "keydir.DestroyPeriodKey"
	p, err := d.periodPath(op, period, gen)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return parley.WrapError(op, parley.KindUnavailable, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := destroyJournalOf(p); err != nil {
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot destroy re-wrap journal", Err: err}
	}
	existed, err := shred(p)
	if err != nil {
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot destroy period key", Err: err}
	}
	if existed {
		// Remove the day directory once empty; failure (not empty) is fine.
		dayDir := filepath.Dir(p)
		if os.Remove(dayDir) == nil {
			fsutil.SyncDir(filepath.Dir(dayDir))
		}
		d.logger.Info("destroyed period key", "period", period, "gen", gen)
	}
	return nil
}

// ListPeriodKeys returns the generations held for every period.
func (d *Dir) ListPeriodKeys(ctx context.Context) (map[string][]int, error) {
	const op = "keydir.ListPeriodKeys"
	if err := ctx.Err(); err != nil {
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := map[string][]int{}
	err := d.walkPeriods(func(period string, gen int, _ string) error {
		out[period] = append(out[period], gen)
		return nil
	})
	if err != nil {
		return nil, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot list period keys", Err: err}
	}
	return out, nil
}

// walkPeriods calls fn for every period key file, in directory order (generations sorted
// numerically within a period).
func (d *Dir) walkPeriods(fn func(period string, gen int, path string) error) error {
	base := filepath.Join(d.root, periodsDir)
	facs, err := os.ReadDir(base)
	if err != nil {
		return err
	}
	for _, f := range facs {
		if !f.IsDir() || !validSegment(f.Name()) {
			continue
		}
		days, err := os.ReadDir(filepath.Join(base, f.Name()))
		if err != nil {
			return err
		}
		for _, dd := range days {
			if !dd.IsDir() || !validSegment(dd.Name()) {
				continue
			}
			dir := filepath.Join(base, f.Name(), dd.Name())
			files, err := os.ReadDir(dir)
			if err != nil {
				return err
			}
			var gens []int
			for _, k := range files {
				name := k.Name()
				gen, err := strconv.Atoi(strings.TrimSuffix(name, keySuffix))
				if !strings.HasSuffix(name, keySuffix) || err != nil || gen < 1 || strconv.Itoa(gen)+keySuffix != name {
					continue
				}
				gens = append(gens, gen)
			}
			sortInts(gens)
			for _, gen := range gens {
				if err := fn(f.Name()+"/"+dd.Name(), gen, filepath.Join(dir, strconv.Itoa(gen)+keySuffix)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// walkWrapped calls fn for every KEK-wrapped file (secrets and period keys) with the AAD
// that binds it.
func (d *Dir) walkWrapped(fn func(path string, aad []byte) error) error {
	sdir := filepath.Join(d.root, secretsDir)
	ents, err := os.ReadDir(sdir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		name := strings.TrimSuffix(e.Name(), keySuffix)
		if !strings.HasSuffix(e.Name(), keySuffix) || !validName(name) {
			continue
		}
		if err := fn(filepath.Join(sdir, e.Name()), secretAAD(name)); err != nil {
			return err
		}
	}
	return d.walkPeriods(func(period string, gen int, p string) error {
		return fn(p, periodAAD(period, gen))
	})
}

// Rewrap re-wraps every secret and period key that is not wrapped by the keyring's active
// KEK under the active KEK, and returns how many it rewrote. Each file is replaced
// atomically, so a keyring failure part-way leaves every file readable (the rest keep
// their older KEK until the next Rewrap).
func (d *Dir) Rewrap(ctx context.Context) (int, error) {
	const op = "keydir.Rewrap"
	d.mu.Lock()
	defer d.mu.Unlock()
	active := d.keyring.ActiveKEK()
	n := 0
	err := d.walkWrapped(func(p string, aad []byte) error {
		if err := ctx.Err(); err != nil {
			return parley.WrapError(op, parley.KindUnavailable, err)
		}
		w, err := readFile(op, p)
		if err != nil || w.KEK == active {
			return err
		}
		k, err := d.unwrap(ctx, op, w, aad)
		if err != nil {
			return err
		}
		b, err := d.wrap(ctx, op, k, aad)
		clear(k)
		if err != nil {
			return err
		}
		if err := writeKeyFile(op, p, b, true); err != nil {
			return err
		}
		n++
		return nil
	})
	if err != nil {
		return n, parley.WrapError(op, parley.KindUnavailable, err)
	}
	d.logger.Info("re-wrapped keys under the active KEK", "count", n, "kek", active)
	return n, nil
}

// RetireKEK destroys the local KEK id. It refuses (KindConflict) to retire the active KEK
// or one that still wraps a secret or period key (run Rewrap first); KindNotFound if id is
// unknown; KindInvalid if the keyring is not local (an external KMS retires its key
// versions itself).
func (d *Dir) RetireKEK(ctx context.Context, id string) error {
	const op = "keydir.RetireKEK"
	if err := ctx.Err(); err != nil {
		return parley.WrapError(op, parley.KindUnavailable, err)
	}
	r, ok := d.keyring.(kekRetirer)
	if !ok {
		return parley.Errorf(op, parley.KindInvalid, "this keyring's KEKs are retired in the key service, not here")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if id == d.keyring.ActiveKEK() {
		return parley.Errorf(op, parley.KindConflict, "cannot retire the active KEK")
	}
	inUse := 0
	err := d.walkWrapped(func(p string, _ []byte) error {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if w, err := decodeWrapped(op, b); err == nil && w.KEK == id {
			inUse++
		}
		return nil
	})
	if err != nil {
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot scan key files", Err: err}
	}
	if inUse > 0 {
		return parley.Errorf(op, parley.KindConflict, "KEK still wraps %d keys: run rewrap first", inUse)
	}
	return r.retireKEK(ctx, id)
}

var errNotDir = errors.New("not a directory")

// mkdirs creates dir and missing parents up to (not including) base with mode 0700,
// fsyncing each parent.
func mkdirs(base, dir string) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return errNotDir
		}
		return nil
	}
	if parent := filepath.Dir(dir); parent != base && len(parent) > len(base) {
		if err := mkdirs(base, parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return fsutil.SyncDir(filepath.Dir(dir))
}
