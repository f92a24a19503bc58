package web

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"parley.dev/parley"
	"parley.dev/parley/audit"
	"parley.dev/parley/authz"
	"parley.dev/parley/privilege"
)

// Auditors see the audit log of their own scope. An event belongs to a facility when it
// names one (object "facility:ID", "device:ID/…", "… facility:ID", detail "facility ID…")
// or names a recording, call or account of one (looked up). An event that belongs to no
// facility — sign-ins, key rotation, the privilege registry, audit reads, the retention
// job's runs — stays visible to every auditor: these carry no personal data, and hiding
// the registry's work or the log's own checks from an auditor would hide what auditors
// are for. Verification always covers the whole log (its Merkle tree is one).

// eventScope resolves the facility of audit events, caching lookups for one request.
type eventScope struct {
	s     *Server
	cache map[string]string
}

// facility returns the facility an event belongs to, or "" if none.
func (es *eventScope) facility(ctx context.Context, e parley.AuditEvent) string {
	obj := e.Object
	if id, ok := strings.CutPrefix(obj, "facility:"); ok {
		return firstField(id)
	}
	if _, rest, ok := strings.Cut(obj, " facility:"); ok {
		return firstField(rest)
	}
	if d, ok := strings.CutPrefix(obj, "device:"); ok {
		f, _, _ := strings.Cut(d, "/")
		return f
	}
	if d, ok := strings.CutPrefix(e.Detail, "facility "); ok {
		return strings.TrimSuffix(firstField(d), ":")
	}
	kind, id, ok := strings.Cut(firstField(obj), ":")
	if !ok || (kind != "recording" && kind != "call" && kind != "user") {
		return ""
	}
	key := kind + ":" + id
	if f, ok := es.cache[key]; ok {
		return f
	}
	f := ""
	switch kind {
	case "recording":
		if r, err := es.s.c.Store.FindRecording(ctx, id); err == nil {
			f = r.FacilityID
		}
	case "call":
		if c, err := es.s.c.Store.FindCall(ctx, id); err == nil {
			f = c.FacilityID
		}
	case "user":
		if u, err := es.s.c.Store.FindUser(ctx, id); err == nil && u.FacilityID != "" {
			f = u.FacilityID
		}
	}
	es.cache[key] = f
	return f
}

func firstField(s string) string {
	if i := strings.IndexByte(s, ' '); i >= 0 {
		return s[:i]
	}
	return s
}

// scopeAudit keeps the events an auditor may see: those of a facility in their own scope
// and those of no facility.
func (s *Server) scopeAudit(ctx context.Context, p *principal, events []parley.AuditEvent) []parley.AuditEvent {
	es := &eventScope{s: s, cache: map[string]string{}}
	out := make([]parley.AuditEvent, 0, len(events))
	for _, e := range events {
		f := es.facility(ctx, e)
		if f == "" || slices.Contains(p.actor.Facilities, f) {
			out = append(out, e)
		}
	}
	return out
}

// privilegedHistory is every registration, sweep, removal and import of privileged
// numbers and every recording destroyed because of one, oldest first, with the whole
// log's verification.
type privilegedHistory struct {
	Events   []numberedEvent `json:"events"`
	Verified bool            `json:"verified"`
	Records  int64           `json:"records"`
	RootHash string          `json:"root_hash,omitempty"`
	Problem  string          `json:"problem,omitempty"`
}

// numberedEvent is an audit event with its record number in the log.
type numberedEvent struct {
	N int64 `json:"n"`
	parley.AuditEvent
}

// isPrivilegeEvent reports whether an event is the registry's work or a destruction it
// caused.
func isPrivilegeEvent(e parley.AuditEvent) bool {
	return strings.HasPrefix(e.Action, "privileged.") ||
		e.Action == audit.ActionRecordingDestroy && e.Detail == privilege.DestroyReason
}

func (s *Server) privilegedHistory(ctx context.Context, p *principal) (privilegedHistory, error) {
	const op = "web.privilegedHistory"
	if d := authz.Decide(p.actor, authz.ReadAudit, authz.Resource{}, p.now); !d.Allow {
		return privilegedHistory{}, s.deny(ctx, "audit.read", "audit:privileged", "", "", d.Rule)
	}
	if err := s.c.Audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: "audit.read",
		Object: "audit:privileged", Outcome: parley.OutcomeOK}); err != nil {
		return privilegedHistory{}, parley.WrapError(op, parley.KindUnavailable, err)
	}
	size, err := s.c.Store.AuditSize(ctx)
	if err != nil {
		return privilegedHistory{}, err
	}
	out := privilegedHistory{Events: []numberedEvent{}}
	const chunk = 1000
	for from := int64(0); from < size; from += chunk {
		events, err := s.c.Audit.Events(ctx, from, min(from+chunk, size))
		if err != nil {
			return privilegedHistory{}, err
		}
		for i, e := range events {
			if isPrivilegeEvent(e) {
				out.Events = append(out.Events, numberedEvent{N: from + int64(i), AuditEvent: e})
			}
		}
	}
	rep, verr := s.verifyAudit(ctx, p)
	if verr != nil {
		out.Problem = publicMessage(verr)
	} else {
		out.Verified, out.Records, out.RootHash = true, rep.Records, rep.RootHash
	}
	return out, nil
}

func (s *Server) apiPrivilegedHistory(w http.ResponseWriter, r *http.Request, p *principal) error {
	h, err := s.privilegedHistory(p.ctx(r), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

func (s *Server) pagePrivilegedHistory(w http.ResponseWriter, r *http.Request, p *principal) error {
	h, err := s.privilegedHistory(p.ctx(r), p)
	if err != nil {
		return err
	}
	v := s.base(p, "Privileged numbers: history")
	v.Data = h
	s.render(w, r, http.StatusOK, "privileged_history", v)
	return nil
}
