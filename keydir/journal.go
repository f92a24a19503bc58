package keydir

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"

	"parley.dev/parley"
)

// journalSuffix names a re-wrap journal: periods/<facility>/<day>/<gen>.rewrap.
const journalSuffix = ".rewrap"

// MaxJournalSize caps a re-wrap journal, checked before it is read.
const MaxJournalSize = 64 << 20

// journalPath returns the journal file of (period, gen), or KindInvalid.
func (d *Dir) journalPath(op, period string, gen int) (string, error) {
	p, err := d.periodPath(op, period, gen)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(p, keySuffix) + journalSuffix, nil
}

// WriteJournal durably writes (atomically replacing) the re-wrap journal of (period, gen)
// beside that generation's period key, with mode 0600. The directory does not interpret
// data: the caller seals it (the vault seals it with the period key of gen). Journals are
// not KEK-wrapped, so KEK rotation leaves them alone. DestroyPeriodKey destroys the journal
// of the generation it destroys. KindNotFound if the period key of gen does not exist: a
// journal never outlives its key.
func (d *Dir) WriteJournal(ctx context.Context, period string, gen int, data []byte) error {
	const op = "keydir.WriteJournal"
	p, err := d.journalPath(op, period, gen)
	if err != nil {
		return err
	}
	if len(data) > MaxJournalSize {
		return parley.Errorf(op, parley.KindInvalid, "journal too large")
	}
	if err := ctx.Err(); err != nil {
		return parley.WrapError(op, parley.KindUnavailable, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := os.Lstat(strings.TrimSuffix(p, journalSuffix) + keySuffix); errors.Is(err, fs.ErrNotExist) {
		return parley.Errorf(op, parley.KindNotFound, "period key not found")
	} else if err != nil {
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot stat period key", Err: err}
	}
	if err := writeReplace(p, data); err != nil {
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot write re-wrap journal", Err: err}
	}
	d.logger.Debug("wrote re-wrap journal", "period", period, "gen", gen)
	return nil
}

// ReadJournal returns the re-wrap journal of (period, gen) as WriteJournal stored it.
// KindNotFound if there is none; KindIntegrity if it is not a regular file or is larger
// than MaxJournalSize.
func (d *Dir) ReadJournal(ctx context.Context, period string, gen int) ([]byte, error) {
	const op = "keydir.ReadJournal"
	p, err := d.journalPath(op, period, gen)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, parley.Errorf(op, parley.KindNotFound, "journal not found")
	}
	if err != nil {
		return nil, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot stat re-wrap journal", Err: err}
	}
	if !fi.Mode().IsRegular() || fi.Size() > MaxJournalSize {
		return nil, parley.Errorf(op, parley.KindIntegrity, "re-wrap journal is not a regular file of acceptable size")
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot read re-wrap journal", Err: err}
	}
	return b, nil
}

// destroyJournalOf shreds the journal beside the period key file keyPath, if any. The
// caller holds d.mu.
func destroyJournalOf(keyPath string) error {
	_, err := shred(strings.TrimSuffix(keyPath, keySuffix) + journalSuffix)
	return err
}
