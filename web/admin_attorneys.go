package web

import (
	"context"
	"net/http"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/authz"
)

// Attorney verification: attorneys who signed up wait until an administrator has checked
// their bar number with the state's bar. The page lists those waiting and verifies one by
// a CSRF-protected post; the API does the same. Both call portal.Service.VerifyAttorney,
// as `parley attorney verify` does, so the check and the audit event are the CLI's.

func (s *Server) attorneyAdminRoutes(mux *http.ServeMux) {
	mux.Handle("GET /attorneys", s.page(s.pageAttorneys))
	mux.Handle("POST /attorneys/{id}/verify", s.page(s.pageVerifyAttorney))
	mux.Handle("GET /api/v1/attorneys", s.api(s.apiAttorneys))
	mux.Handle("POST /api/v1/attorneys/{id}/verify", s.api(s.apiVerifyAttorney))
}

// pendingAttorney is what an administrator needs to check an attorney with the bar.
type pendingAttorney struct {
	ID        string    `json:"id"`
	FullName  string    `json:"full_name"`
	BarNumber string    `json:"bar_number"`
	BarState  string    `json:"state"`
	SignedUp  time.Time `json:"signed_up"`
}

// allowAttorneys decides the verification action, auditing a refusal, and checks the
// public side is on.
func (s *Server) allowAttorneys(ctx context.Context, p *principal, object string) error {
	if d := authz.Decide(p.actor, authz.VerifyAttorney, authz.Resource{}, p.now); !d.Allow {
		return s.deny(ctx, string(authz.VerifyAttorney), object, "", "", d.Rule)
	}
	if s.c.Portal == nil {
		return parley.Errorf("web.attorneys", parley.KindUnavailable, "public accounts are not enabled on this server")
	}
	return nil
}

// pendingAttorneys returns the attorneys waiting for verification, oldest first.
func (s *Server) pendingAttorneys(ctx context.Context, p *principal) ([]pendingAttorney, error) {
	if err := s.allowAttorneys(ctx, p, "attorneys:pending"); err != nil {
		return nil, err
	}
	as, err := s.c.Store.ListPublicAccounts(ctx, parley.RoleAttorney)
	if err != nil {
		return nil, err
	}
	out := []pendingAttorney{}
	for _, a := range as {
		if a.Status == parley.AttorneyPending {
			out = append(out, pendingAttorney{ID: a.ID, FullName: a.FullName, BarNumber: a.BarNumber, BarState: a.BarState,
				SignedUp: a.CreatedAt.UTC()})
		}
	}
	return out, nil
}

// verifyAttorney verifies one attorney: the same operation and audit event as the CLI.
func (s *Server) verifyAttorney(ctx context.Context, p *principal, id string) error {
	idErr := validID("web.attorney", id)
	object := "public:" + id
	if idErr != nil {
		object = "public:invalid"
	}
	// Authorization first: a role that may not verify learns nothing about ids.
	if err := s.allowAttorneys(ctx, p, object); err != nil {
		return err
	}
	if idErr != nil {
		return idErr
	}
	return s.c.Portal.VerifyAttorney(ctx, id)
}

// apiAttorneys: GET /api/v1/attorneys, the attorneys waiting for verification (admins).
func (s *Server) apiAttorneys(w http.ResponseWriter, r *http.Request, p *principal) error {
	as, err := s.pendingAttorneys(p.ctx(r), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"attorneys": as})
	return nil
}

// apiVerifyAttorney: POST /api/v1/attorneys/{id}/verify (admins).
func (s *Server) apiVerifyAttorney(w http.ResponseWriter, r *http.Request, p *principal) error {
	id := r.PathValue("id")
	if err := s.verifyAttorney(p.ctx(r), p, id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": id, "status": string(parley.AttorneyVerified)})
	return nil
}

func (s *Server) renderAttorneys(w http.ResponseWriter, r *http.Request, p *principal, status int, msg, errMsg string) error {
	as, err := s.pendingAttorneys(p.ctx(r), p)
	if err != nil {
		return err
	}
	v := s.base(p, "Attorneys waiting for verification")
	v.Data, v.Message, v.Error = as, msg, errMsg
	s.render(w, r, status, "attorneys", v)
	return nil
}

func (s *Server) pageAttorneys(w http.ResponseWriter, r *http.Request, p *principal) error {
	return s.renderAttorneys(w, r, p, http.StatusOK, "", "")
}

// pageVerifyAttorney verifies from the form and shows the list again with the outcome;
// a refusal is the error page, like any page the role may not use.
func (s *Server) pageVerifyAttorney(w http.ResponseWriter, r *http.Request, p *principal) error {
	err := s.verifyAttorney(p.ctx(r), p, r.PathValue("id"))
	if err == nil {
		return s.renderAttorneys(w, r, p, http.StatusOK, "The attorney is verified: they may now register their numbers.", "")
	}
	status, _, msg := statusOf(err)
	if status == http.StatusForbidden || status >= 500 && status != http.StatusServiceUnavailable {
		return err
	}
	return s.renderAttorneys(w, r, p, status, "", msg)
}
