package vault

import (
	"context"
	"crypto/rand"
	"sync"
	"sync/atomic"
	"time"

	"parley.dev/parley"
)

// validFacility reports whether id matches [A-Za-z0-9._-]{1,64} and does not start with
// '.', so "<facility>/<day>" is a valid key period.
func validFacility(id string) bool {
	if id == "" || len(id) > 64 || id[0] == '.' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Record (or RecordAt, for imports) is the only way to obtain a Recorder. It asks the gate
// first; if the verdict is "do not record" it returns (nil, verdict, nil) and creates
// nothing at all: no key, no row, no blob. Otherwise it makes a random data key, wraps it under the current key of the
// period (facility and UTC day), asks the gate again, creates the recording (status
// writing) and opens its blob.
func (v *Vault) Record(ctx context.Context, callID string, p parley.CallParties, class parley.RecordClass) (*Recorder, parley.RecordVerdict, error) {
	return v.record(ctx, "vault.Record", callID, p, class, v.now().UTC())
}

// RecordAt is Record for a call that took place earlier, started at at: a previous
// vendor's recording brought in by a legacy import (class ClassImported; any other class is
// refused, live calls are filed when they are recorded). The recording is filed in the key
// period of the call's UTC day and its CreatedAt is at, so retention, which counts from
// CreatedAt, runs from the call and not from the import: a recording imported after its
// retention has passed is stored and then destroyed by the next retention run (unless on
// legal hold), like any other expired recording. An at in the future is taken as now, so
// an import never keeps a recording longer than a live call would.
func (v *Vault) RecordAt(ctx context.Context, callID string, p parley.CallParties, class parley.RecordClass, at time.Time) (*Recorder, parley.RecordVerdict, error) {
	const op = "vault.RecordAt"
	if class != parley.ClassImported {
		return nil, parley.RecordVerdict{}, parley.Errorf(op, parley.KindInvalid, "only imported recordings are filed at an earlier time")
	}
	if at.IsZero() {
		return nil, parley.RecordVerdict{}, parley.Errorf(op, parley.KindInvalid, "the call's start time is required")
	}
	now := v.now().UTC()
	if at.After(now) {
		at = now
	}
	return v.record(ctx, op, callID, p, class, at.UTC())
}

// record creates a recording filed at the time at: its key period is the facility and at's
// UTC day, and at is its CreatedAt.
func (v *Vault) record(ctx context.Context, op, callID string, p parley.CallParties, class parley.RecordClass, at time.Time) (*Recorder, parley.RecordVerdict, error) {
	if !class.Valid() {
		return nil, parley.RecordVerdict{}, parley.Errorf(op, parley.KindInvalid, "invalid record class")
	}
	if !validFacility(p.FacilityID) {
		return nil, parley.RecordVerdict{}, parley.Errorf(op, parley.KindInvalid, "invalid facility id")
	}
	verdict, err := v.gate.MayRecord(ctx, p)
	if err != nil {
		return nil, parley.RecordVerdict{}, parley.WrapError(op, parley.KindUnavailable, err)
	}
	if !verdict.Record {
		return nil, verdict, nil
	}
	period := p.FacilityID + "/" + at.Format("2006-01-02")
	dek := make([]byte, 32)
	rand.Read(dek)
	defer clear(dek)

	lock := v.periodLock(period)
	lock.RLock()
	r, verdict, err := v.createRecording(ctx, op, callID, p, class, period, dek, at)
	lock.RUnlock()
	if err != nil || r == nil {
		return nil, verdict, err
	}
	id := r.rec.ID
	bw, err := v.blobs.Create(ctx, parley.BlobKey(id))
	if err != nil {
		v.dropLive(id)
		if ferr := v.store.FinishRecording(context.WithoutCancel(ctx), id, parley.RecordingTruncated, 0, v.now().UTC()); ferr != nil {
			v.logger.Error("cannot mark a recording without blob truncated", "recording", id, "err", ferr)
		}
		return nil, verdict, parley.WrapError(op, parley.KindUnavailable, err)
	}
	fl := newFlusher(bw, &v.chunks)
	fl.onFlush = v.onFlush
	sw, err := NewStreamWriter(fl, dek, id, v.chunkSize)
	if err != nil {
		fl.discard()
		bw.Abort()
		v.dropLive(id)
		return nil, verdict, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.killed {
		// Destroyed between the row and the blob.
		fl.discard()
		bw.Abort()
		if err := v.blobs.Delete(ctx, parley.BlobKey(id)); err != nil {
			v.logger.Warn("cannot delete a destroyed recording's blob", "recording", id, "err", err)
		}
		return nil, verdict, parley.Errorf(op, parley.KindDestroyed, "recording was destroyed")
	}
	r.blob, r.sw, r.fl = bw, sw, fl
	return r, verdict, nil
}

// createRecording wraps dek under the period's current generation, asks the gate again and
// creates the row, retrying when a shred changed the generation. The caller holds the
// period's read lock. The new recorder is registered as live before the lock is released,
// so a Destroy of the period always sees it.
func (v *Vault) createRecording(ctx context.Context, op, callID string, p parley.CallParties, class parley.RecordClass, period string, dek []byte, created time.Time) (*Recorder, parley.RecordVerdict, error) {
	var verdict parley.RecordVerdict
	for attempt := 0; attempt < maxAttempts; attempt++ {
		gen, err := v.store.PeriodGeneration(ctx, period)
		if err != nil {
			return nil, verdict, parley.WrapError(op, parley.KindUnavailable, err)
		}
		if gen == 0 {
			gen = 1
		}
		pk, err := v.currentKey(ctx, op, period, gen)
		if err != nil {
			return nil, verdict, parley.WrapError(op, parley.KindUnavailable, err)
		}
		id := newID()
		wrapped, err := wrapDEK(op, pk, dek, id, period, gen)
		clear(pk)
		if err != nil {
			return nil, verdict, err
		}
		// Second line of defence: the registry may have changed since the first question.
		verdict, err = v.gate.MayRecord(ctx, p)
		if err != nil {
			return nil, parley.RecordVerdict{}, parley.WrapError(op, parley.KindUnavailable, err)
		}
		if !verdict.Record {
			return nil, verdict, nil
		}
		rec := &parley.Recording{ID: id, CallID: callID, FacilityID: p.FacilityID, Class: class,
			Period: period, KeyGen: gen, WrappedDEK: wrapped, Status: parley.RecordingWriting, CreatedAt: created,
			TouchedAt: v.now().UTC()} // the real time, even when created is backdated

		err = v.store.CreateRecording(ctx, rec)
		if parley.IsKind(err, parley.KindConflict) {
			continue // a shred moved the period to a new generation
		}
		if err != nil {
			return nil, verdict, parley.WrapError(op, parley.KindUnavailable, err)
		}
		r := &Recorder{v: v, rec: rec, touched: rec.TouchedAt}
		v.mu.Lock()
		v.live[id] = r
		v.mu.Unlock()
		return r, verdict, nil
	}
	return nil, verdict, parley.Errorf(op, parley.KindUnavailable, "period changed too often; retry")
}

// currentKey returns the key of a period's current generation gen for a new recording,
// creating it if the period has none yet. It refuses to create it while recordings in the
// store are wrapped under gen: their key was destroyed and the database restored from a
// backup taken before a shred. A new key of the same generation would open none of them
// and would hide them from Heal, which must run first.
func (v *Vault) currentKey(ctx context.Context, op, period string, gen int) ([]byte, error) {
	pk, err := v.keys.PeriodKey(ctx, period, gen)
	if !parley.IsKind(err, parley.KindNotFound) {
		return pk, err
	}
	recs, err := v.store.ListPeriodRecordings(ctx, period)
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		if r.KeyGen == gen {
			return nil, parley.Errorf(op, parley.KindUnavailable,
				"the period key of recordings in the database is gone (database restored from a backup?): run the vault heal first")
		}
	}
	return v.periodKey(ctx, period, gen)
}

// periodKey returns the key of (period, gen), creating it if it does not exist.
func (v *Vault) periodKey(ctx context.Context, period string, gen int) ([]byte, error) {
	pk, err := v.keys.PeriodKey(ctx, period, gen)
	if !parley.IsKind(err, parley.KindNotFound) {
		return pk, err
	}
	pk, err = v.keys.CreatePeriodKey(ctx, period, gen)
	if parley.IsKind(err, parley.KindConflict) {
		return v.keys.PeriodKey(ctx, period, gen)
	}
	return pk, err
}

func (v *Vault) dropLive(id string) {
	v.mu.Lock()
	delete(v.live, id)
	v.mu.Unlock()
}

// Recorder writes one recording. It buffers audio in memory up to one chunk and seals each
// full chunk, so clear audio never reaches storage; a flusher writes and syncs the sealed
// chunks off the caller's goroutine (see flusher for what a crash can lose). If the recording is destroyed while it is written, Write and Close
// fail with KindDestroyed and the blob is deleted. It is safe for concurrent use.
type Recorder struct {
	v   *Vault
	rec *parley.Recording

	mu     sync.Mutex
	blob   parley.BlobWriter
	sw     *StreamWriter
	fl     *flusher // nil once finished or discarded
	killed bool     // destroyed
	done   bool     // closed or aborted

	touched  time.Time   // last heartbeat sent
	touching atomic.Bool // a heartbeat is on its way to the store
}

// ID returns the recording id.
func (r *Recorder) ID() string { return r.rec.ID }

func errDestroyed(op string) error {
	return parley.Errorf(op, parley.KindDestroyed, "recording was destroyed while being written")
}

// Write adds audio.
func (r *Recorder) Write(p []byte) (int, error) {
	const op = "vault.Recorder.Write"
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.killed {
		return 0, errDestroyed(op)
	}
	if r.done {
		return 0, parley.Errorf(op, parley.KindInvalid, "recorder closed")
	}
	n, err := r.sw.Write(p)
	if err != nil {
		return n, parley.WrapError(op, parley.KindUnavailable, err)
	}
	r.heartbeat()
	return n, nil
}

// heartbeat touches the recording in the store at most every Heartbeat, off the writer's
// path (a call's RTP loop must not wait on the database). A failed touch is logged: the
// worst it does is let Recover take a slow writer for dead later. The caller holds r.mu.
func (r *Recorder) heartbeat() {
	now := r.v.now().UTC()
	if now.Sub(r.touched) < Heartbeat || !r.touching.CompareAndSwap(false, true) {
		return
	}
	r.touched = now
	go func() {
		defer r.touching.Store(false)
		if err := r.v.store.TouchRecording(context.Background(), r.rec.ID, now); err != nil && !parley.IsKind(err, parley.KindNotFound) {
			r.v.logger.Warn("cannot touch a recording being written", "recording", r.rec.ID, "err", err)
		}
	}()
}

// Close writes the final chunk, commits the blob and marks the recording complete.
func (r *Recorder) Close() error {
	const op = "vault.Recorder.Close"
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.killed {
		return errDestroyed(op)
	}
	if r.done {
		return parley.Errorf(op, parley.KindInvalid, "recorder closed")
	}
	r.done = true
	defer r.v.dropLive(r.rec.ID)
	ctx := context.Background()
	err := r.sw.Close()
	if err != nil {
		r.stopFlusher(false)
	} else {
		err = r.stopFlusher(true)
	}
	if err != nil {
		r.blob.Abort()
		return parley.WrapError(op, parley.KindUnavailable, err)
	}
	if err := r.blob.Commit(); err != nil {
		return parley.WrapError(op, parley.KindUnavailable, err)
	}
	err = r.v.store.FinishRecording(ctx, r.rec.ID, parley.RecordingComplete, r.sw.Written(), r.v.now().UTC())
	if parley.IsKind(err, parley.KindDestroyed) {
		// Destroyed by another process meanwhile: the key is gone; drop the ciphertext too.
		if derr := r.v.blobs.Delete(ctx, parley.BlobKey(r.rec.ID)); derr != nil {
			r.v.logger.Warn("cannot delete the blob of a destroyed recording", "recording", r.rec.ID, "err", derr)
		}
		return errDestroyed(op)
	}
	return parley.WrapError(op, parley.KindUnavailable, err)
}

// Abort discards the audio: the blob is removed and the recording is marked truncated with
// size 0. Aborting a closed, aborted or destroyed recorder does nothing.
func (r *Recorder) Abort() error {
	const op = "vault.Recorder.Abort"
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.killed || r.done {
		return nil
	}
	r.done = true
	r.v.dropLive(r.rec.ID)
	ctx := context.Background()
	r.stopFlusher(false)
	r.blob.Abort()
	if err := r.v.blobs.Delete(ctx, parley.BlobKey(r.rec.ID)); err != nil {
		r.v.logger.Warn("cannot delete an aborted recording's blob", "recording", r.rec.ID, "err", err)
	}
	err := r.v.store.FinishRecording(ctx, r.rec.ID, parley.RecordingTruncated, 0, r.v.now().UTC())
	if err != nil && !parley.IsKind(err, parley.KindDestroyed) {
		return parley.WrapError(op, parley.KindUnavailable, err)
	}
	return nil
}

// kill is called by Destroy once the recording's key is gone: it stops the recorder and
// deletes its blob.
func (r *Recorder) kill() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.killed {
		return
	}
	r.killed = true
	r.discardLocked()
}

// discardLocked aborts and deletes the blob. The caller holds r.mu.
func (r *Recorder) discardLocked() {
	r.v.dropLive(r.rec.ID)
	if r.blob != nil && !r.done {
		r.stopFlusher(false)
		r.blob.Abort()
	}
	r.done = true
	r.sw = nil
	if err := r.v.blobs.Delete(context.Background(), parley.BlobKey(r.rec.ID)); err != nil {
		r.v.logger.Warn("cannot delete a destroyed recording's blob", "recording", r.rec.ID, "err", err)
	}
}

// stopFlusher ends the flusher once: with drain, after writing and syncing what is queued
// (returning the first write error); without, dropping it. The caller holds r.mu.
func (r *Recorder) stopFlusher(drain bool) error {
	fl := r.fl
	if fl == nil {
		return nil
	}
	r.fl = nil
	if drain {
		return fl.finish()
	}
	fl.discard()
	return nil
}
