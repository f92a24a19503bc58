package keydir

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"parley.dev/parley"
	"parley.dev/parley/internal/fsutil"
)

// The audit log's latest signed checkpoint is kept here too (parley.AuditCheckpoints), out
// of reach of whoever can write or restore the database: audit/checkpoint, replaced
// atomically, and audit/checkpoint.lock, which every updater locks (flock) first, so the
// processes sharing the directory (serve and CLI commands) move it forward one at a time.
const (
	auditDir           = "audit"
	auditCheckpoint    = "checkpoint"
	auditCheckpointLck = "checkpoint.lock"
)

var _ parley.AuditCheckpoints = (*Dir)(nil)

// LatestAuditCheckpoint returns the latest audit checkpoint note, or KindNotFound.
func (d *Dir) LatestAuditCheckpoint(ctx context.Context) ([]byte, error) {
	const op = "keydir.LatestAuditCheckpoint"
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.readAuditCheckpoint(op)
}

func (d *Dir) readAuditCheckpoint(op string) ([]byte, error) {
	p := filepath.Join(d.root, auditDir, auditCheckpoint)
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, parley.Errorf(op, parley.KindNotFound, "no audit checkpoint in the key directory")
	}
	if err != nil {
		return nil, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot stat the audit checkpoint", Err: err}
	}
	if err := checkKeyMode(op, "audit checkpoint", p, fi); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot read the audit checkpoint", Err: err}
	}
	return b, nil
}

// UpdateAuditCheckpoint calls update with the latest checkpoint (nil if none) under an
// exclusive lock shared with every other process using the directory, and atomically
// replaces the checkpoint (mode 0600) with what update returns, unless nil.
func (d *Dir) UpdateAuditCheckpoint(ctx context.Context, update func(cur []byte) ([]byte, error)) error {
	const op = "keydir.UpdateAuditCheckpoint"
	d.mu.Lock()
	defer d.mu.Unlock()
	dir := filepath.Join(d.root, auditDir)
	if err := ensurePrivateDir(op, dir); err != nil {
		return err
	}
	unlock, err := fsutil.Lock(filepath.Join(dir, auditCheckpointLck))
	if err != nil {
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot lock the audit checkpoint", Err: err}
	}
	defer unlock()
	cur, err := d.readAuditCheckpoint(op)
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
	if err := writeReplace(filepath.Join(dir, auditCheckpoint), next); err != nil {
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot write the audit checkpoint", Err: err}
	}
	return nil
}
