package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"

	"parley.dev/parley"
	"parley.dev/parley/internal/fsutil"
)

// WitnessFile returns an append-only file at path as a place for the audit checkpoint
// (Options.Places): keep it on another volume than the database and the key directory (a
// mounted share, a WORM volume). Each update appends the new checkpoint; nothing is ever
// rewritten, so the file is the history of every checkpoint the log published, each
// checked to extend the one before (Log moves places forward only). Updates take an
// exclusive lock on path+".lock", shared with the other processes using the file.
//
// An entry is the checkpoint note followed by a trailer line "~" + 8 hex digits (the
// note's length) + "\n", so the latest is read from the end of the file.
func WitnessFile(path string) parley.AuditCheckpoints { return witnessFile(path) }

type witnessFile string

const witnessTrailer = 10 // "~" + 8 hex digits + "\n"

// LatestAuditCheckpoint returns the last checkpoint appended, or KindNotFound.
func (w witnessFile) LatestAuditCheckpoint(ctx context.Context) ([]byte, error) {
	const op = "audit.WitnessFile"
	f, err := os.Open(string(w))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, parley.Errorf(op, parley.KindNotFound, "no witness file")
	}
	if err != nil {
		return nil, unavailable(op, "cannot open the witness file", err)
	}
	defer f.Close()
	return lastEntry(op, f)
}

func lastEntry(op string, f *os.File) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, unavailable(op, "cannot stat the witness file", err)
	}
	size := fi.Size()
	if size == 0 {
		return nil, parley.Errorf(op, parley.KindNotFound, "empty witness file")
	}
	bad := parley.Errorf(op, parley.KindIntegrity, "the witness file's last entry is damaged")
	if size < witnessTrailer {
		return nil, bad
	}
	tr := make([]byte, witnessTrailer)
	if _, err := f.ReadAt(tr, size-witnessTrailer); err != nil {
		return nil, unavailable(op, "cannot read the witness file", err)
	}
	n, err := strconv.ParseUint(string(tr[1:9]), 16, 32)
	if tr[0] != '~' || tr[9] != '\n' || err != nil || int64(n) > size-witnessTrailer || n == 0 {
		return nil, bad
	}
	note := make([]byte, n)
	if _, err := f.ReadAt(note, size-witnessTrailer-int64(n)); err != nil && !errors.Is(err, io.EOF) {
		return nil, unavailable(op, "cannot read the witness file", err)
	}
	return note, nil
}

// UpdateAuditCheckpoint appends what update returns (unless nil) under the lock, and
// fsyncs the file.
func (w witnessFile) UpdateAuditCheckpoint(ctx context.Context, update func(cur []byte) ([]byte, error)) error {
	const op = "audit.WitnessFile"
	unlock, err := fsutil.Lock(string(w) + ".lock")
	if err != nil {
		return unavailable(op, "cannot lock the witness file", err)
	}
	defer unlock()
	f, err := os.OpenFile(string(w), os.O_RDWR|os.O_CREATE|os.O_APPEND, checkpointMode)
	if err != nil {
		return unavailable(op, "cannot open the witness file", err)
	}
	defer f.Close()
	cur, err := lastEntry(op, f)
	if parley.IsKind(err, parley.KindNotFound) {
		cur, err = nil, nil
	}
	if err != nil {
		return err
	}
	next, err := update(cur)
	if err != nil || next == nil {
		return err
	}
	entry := append(append([]byte{}, next...), fmt.Sprintf("~%08x\n", len(next))...)
	if _, err := f.Write(entry); err != nil {
		return unavailable(op, "cannot append to the witness file", err)
	}
	if err := f.Sync(); err != nil {
		return unavailable(op, "cannot sync the witness file", err)
	}
	return nil
}
