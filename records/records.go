// Package records answers searches of call detail records. Every search is an audit event
// written before any result is returned, and a search never returns more than
// parley.MaxCallResults records, so no single request can pull the database.
package records

import (
	"context"
	"encoding/hex"
	"strings"

	"parley.dev/parley"
)

// Query is a search with the reason for it.
type Query struct {
	Filter  parley.CallFilter
	Purpose string // why the records are read; audited
	Case    string // case number, if any; audited
}

// Searcher runs audited searches.
type Searcher struct {
	Calls   parley.CallService
	Auditor parley.Auditor
	// Digest names a searched number or inmate in the audit log without revealing it: an
	// auditor holding the index key can test whether a given number was searched.
	Digest func(column string, value []byte) []byte
}

// Search audits the query, then runs it. If the audit event cannot be written, nothing is
// searched and the error is returned.
func (s *Searcher) Search(ctx context.Context, q Query) ([]*parley.CallRecord, error) {
	const op = "records.Search"
	f := q.Filter
	if f.Number == "" && f.FacilityID == "" && f.InmateID == "" {
		return nil, parley.Errorf(op, parley.KindInvalid, "give a number, an inmate or a facility")
	}
	if f.Number != "" && !f.Number.Valid() {
		return nil, parley.Errorf(op, parley.KindInvalid, "number is not in E.164 form")
	}
	if f.InmateID != "" && f.FacilityID == "" {
		return nil, parley.Errorf(op, parley.KindInvalid, "an inmate search needs the facility")
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return nil, parley.Errorf(op, parley.KindInvalid, "from must be before to")
	}
	if f.Limit < 0 {
		return nil, parley.Errorf(op, parley.KindInvalid, "limit must not be negative")
	}
	if f.Limit == 0 || f.Limit > parley.MaxCallResults {
		f.Limit = parley.MaxCallResults
	}
	ev := parley.AuditEvent{
		Actor:   parley.ActorFromContext(ctx),
		Action:  "calls.search",
		Object:  s.object(f),
		Outcome: parley.OutcomeOK,
		Purpose: q.Purpose,
		Case:    q.Case,
	}
	if err := s.Auditor.Audit(ctx, ev); err != nil {
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	calls, err := s.Calls.FindCalls(ctx, f)
	if err != nil {
		return nil, parley.WrapError(op, parley.KindInternal, err)
	}
	return calls, nil
}

// object describes the search for the audit log: facility in clear, number and inmate as
// keyed digests.
func (s *Searcher) object(f parley.CallFilter) string {
	var parts []string
	if f.FacilityID != "" {
		parts = append(parts, "facility:"+f.FacilityID)
	}
	if f.InmateID != "" {
		parts = append(parts, "inmate:#"+s.digest("inmate_id", f.FacilityID+"\x00"+f.InmateID))
	}
	if f.Number != "" {
		parts = append(parts, "number:#"+s.digest("number", string(f.Number)))
	}
	if !f.From.IsZero() {
		parts = append(parts, "from:"+f.From.UTC().Format("2006-01-02T15:04:05Z"))
	}
	if !f.To.IsZero() {
		parts = append(parts, "to:"+f.To.UTC().Format("2006-01-02T15:04:05Z"))
	}
	return strings.Join(parts, " ")
}

func (s *Searcher) digest(column, value string) string {
	if s.Digest == nil {
		return "?"
	}
	d := s.Digest(column, []byte(value))
	if len(d) > 8 {
		d = d[:8]
	}
	return hex.EncodeToString(d)
}
