package vault

import (
	"context"
	"io"
	"time"

	"parley.dev/parley"
)

// Recover finishes recordings whose writer died: every recording still in status writing
// whose writer last showed life (its heartbeat, TouchedAt) before the given time, and is
// not being written by this process, becomes truncated. An imported recording is written
// by an import process of its own, whatever the caller knows about its own start: it is
// taken for dead only after ImportGrace without a heartbeat. What its partial blob holds is committed, so Open reads it up to the last
// whole chunk; with no partial blob it is marked truncated with size 0. It returns how
// many recordings it finished.
//
// The partial blob is copied through a temporary object (key + ".recover") because the
// BlobStore contract has no "commit a partial" operation and a new write of the same key
// may discard the partial it reads.
func (v *Vault) Recover(ctx context.Context, before time.Time) (int, error) {
	return v.recover(ctx, before, false)
}

// RecoverImports is Recover for imported recordings alone, for an import starting beside
// a serve whose calls' recordings are not its business: those whose importer went
// ImportGrace without a heartbeat become truncated.
func (v *Vault) RecoverImports(ctx context.Context) (int, error) {
	return v.recover(ctx, v.now().UTC(), true)
}

func (v *Vault) recover(ctx context.Context, before time.Time, importsOnly bool) (int, error) {
	const op = "vault.Recover"
	stale, err := v.store.FindStaleWriting(ctx, before)
	if err != nil {
		return 0, parley.WrapError(op, parley.KindUnavailable, err)
	}
	n := 0
	importsBefore := v.now().UTC().Add(-ImportGrace)
	for _, rec := range stale {
		v.mu.Lock()
		_, live := v.live[rec.ID]
		v.mu.Unlock()
		imported := rec.Class == parley.ClassImported
		if live || imported && !lastSign(rec).Before(importsBefore) || importsOnly && !imported {
			continue // written here, or by an import (another process) that is still alive
		}
		size, err := v.salvage(ctx, parley.BlobKey(rec.ID))
		if err != nil {
			return n, err
		}
		err = v.store.FinishRecording(ctx, rec.ID, parley.RecordingTruncated, size, v.now().UTC())
		if parley.IsKind(err, parley.KindDestroyed) {
			if derr := v.blobs.Delete(ctx, parley.BlobKey(rec.ID)); derr != nil {
				v.logger.Warn("cannot delete a destroyed recording's blob", "recording", rec.ID, "err", derr)
			}
			continue
		}
		if err != nil {
			return n, parley.WrapError(op, parley.KindUnavailable, err)
		}
		v.logger.Info("recovered a truncated recording", "recording", rec.ID, "size", size)
		n++
	}
	return n, nil
}

// salvage commits the partial object of key and returns its size. With no partial object
// it returns the size of a committed one (the writer died after Commit), or 0.
func (v *Vault) salvage(ctx context.Context, key string) (int64, error) {
	const op = "vault.Recover"
	tmp := key + ".recover"
	n, err := v.copyBlob(ctx, tmp, func() (io.ReadCloser, error) { return v.blobs.OpenPartial(ctx, key) })
	if parley.IsKind(err, parley.KindNotFound) {
		rc, err := v.blobs.Open(ctx, key)
		if parley.IsKind(err, parley.KindNotFound) {
			return 0, nil
		}
		if err != nil {
			return 0, parley.WrapError(op, parley.KindUnavailable, err)
		}
		defer rc.Close()
		size, err := io.Copy(io.Discard, rc)
		return size, parley.WrapError(op, parley.KindUnavailable, err)
	}
	if err != nil {
		return 0, err
	}
	if _, err := v.copyBlob(ctx, key, func() (io.ReadCloser, error) { return v.blobs.Open(ctx, tmp) }); err != nil {
		return 0, err
	}
	if err := v.blobs.Delete(ctx, tmp); err != nil {
		v.logger.Warn("cannot delete a temporary recovery blob", "err", err)
	}
	return n, nil
}

// copyBlob writes what open returns to a new committed object dst.
func (v *Vault) copyBlob(ctx context.Context, dst string, open func() (io.ReadCloser, error)) (int64, error) {
	const op = "vault.Recover"
	src, err := open()
	if err != nil {
		return 0, parley.WrapError(op, parley.KindUnavailable, err)
	}
	defer src.Close()
	w, err := v.blobs.Create(ctx, dst)
	if err != nil {
		return 0, parley.WrapError(op, parley.KindUnavailable, err)
	}
	n, err := io.Copy(w, src)
	if err == nil {
		err = w.Commit()
	}
	if err != nil {
		w.Abort()
		return 0, parley.WrapError(op, parley.KindUnavailable, err)
	}
	return n, nil
}

// lastSign is when a recording's writer last showed life.
func lastSign(r *parley.Recording) time.Time {
	if r.TouchedAt.IsZero() {
		return r.CreatedAt
	}
	return r.TouchedAt
}

// ReapOrphans destroys the imported recordings no call names (FindOrphanRecordings): an
// import killed while writing a recording leaves it truncated (after Recover), or killed
// after finishing it but before naming it on its call leaves it complete. The call stays
// without a recording, so the import's re-run stores the file again; the orphan is
// crypto-shredded like any destruction, one "recording.destroy" event each (reason
// ReasonOrphaned). A complete recording counts only once ImportGrace has passed since it
// was finished, so an import that is alive has named it. It returns how many it destroyed.
func (v *Vault) ReapOrphans(ctx context.Context) (int, error) {
	const op = "vault.ReapOrphans"
	orphans, err := v.store.FindOrphanRecordings(ctx, v.now().UTC().Add(-ImportGrace))
	if err != nil {
		return 0, parley.WrapError(op, parley.KindUnavailable, err)
	}
	ids := make([]string, 0, len(orphans))
	for _, r := range orphans {
		ids = append(ids, r.ID)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return v.Destroy(ctx, ids, ReasonOrphaned)
}
