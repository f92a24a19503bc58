package web

import (
	"context"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/audit"
	"parley.dev/parley/authz"
	"parley.dev/parley/phone"
	"parley.dev/parley/records"
)

// reason is the stated purpose and case of a read: both are audited.
type reason struct {
	Purpose string
	Case    string
}

// parseReason reads purpose (required) and case from a query.
func parseReason(q url.Values) (reason, error) {
	const op = "web.reason"
	why := reason{Purpose: strings.TrimSpace(q.Get("purpose")), Case: strings.TrimSpace(q.Get("case"))}
	if why.Purpose == "" {
		return why, parley.Errorf(op, parley.KindInvalid, "purpose is required: every search and playback states why")
	}
	if len(why.Purpose) > 200 || len(why.Case) > 64 || !printable(why.Purpose) || !printable(why.Case) {
		return why, parley.Errorf(op, parley.KindInvalid, "purpose (200) or case (64) too long or not printable")
	}
	return why, nil
}

func printable(s string) bool {
	for _, c := range s {
		if c < ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// searchQuery is a parsed call search.
type searchQuery struct {
	filter parley.CallFilter
	why    reason
}

// parseSearch checks a search's parameters: a number, an inmate or a facility; dates as
// 2026-11-23 or RFC 3339; purpose required.
func parseSearch(q url.Values, region string) (searchQuery, error) {
	const op = "web.search"
	var s searchQuery
	var err error
	if s.why, err = parseReason(q); err != nil {
		return s, err
	}
	f := &s.filter
	if raw := strings.TrimSpace(q.Get("number")); raw != "" {
		if len(raw) > 40 {
			return s, parley.Errorf(op, parley.KindInvalid, "number too long")
		}
		if f.Number, err = phone.Normalize(raw, region); phone.HasExtension(err) {
			return s, parley.WrapError(op, parley.KindInvalid, err)
		} else if err != nil {
			return s, parley.Errorf(op, parley.KindInvalid, "number is not a phone number")
		}
	}
	for name, dst := range map[string]*string{"inmate": &f.InmateID, "facility": &f.FacilityID} {
		if v := strings.TrimSpace(q.Get(name)); v != "" {
			if err := parley.ValidateID(v); err != nil {
				return s, parley.Errorf(op, parley.KindInvalid, "%s id %s", name, err.(*parley.Error).Message)
			}
			*dst = v
		}
	}
	if f.Number == "" && f.InmateID == "" && f.FacilityID == "" {
		return s, parley.Errorf(op, parley.KindInvalid, "give a number, an inmate or a facility")
	}
	if f.From, err = parseDate("from", q.Get("from"), false); err != nil {
		return s, err
	}
	if f.To, err = parseDate("to", q.Get("to"), true); err != nil {
		return s, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return s, parley.Errorf(op, parley.KindInvalid, "from must be before to")
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > parley.MaxCallResults {
			return s, parley.Errorf(op, parley.KindInvalid, "limit must be 1 to %d", parley.MaxCallResults)
		}
		f.Limit = n
	}
	return s, nil
}

// parseDate reads 2026-11-23 (a whole day: its start, or for "to" the next day's start) or
// an RFC 3339 time.
func parseDate(name, v string, end bool) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := time.Parse("2006-01-02", v); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil || t.Year() < 1970 || t.Year() > 9999 {
		return time.Time{}, parley.Errorf("web.search", parley.KindInvalid, "%s must be a date like 2026-11-23 or an RFC 3339 time", name)
	}
	return t, nil
}

// deny audits a refused decision and returns the 403.
func (s *Server) deny(ctx context.Context, action, object, purpose, caseID, rule string) error {
	if err := s.c.Audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: action,
		Object: object, Outcome: parley.OutcomeDenied, Purpose: purpose, Case: caseID, Detail: "authz: " + rule}); err != nil {
		return parley.WrapError("web.deny", parley.KindUnavailable, err)
	}
	return parley.Errorf("web.authz", parley.KindForbidden, "not allowed for your role or scope")
}

// limited counts a bulk-read request against the account's rate and cap.
func (s *Server) limited(ctx context.Context, p *principal, action, purpose, caseID string) error {
	if s.limiter.Allow(p.user.ID, p.now) {
		return nil
	}
	if err := s.c.Audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: action,
		Outcome: parley.OutcomeDenied, Purpose: purpose, Case: caseID, Detail: "rate or daily cap"}); err != nil {
		return parley.WrapError("web.limit", parley.KindUnavailable, err)
	}
	return tooMany()
}

// counted adds records read to the account's daily count; reaching the cap raises an
// alert to the admins and auditors of the account's scope (an audit event and a stored
// alert they see).
func (s *Server) counted(ctx context.Context, p *principal, n int) {
	if !s.limiter.Add(p.user.ID, n, p.now) {
		return
	}
	scope := "facility:" + p.user.FacilityID
	if p.user.AgencyID != "" {
		scope = "agency:" + p.user.AgencyID
	}
	if err := s.c.Audit.Audit(ctx, parley.AuditEvent{Actor: "system:web", Action: "bulk.cap",
		Object: "user:" + p.user.ID, Outcome: parley.OutcomeOK, Detail: "daily read cap reached; alert to " + scope}); err != nil {
		s.c.Logger.ErrorContext(ctx, "cannot audit a bulk-read cap", "user", p.user.ID, "err", err)
	}
	if err := s.c.Store.CreateAlert(ctx, &parley.Alert{Scope: scope, Kind: "bulk_read_cap", UserID: p.user.ID,
		Detail: "daily read cap reached", CreatedAt: p.now}); err != nil {
		s.c.Logger.ErrorContext(ctx, "cannot store a bulk-read alert", "user", p.user.ID, "err", err)
	}
	s.c.Logger.WarnContext(ctx, "bulk-read cap reached", "user", p.user.ID)
}

// search runs an authorized, audited search: in the facility asked for if the actor may,
// else in every facility the actor reaches. Privileged calls are dropped: invisible.
func (s *Server) search(ctx context.Context, p *principal, q searchQuery) ([]*parley.CallRecord, error) {
	f := q.filter
	object := "facility:" + f.FacilityID
	if err := s.limited(ctx, p, "calls.search", q.why.Purpose, q.why.Case); err != nil {
		return nil, err
	}
	var facilities []string
	if f.FacilityID != "" {
		if d := authz.Decide(p.actor, authz.SearchCalls, authz.Resource{FacilityID: f.FacilityID}, p.now); !d.Allow {
			return nil, s.deny(ctx, "calls.search", object, q.why.Purpose, q.why.Case, d.Rule)
		}
		facilities = []string{f.FacilityID}
	} else {
		facilities = authz.Reachable(p.actor, authz.SearchCalls, p.now)
		if len(facilities) == 0 {
			return nil, s.deny(ctx, "calls.search", "facility:*", q.why.Purpose, q.why.Case, "role")
		}
	}
	var out []*parley.CallRecord
	for _, fac := range facilities {
		g := f
		g.FacilityID = fac
		calls, err := s.c.Searcher.Search(ctx, records.Query{Filter: g, Purpose: q.why.Purpose, Case: q.why.Case})
		if err != nil {
			return nil, err
		}
		for _, c := range calls {
			if !c.Privileged && c.FacilityID == fac {
				out = append(out, c)
			}
		}
	}
	s.counted(ctx, p, len(out))
	return out, nil
}

// validID rejects ids that could be path tricks or injection before any lookup.
func validID(op, id string) error {
	if err := parley.ValidateID(id); err != nil || strings.Contains(id, "..") {
		return parley.Errorf(op, parley.KindInvalid, "malformed id")
	}
	return nil
}

// readCall returns one call record the actor may read, audited. A privileged call or one
// outside scope is refused; a privileged one looks like a missing one.
func (s *Server) readCall(ctx context.Context, p *principal, id string, why reason) (*parley.CallRecord, error) {
	const op = "web.readCall"
	if err := validID(op, id); err != nil {
		return nil, err
	}
	if err := s.limited(ctx, p, "call.read", why.Purpose, why.Case); err != nil {
		return nil, err
	}
	c, err := s.c.Store.FindCall(ctx, id)
	if err != nil {
		return nil, err
	}
	d := authz.Decide(p.actor, authz.ReadCall, authz.Resource{FacilityID: c.FacilityID, Privileged: c.Privileged}, p.now)
	if !d.Allow {
		err := s.deny(ctx, "call.read", "call:"+id, why.Purpose, why.Case, d.Rule)
		if c.Privileged {
			return nil, parley.Errorf(op, parley.KindNotFound, "call not found")
		}
		return nil, err
	}
	if err := s.c.Audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: "call.read",
		Object: "call:" + id, Outcome: parley.OutcomeOK, Purpose: why.Purpose, Case: why.Case, Detail: "authz: " + d.Rule}); err != nil {
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	s.counted(ctx, p, 1)
	return c, nil
}

// openRecording authorizes a playback and opens the audio (the vault audits the read).
func (s *Server) openRecording(ctx context.Context, p *principal, id string, why reason) (io.ReadCloser, error) {
	const op = "web.openRecording"
	if err := validID(op, id); err != nil {
		return nil, err
	}
	if err := s.limited(ctx, p, "recording.read", why.Purpose, why.Case); err != nil {
		return nil, err
	}
	if err := s.authorizeRecording(ctx, p, id, why); err != nil {
		return nil, err
	}
	rc, _, err := s.c.Vault.Open(ctx, id, vaultAccess(why))
	if err != nil {
		return nil, err
	}
	s.counted(ctx, p, 1)
	return rc, nil
}

// authorizeRecording decides a playback of a recording (which must still exist), auditing
// a refusal; a privileged recording looks like a missing one.
func (s *Server) authorizeRecording(ctx context.Context, p *principal, id string, why reason) error {
	const op = "web.openRecording"
	rec, err := s.c.Store.FindRecording(ctx, id)
	if err != nil {
		return err
	}
	privileged := false
	if rec.CallID != "" {
		c, err := s.c.Store.FindCall(ctx, rec.CallID)
		if err != nil && !parley.IsKind(err, parley.KindNotFound) {
			return err
		}
		privileged = c != nil && c.Privileged
	}
	d := authz.Decide(p.actor, authz.PlayRecording, authz.Resource{FacilityID: rec.FacilityID, Privileged: privileged}, p.now)
	if !d.Allow {
		err := s.deny(ctx, "recording.read", "recording:"+id, why.Purpose, why.Case, d.Rule)
		if privileged {
			return parley.Errorf(op, parley.KindNotFound, "recording not found")
		}
		return err
	}
	if rec.WrappedDEK == nil || !rec.DestroyedAt.IsZero() {
		return parley.Errorf(op, parley.KindDestroyed, "recording destroyed")
	}
	return nil
}

// readAudit returns audit events [from, from+limit) for an auditor, auditing the read.
func (s *Server) readAudit(ctx context.Context, p *principal, q url.Values) (size int64, events []parley.AuditEvent, from int64, err error) {
	const op = "web.readAudit"
	if d := authz.Decide(p.actor, authz.ReadAudit, authz.Resource{}, p.now); !d.Allow {
		return 0, nil, 0, s.deny(ctx, "audit.read", "audit", "", "", d.Rule)
	}
	limit := int64(100)
	from = -1
	if v := q.Get("from"); v != "" {
		if from, err = strconv.ParseInt(v, 10, 64); err != nil || from < 0 {
			return 0, nil, 0, parley.Errorf(op, parley.KindInvalid, "from must be a record number >= 0")
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.ParseInt(v, 10, 64); err != nil || limit < 1 || limit > 1000 {
			return 0, nil, 0, parley.Errorf(op, parley.KindInvalid, "limit must be 1 to 1000")
		}
	}
	if err := s.c.Audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: "audit.read",
		Object: "audit", Outcome: parley.OutcomeOK}); err != nil {
		return 0, nil, 0, parley.WrapError(op, parley.KindUnavailable, err)
	}
	if size, err = s.c.Store.AuditSize(ctx); err != nil {
		return 0, nil, 0, err
	}
	if from < 0 {
		from = max(0, size-limit) // the latest page
	}
	to := min(from+limit, size)
	if from >= to {
		return size, []parley.AuditEvent{}, from, nil
	}
	if events, err = s.c.Audit.Events(ctx, from, to); err != nil {
		return 0, nil, 0, err
	}
	return size, s.scopeAudit(ctx, p, events), from, nil
}

// verifyAudit checks the whole log (auditors).
func (s *Server) verifyAudit(ctx context.Context, p *principal) (audit.Report, error) {
	if d := authz.Decide(p.actor, authz.VerifyAudit, authz.Resource{}, p.now); !d.Allow {
		return audit.Report{}, s.deny(ctx, "audit.verify", "audit", "", "", d.Rule)
	}
	return s.c.VerifyAudit(ctx)
}

// alerts returns the alerts of the actor's own scope (admins and auditors).
func (s *Server) alerts(ctx context.Context, p *principal) ([]*parley.Alert, error) {
	if !authz.RoleMay(p.actor, authz.ReadAlerts) {
		return nil, s.deny(ctx, "alerts.read", "alerts", "", "", "role")
	}
	var scopes []string
	for _, f := range p.actor.Facilities {
		scopes = append(scopes, "facility:"+f)
	}
	if p.user.AgencyID != "" {
		scopes = append(scopes, "agency:"+p.user.AgencyID)
	}
	return s.c.Store.ListAlerts(ctx, scopes, 100)
}

// callJSON is the API shape of a call record.
type callJSON struct {
	ID          string `json:"id"`
	FacilityID  string `json:"facility_id"`
	InmateID    string `json:"inmate_id"`
	InmateName  string `json:"inmate_name"`
	Number      string `json:"number"`
	StartedAt   string `json:"started_at"`
	Seconds     int64  `json:"duration_seconds"`
	Status      string `json:"status"`
	Recording   string `json:"recording"`
	RecordingID string `json:"recording_id,omitempty"`
}

func viewCall(c *parley.CallRecord) callJSON {
	return callJSON{ID: c.ID, FacilityID: c.FacilityID, InmateID: c.InmateID, InmateName: c.InmateName,
		Number: string(c.Number), StartedAt: c.StartedAt.UTC().Format(time.RFC3339),
		Seconds: int64(c.Duration / time.Second), Status: string(c.Status), Recording: string(c.Recording),
		RecordingID: c.RecordingID}
}
