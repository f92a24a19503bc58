package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"parley.dev/parley"
	"parley.dev/parley/authz"
	"parley.dev/parley/phone"
	"parley.dev/parley/vault"
)

// maxBody bounds every request body: sign-in and registrations are small.
const maxBody = 16 << 10

// api wraps an API handler: body limit, session (401 without), CSRF on state changes,
// JSON errors.
func (s *Server) api(fn func(w http.ResponseWriter, r *http.Request, p *principal) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		p, err := s.authenticate(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := checkCSRF(r, p); err != nil {
			s.fail(w, r, err)
			return
		}
		if err := fn(w, r, p); err != nil {
			s.fail(w, r, err)
		}
	})
}

// decodeJSON reads exactly one JSON object with no unknown fields into v.
func decodeJSON(r *http.Request, v any) error {
	const op = "web.decodeJSON"
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return parley.Errorf(op, parley.KindInvalid, "send application/json")
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return parley.Errorf(op, parley.KindInvalid, "body is not the expected JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return parley.Errorf(op, parley.KindInvalid, "body holds more than one JSON value")
	}
	return nil
}

type signInRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	Code     string `json:"code"`
}

type sessionResponse struct {
	UserID    string `json:"user_id"`
	Role      string `json:"role"`
	CSRFToken string `json:"csrf_token"`
}

// apiSignIn: POST /api/v1/session. Name, password and TOTP code in; the session cookie and
// the CSRF token out.
func (s *Server) apiSignIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	var req signInRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	token, sess, u, err := s.c.Auth.SignIn(r.Context(), req.Name, req.Password, req.Code)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setSessionCookie(w, r, token)
	writeJSON(w, http.StatusCreated, sessionResponse{UserID: u.ID, Role: string(u.Role), CSRFToken: sess.CSRFToken})
}

// apiSession: GET /api/v1/session, the current account.
func (s *Server) apiSession(w http.ResponseWriter, r *http.Request, p *principal) error {
	writeJSON(w, http.StatusOK, sessionResponse{UserID: p.user.ID, Role: string(p.user.Role), CSRFToken: p.sess.CSRFToken})
	return nil
}

// apiSignOut: DELETE /api/v1/session.
func (s *Server) apiSignOut(w http.ResponseWriter, r *http.Request, p *principal) error {
	if err := s.c.Auth.SignOut(r.Context(), p.token); err != nil {
		return err
	}
	s.clearSessionCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiSearch: GET /api/v1/calls.
func (s *Server) apiSearch(w http.ResponseWriter, r *http.Request, p *principal) error {
	q, err := parseSearch(r.URL.Query(), s.c.Region)
	if err != nil {
		return err
	}
	calls, err := s.search(p.ctx(r), p, q)
	if err != nil {
		return err
	}
	out := make([]callJSON, 0, len(calls))
	for _, c := range calls {
		out = append(out, viewCall(c))
	}
	writeJSON(w, http.StatusOK, map[string]any{"calls": out})
	return nil
}

// apiCall: GET /api/v1/calls/{id}?purpose=…&case=….
func (s *Server) apiCall(w http.ResponseWriter, r *http.Request, p *principal) error {
	why, err := parseReason(r.URL.Query())
	if err != nil {
		return err
	}
	c, err := s.readCall(p.ctx(r), p, r.PathValue("id"), why)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewCall(c))
	return nil
}

// apiRecording: GET /api/v1/recordings/{id}?purpose=…&case=…, the audio from the vault,
// with Range requests so browsers can seek (see playback.go: one audit event per
// playback session). It needs the session: the URL is useless to anyone else, or later.
func (s *Server) apiRecording(w http.ResponseWriter, r *http.Request, p *principal) error {
	why, err := parseReason(r.URL.Query())
	if err != nil {
		return err
	}
	return s.servePlayback(w, r, p, r.PathValue("id"), why)
}

// apiAudit: GET /api/v1/audit?from=N&limit=N, auditors only; the read is itself audited.
func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request, p *principal) error {
	size, events, from, err := s.readAudit(p.ctx(r), p, r.URL.Query())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"size": size, "from": from, "events": events})
	return nil
}

// apiAuditVerify: GET /api/v1/audit/verify, auditors only.
func (s *Server) apiAuditVerify(w http.ResponseWriter, r *http.Request, p *principal) error {
	rep, err := s.verifyAudit(p.ctx(r), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": rep.Records, "root_hash": rep.RootHash, "external": rep.External})
	return nil
}

type privilegedRequest struct {
	Number    string `json:"number"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	BarNumber string `json:"bar_number"`
}

// apiPrivileged: POST /api/v1/privileged registers a privileged number (admins); earlier
// recordings to it are destroyed by the registry.
func (s *Server) apiPrivileged(w http.ResponseWriter, r *http.Request, p *principal) error {
	const op = "web.privileged"
	ctx := p.ctx(r)
	if d := authz.Decide(p.actor, authz.AddPrivileged, authz.Resource{}, p.now); !d.Allow {
		return s.deny(ctx, "privileged.add", "privileged:new", "", "", d.Rule)
	}
	var req privilegedRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if len(req.Name) > 200 || len(req.BarNumber) > 64 || len(req.Number) > 40 {
		return parley.Errorf(op, parley.KindInvalid, "name, bar number or number too long")
	}
	kind := parley.PrivilegeKind(req.Kind)
	if !kind.Valid() {
		return parley.Errorf(op, parley.KindInvalid, "kind must be one of attorney, public_defender, court, consulate, clergy, medical, other")
	}
	n, err := phone.Normalize(req.Number, s.c.Region)
	if err != nil {
		return parley.WrapError(op, parley.KindInvalid, err)
	}
	entry := &parley.PrivilegedNumber{Number: n, Kind: kind, Source: parley.SourceStaff, Name: req.Name, BarNumber: req.BarNumber}
	destroyed, err := s.c.Registry.Register(ctx, entry)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": entry.ID, "destroyed_recordings": destroyed})
	return nil
}

type alertJSON struct {
	ID        string `json:"id"`
	Scope     string `json:"scope"`
	Kind      string `json:"kind"`
	UserID    string `json:"user_id"`
	Detail    string `json:"detail,omitempty"`
	CreatedAt string `json:"created_at"`
}

// apiAlerts: GET /api/v1/alerts, the alerts of the account's scope (admins, auditors).
func (s *Server) apiAlerts(w http.ResponseWriter, r *http.Request, p *principal) error {
	as, err := s.alerts(p.ctx(r), p)
	if err != nil {
		return err
	}
	out := make([]alertJSON, 0, len(as))
	for _, a := range as {
		out = append(out, alertJSON{ID: a.ID, Scope: a.Scope, Kind: a.Kind, UserID: a.UserID, Detail: a.Detail,
			CreatedAt: a.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")})
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": out})
	return nil
}

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	b, err := assets.ReadFile("openapi.json")
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, "internal", "internal error")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

// vaultAccess is the purpose and case of a read, for the vault.
func vaultAccess(why reason) vault.Access { return vault.Access{Purpose: why.Purpose, Case: why.Case} }
