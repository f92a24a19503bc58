package audit

import (
	"context"
	"time"

	"parley.dev/parley"
)

// Attempt runs a sensitive action the way every audited action runs. ev (outcome ok) is
// appended before the action, so that if the log cannot take it, do never runs and the
// action fails closed (KindUnavailable). If do then fails, a second event with the same
// actor, action, object, purpose and case, outcome error and detail "failed: <kind>" is
// appended, so the log's last word on the action is what really happened; do's error is
// returned. That follow-up is best effort: the action did not happen either way.
func Attempt(ctx context.Context, a parley.Auditor, ev parley.AuditEvent, do func() error) error {
	const op = "audit.Attempt"
	ev.Outcome = parley.OutcomeOK
	if err := a.Audit(ctx, ev); err != nil {
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "audit failed; " + ev.Action + " not done", Err: err}
	}
	err := do()
	if err != nil {
		_ = a.Audit(ctx, Failed(ev, err))
	}
	return err
}

// Failed returns the follow-up event recording that the action ev described did not
// happen because of err: outcome error, detail "failed: <kind>" after ev's own detail.
func Failed(ev parley.AuditEvent, err error) parley.AuditEvent {
	ev.Time, ev.Outcome = time.Time{}, parley.OutcomeError // stamped when appended
	ev.Detail = joinDetail(ev.Detail, "failed: "+parley.ErrorKind(err).String())
	return ev
}

// Refused returns the single event recording an action refused before it started (a
// duplicate id, an output file that exists): outcome error, detail "refused: <kind>".
func Refused(ev parley.AuditEvent, err error) parley.AuditEvent {
	ev.Time, ev.Outcome = time.Time{}, parley.OutcomeError // stamped when appended
	ev.Detail = joinDetail(ev.Detail, "refused: "+parley.ErrorKind(err).String())
	return ev
}

func joinDetail(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
