package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/authz"
)

// The auditor's view of the log: filters (actor, action, object, period), staff names in
// place of account ids, and a CSV export. Names are resolved at render time from the
// (encrypted) user table for the auditor's eyes only: the log itself keeps ids, and the
// audit events of these reads carry ids, never a name.

// auditFilter selects events; the zero value selects all.
type auditFilter struct {
	Actor    string    // "user:ID", "cli:operator", …; a staff name is resolved to its id
	Action   string    // prefix: "recording." matches recording.read and recording.hold
	Object   string    // substring
	From, To time.Time // [since, until): until is the end of its day
}

func (f auditFilter) empty() bool {
	return f.Actor == "" && f.Action == "" && f.Object == "" && f.From.IsZero() && f.To.IsZero()
}

func (f auditFilter) match(e parley.AuditEvent) bool {
	return (f.Actor == "" || e.Actor == f.Actor) && strings.HasPrefix(e.Action, f.Action) &&
		(f.Object == "" || strings.Contains(e.Object, f.Object)) &&
		(f.From.IsZero() || !e.Time.Before(f.From)) && (f.To.IsZero() || e.Time.Before(f.To))
}

// detail is the filter as audit detail: ids and words of the query, never a name.
func (f auditFilter) detail() string {
	var parts []string
	for _, kv := range [][2]string{{"actor", f.Actor}, {"action", f.Action}, {"object", f.Object}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	if !f.From.IsZero() {
		parts = append(parts, "since="+f.From.Format(time.DateOnly))
	}
	if !f.To.IsZero() {
		parts = append(parts, "until="+f.To.Add(-time.Second).Format(time.DateOnly))
	}
	return strings.Join(parts, " ")
}

// staffNames maps "user:ID" to the account's name.
func (s *Server) staffNames(ctx context.Context) (map[string]string, error) {
	users, err := s.c.Store.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(users))
	for _, u := range users {
		out["user:"+u.ID] = u.Name
	}
	return out, nil
}

// parseAuditFilter reads the filter fields of the audit page's form.
func parseAuditFilter(q url.Values, names map[string]string) (auditFilter, error) {
	const op = "web.auditFilter"
	var f auditFilter
	for name, dst := range map[string]*string{"actor": &f.Actor, "action": &f.Action, "object": &f.Object} {
		v := strings.TrimSpace(q.Get(name))
		if len(v) > 200 || !printable(v) {
			return f, parley.Errorf(op, parley.KindInvalid, "%s is too long or not printable", name)
		}
		*dst = v
	}
	if f.Actor != "" && !strings.Contains(f.Actor, ":") {
		id := ""
		for k, n := range names {
			if strings.EqualFold(n, f.Actor) {
				id = k
			}
		}
		if id == "" {
			return f, parley.Errorf(op, parley.KindNotFound, "no staff account has that name")
		}
		f.Actor = id
	}
	var err error
	if f.From, err = parseDate("since", q.Get("since"), false); err != nil {
		return f, err
	}
	if f.To, err = parseDate("until", q.Get("until"), true); err != nil {
		return f, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, parley.Errorf(op, parley.KindInvalid, "since must be before until")
	}
	return f, nil
}

// maxAuditScan bounds the records one filtered read looks at, newest first.
const maxAuditScan = 200_000

// filterAudit returns up to limit events of the auditor's scope matching f, newest first,
// and whether the scan stopped at maxAuditScan.
func (s *Server) filterAudit(ctx context.Context, p *principal, f auditFilter, limit int) ([]parley.AuditEvent, bool, error) {
	size, err := s.c.Store.AuditSize(ctx)
	if err != nil {
		return nil, false, err
	}
	var out []parley.AuditEvent
	for to := size; to > 0 && len(out) < limit; {
		if size-to >= maxAuditScan {
			return out, true, nil
		}
		from := max(0, to-1000)
		events, err := s.c.Audit.Events(ctx, from, to)
		if err != nil {
			return nil, false, err
		}
		events = s.scopeAudit(ctx, p, events)
		for i := len(events) - 1; i >= 0 && len(out) < limit; i-- {
			if f.match(events[i]) {
				out = append(out, events[i])
			}
		}
		to = from
	}
	return out, false, nil
}

// pageAuditCSV exports the auditor's filtered view as CSV (at most 10,000 events), audited
// ("audit.export", with the filter) before a byte is written.
func (s *Server) pageAuditCSV(w http.ResponseWriter, r *http.Request, p *principal) error {
	const op = "web.auditExport"
	ctx := p.ctx(r)
	if d := authz.Decide(p.actor, authz.ReadAudit, authz.Resource{}, p.now); !d.Allow {
		return s.deny(ctx, "audit.export", "audit", "", "", d.Rule)
	}
	names, err := s.staffNames(ctx)
	if err != nil {
		return err
	}
	f, err := parseAuditFilter(r.URL.Query(), names)
	if err != nil {
		return err
	}
	if err := s.c.Audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: "audit.export",
		Object: "audit", Outcome: parley.OutcomeOK, Detail: f.detail()}); err != nil {
		return parley.WrapError(op, parley.KindUnavailable, err)
	}
	events, _, err := s.filterAudit(ctx, p, f, 10_000)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="parley-audit.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	cw.Write([]string{"time", "actor", "actor_name", "action", "object", "object_name", "outcome", "purpose", "case", "detail"})
	for _, e := range events {
		cw.Write([]string{e.Time.UTC().Format(time.RFC3339), e.Actor, csvSafe(names[e.Actor]), e.Action, e.Object, csvSafe(names[e.Object]),
			e.Outcome, csvSafe(e.Purpose), csvSafe(e.Case), csvSafe(e.Detail)})
	}
	cw.Flush()
	return nil
}

// csvSafe keeps a spreadsheet from taking free text for a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
