package vault

import (
	"context"
	"io"
	"time"

	"parley.dev/parley"
)

// Recover finishes recordings whose writer died: every recording still in status writing
// created before the given time (and not being written by this process) becomes
// truncated. What its partial blob holds is committed, so Open reads it up to the last
// whole chunk; with no partial blob it is marked truncated with size 0. It returns how
// many recordings it finished.
//
// The partial blob is copied through a temporary object (key + ".recover") because the
// BlobStore contract has no "commit a partial" operation and a new write of the same key
// may discard the partial it reads.
func (v *Vault) Recover(ctx context.Context, before time.Time) (int, error) {
	const op = "vault.Recover"
	stale, err := v.store.FindStaleWriting(ctx, before)
	if err != nil {
		return 0, parley.WrapError(op, parley.KindUnavailable, err)
	}
	n := 0
	for _, rec := range stale {
		v.mu.Lock()
		_, live := v.live[rec.ID]
		v.mu.Unlock()
		if live {
			continue
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
