package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"parley.dev/parley"
)

// Actor is who the retention job acts as in the audit log.
const Actor = "system:retention"

// actionRun is the audit action of the job ("retention.run" in the audit package, which
// this package does not import so that it depends only on parley.Auditor).
const actionRun = "retention.run"

// DefaultBatchSize is how many recordings are destroyed at once when Job.BatchSize is 0.
const DefaultBatchSize = 100

// Destroyer crypto-shreds recordings (the vault implements it): it destroys their data
// keys for good and returns how many it destroyed. Recordings already destroyed are not
// counted and are not an error.
type Destroyer interface {
	Destroy(ctx context.Context, ids []string, reason string) (int, error)
}

// classes are the record classes the job expires, in order.
var classes = []parley.RecordClass{parley.ClassCall, parley.ClassImported, parley.ClassVideo}

// Job expires recordings. All fields but Logger, Now and BatchSize are required.
type Job struct {
	Facilities parley.FacilityService
	Recordings parley.RecordingService
	Destroyer  Destroyer
	Auditor    parley.Auditor
	Logger     *slog.Logger     // counts only; discarded if nil
	Now        func() time.Time // time.Now if nil
	BatchSize  int              // DefaultBatchSize if 0
}

// Result counts what a run destroyed.
type Result struct {
	Destroyed   int            // recordings destroyed in all facilities
	PerFacility map[string]int // facility id -> recordings destroyed, for every facility visited
}

// Run expires, in every facility and for every class, the recordings created more than
// the facility's retention for the class (Facility.RetentionFor) days ago and not on legal
// hold. Age counts from Recording.CreatedAt, which is the call's start for every class: a
// live call is recorded as it happens, and an imported recording is filed at its call's
// start (vault.Vault.RecordAt), not at the import, so an old call imported today expires
// on the first run. It audits the start of the run, each batch before destroying it, and the end.
//
// If the audit log cannot be written Run stops at once (before destroying anything if it
// is the start event) and returns the error. A failure to find or destroy recordings in
// one facility and class is remembered and the run goes on with the others; Run then
// returns the first such error with the counts of what was destroyed.
func (j *Job) Run(ctx context.Context) (Result, error) {
	const op = "retention.Run"
	res := Result{PerFacility: map[string]int{}}
	if j.Facilities == nil || j.Recordings == nil || j.Destroyer == nil || j.Auditor == nil {
		return res, parley.Errorf(op, parley.KindInternal, "retention job is missing a dependency")
	}
	now := time.Now
	if j.Now != nil {
		now = j.Now
	}
	at := now().UTC()
	// Whoever started the run (an operator's CLI, serve's loop), the destructions are the
	// job's: the vault names the actor of each from the context.
	ctx = parley.NewContextWithActor(ctx, Actor)
	facilities, err := j.Facilities.ListFacilities(ctx)
	if err != nil {
		return res, parley.WrapError(op, parley.KindUnavailable, err)
	}
	if err := j.audit(ctx, op, "", parley.OutcomeOK, fmt.Sprintf("start facilities=%d", len(facilities))); err != nil {
		return res, err
	}

	var firstErr error
	for _, f := range facilities {
		for _, class := range classes {
			n, err := j.expire(ctx, op, f, class, at)
			res.PerFacility[f.ID] += n
			res.Destroyed += n
			if isAuditErr(err) || ctx.Err() != nil {
				// The audit log is down or we are cancelled: destroy nothing more.
				j.logger().WarnContext(ctx, "retention run stopped", "destroyed", res.Destroyed)
				if ctx.Err() != nil && err == nil {
					err = parley.WrapError(op, parley.KindUnavailable, ctx.Err())
				}
				return res, err
			}
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}
	}

	outcome, detail := parley.OutcomeOK, fmt.Sprintf("end destroyed=%d", res.Destroyed)
	if firstErr != nil {
		outcome, detail = parley.OutcomeError, detail+" failed=true"
	}
	if err := j.audit(ctx, op, "", outcome, detail); err != nil {
		return res, err
	}
	return res, firstErr
}

// auditError marks an error from the Auditor, so Run can tell it from a store error.
type auditError struct{ error }

func (e auditError) Unwrap() error { return e.error }

// isAuditErr reports whether err came from the Auditor.
func isAuditErr(err error) bool {
	var ae auditError
	return errors.As(err, &ae)
}

// audit logs a retention.run event; any failure is KindUnavailable.
func (j *Job) audit(ctx context.Context, op, facilityID, outcome, detail string) error {
	e := parley.AuditEvent{Actor: Actor, Action: actionRun, Outcome: outcome, Detail: detail}
	if facilityID != "" {
		e.Object = "facility:" + facilityID
	}
	if err := j.Auditor.Audit(ctx, e); err != nil {
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot write the audit log",
			Err: auditError{err}}
	}
	return nil
}

// expire destroys, batch by batch, the expired recordings of one facility and class and
// returns how many were destroyed.
func (j *Job) expire(ctx context.Context, op string, f *parley.Facility, class parley.RecordClass, at time.Time) (int, error) {
	days := f.RetentionFor(class)
	cutoff := at.AddDate(0, 0, -days)
	batch := j.BatchSize
	if batch <= 0 {
		batch = DefaultBatchSize
	}
	total := 0
	for ctx.Err() == nil {
		recs, err := j.Recordings.FindExpiredRecordings(ctx, f.ID, class, cutoff, batch)
		if err != nil {
			return total, parley.WrapError(op, parley.KindUnavailable, err)
		}
		if len(recs) == 0 {
			return total, nil
		}
		ids := make([]string, 0, len(recs))
		for _, r := range recs {
			ids = append(ids, r.ID)
		}
		if err := j.audit(ctx, op, f.ID, parley.OutcomeOK,
			fmt.Sprintf("destroy class=%s count=%d retention_days=%d", class, len(ids), days)); err != nil {
			return total, err
		}
		n, err := j.Destroyer.Destroy(ctx, ids, "retention")
		total += n
		if err != nil {
			// Best effort: the error is returned whether or not this event is written.
			_ = j.audit(ctx, op, f.ID, parley.OutcomeError,
				fmt.Sprintf("destroy class=%s count=%d destroyed=%d", class, len(ids), n))
			return total, parley.WrapError(op, parley.KindUnavailable, err)
		}
		if n == 0 {
			// Nothing was destroyed, so the next query would return the same batch.
			return total, parley.Errorf(op, parley.KindInternal,
				"destroyer made no progress on %d expired recordings of facility %s, class %s", len(ids), f.ID, class)
		}
		if len(recs) < batch {
			return total, nil
		}
	}
	return total, nil
}

// logger returns the job's logger or one that discards.
func (j *Job) logger() *slog.Logger {
	if j.Logger != nil {
		return j.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Loop runs Run at once and then every interval until ctx is done, logging counts and the
// kind of any error (never personal data).
func (j *Job) Loop(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		res, err := j.Run(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			j.logger().ErrorContext(ctx, "retention run failed", "destroyed", res.Destroyed,
				"facilities", len(res.PerFacility), "kind", parley.ErrorKind(err).String())
		case err == nil:
			j.logger().InfoContext(ctx, "retention run done", "destroyed", res.Destroyed,
				"facilities", len(res.PerFacility))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
