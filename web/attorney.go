package web

import (
	"context"
	"net/http"
	"strings"

	"parley.dev/parley"
	"parley.dev/parley/authz"
	"parley.dev/parley/phone"
	"parley.dev/parley/portal"
)

// Attorneys: once an admin has checked the bar number, an attorney claims office and cell
// numbers; each is verified by a code delivered to it and then registered as privileged,
// which destroys every earlier recording to it. The page shows, from the store, that no
// recording to a registered number is stored.

func (s *Server) attorneyRoutes(mux *http.ServeMux) {
	side := attorneySide
	mux.Handle("GET /api/v1/attorney/numbers", s.publicAPI(side, s.apiAttorneyNumbers))
	mux.Handle("POST /api/v1/attorney/numbers", s.publicAPI(side, s.apiAttorneyAddNumber))
	mux.Handle("POST /api/v1/attorney/numbers/{id}/code", s.publicAPI(side, s.apiConfirmCode(side)))
	mux.Handle("POST /api/v1/attorney/numbers/{id}/resend", s.publicAPI(side, s.apiResendCode(side)))
	mux.Handle("DELETE /api/v1/attorney/numbers/{id}", s.publicAPI(side, s.apiRemoveNumber))
	mux.Handle("GET /attorney", s.publicPage(side, s.pageAttorney))
	mux.Handle("POST /attorney/numbers/{id}/remove", s.publicPage(side, s.pageRemoveNumber))
	mux.Handle("POST /attorney/numbers", s.publicPage(side, s.pageAttorneyAddNumber))
	mux.Handle("POST /attorney/numbers/{id}/code", s.publicPage(side, s.pageConfirmCode(side)))
	mux.Handle("POST /attorney/numbers/{id}/resend", s.publicPage(side, s.pageResendCode(side)))
}

// ownedNumber finds a claimed number and decides the side's action on it: another
// account's number is audited as refused and answered as not found (its existence is not
// anyone else's business).
func (s *Server) ownedNumber(ctx context.Context, p *publicPrincipal, side publicSide, id string) (*parley.PublicNumber, error) {
	const op = "web.number"
	if parley.ValidateID(id) != nil {
		return nil, parley.Errorf(op, parley.KindNotFound, "number not found")
	}
	pn, err := s.c.Store.FindPublicNumber(ctx, id)
	if err != nil {
		return nil, err
	}
	if d := authz.Decide(p.actor, side.action, authz.Resource{OwnerID: pn.AccountID}, p.now); !d.Allow {
		if err := s.deny(ctx, string(side.action), "public_number:"+pn.ID, "", "", d.Rule); !parley.IsKind(err, parley.KindForbidden) {
			return nil, err
		}
		return nil, parley.Errorf(op, parley.KindNotFound, "number not found")
	}
	return pn, nil
}

type numberJSON struct {
	ID                  string `json:"id"`
	Number              string `json:"number"`
	Label               string `json:"label"`
	State               string `json:"state"`
	StoredRecordings    *int   `json:"stored_recordings,omitempty"`
	DestroyedRecordings *int   `json:"destroyed_recordings,omitempty"`
}

func viewNumber(n portal.NumberStatus) numberJSON {
	out := numberJSON{ID: n.ID, Number: string(n.Number), Label: n.Label, State: string(n.State)}
	if n.State == parley.NumberRegistered {
		out.StoredRecordings, out.DestroyedRecordings = &n.StoredRecordings, &n.DestroyedRecordings
	}
	return out
}

// apiAttorneyNumbers: GET /api/v1/attorney/numbers, the attorney's numbers and status.
func (s *Server) apiAttorneyNumbers(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	ns, err := s.c.Portal.Numbers(p.ctx(r), p.acct)
	if err != nil {
		return err
	}
	out := make([]numberJSON, 0, len(ns))
	for _, n := range ns {
		out = append(out, viewNumber(n))
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": p.acct.Status, "verification_available": s.c.Portal.CanVerify(), "numbers": out})
	return nil
}

type addNumberRequest struct {
	Number string `json:"number"`
	Label  string `json:"label"`
}

// parseNumber reads a phone number typed by a person.
func (s *Server) parseNumber(raw string) (parley.Number, error) {
	if len(raw) > 40 {
		return "", parley.Errorf("web.number", parley.KindInvalid, "number too long")
	}
	n, err := phone.Normalize(raw, s.c.Region)
	if phone.HasExtension(err) {
		return "", parley.WrapError("web.number", parley.KindInvalid, err)
	} else if err != nil {
		return "", parley.Errorf("web.number", parley.KindInvalid, "that is not a phone number")
	}
	return n, nil
}

// apiAttorneyAddNumber: POST /api/v1/attorney/numbers claims a number and sends it a code.
func (s *Server) apiAttorneyAddNumber(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	var req addNumberRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	return s.claimNumber(w, r, p, req.Number, req.Label)
}

// claimNumber parses raw, claims it for the account under label (which sends it a code) and
// answers 201 with the claim's id and state: the attorney's and the family's add-number
// routes.
func (s *Server) claimNumber(w http.ResponseWriter, r *http.Request, p *publicPrincipal, raw, label string) error {
	n, err := s.parseNumber(raw)
	if err != nil {
		return err
	}
	pn, err := s.c.Portal.AddNumber(p.ctx(r), p.acct, n, label)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": pn.ID, "state": string(pn.State)})
	return nil
}

type codeRequest struct {
	Code string `json:"code"`
}

// apiConfirmCode: POST …/numbers/{id}/code checks the code; an attorney's number is then
// registered as privileged.
func (s *Server) apiConfirmCode(side publicSide) func(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	return func(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
		var req codeRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		ctx := p.ctx(r)
		pn, err := s.ownedNumber(ctx, p, side, r.PathValue("id"))
		if err != nil {
			return err
		}
		c, err := s.c.Portal.ConfirmCode(ctx, p.acct, pn.ID, strings.TrimSpace(req.Code))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": c.Number.ID, "state": c.Number.State, "destroyed_recordings": c.Destroyed})
		return nil
	}
}

// apiResendCode: POST …/numbers/{id}/resend sends a new code.
func (s *Server) apiResendCode(side publicSide) func(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	return func(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
		ctx := p.ctx(r)
		pn, err := s.ownedNumber(ctx, p, side, r.PathValue("id"))
		if err != nil {
			return err
		}
		if err := s.c.Portal.ResendCode(ctx, p.acct, pn.ID); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// removeNumber ends the attorney's claim on one of their numbers (portal.RemoveNumber).
func (s *Server) removeNumber(r *http.Request, p *publicPrincipal) (*portal.Removed, error) {
	ctx := p.ctx(r)
	pn, err := s.ownedNumber(ctx, p, attorneySide, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return s.c.Portal.RemoveNumber(ctx, p.acct, pn.ID)
}

// apiRemoveNumber: DELETE /api/v1/attorney/numbers/{id} gives a number up; it stays
// privileged only if someone else (staff, a directory, another attorney) registered it too.
func (s *Server) apiRemoveNumber(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	res, err := s.removeNumber(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": r.PathValue("id"), "removed": true, "still_privileged": res.StillPrivileged})
	return nil
}

func (s *Server) pageRemoveNumber(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	res, err := s.removeNumber(r, p)
	if err != nil && parley.IsKind(err, parley.KindNotFound) {
		return err
	}
	msg := "The number is removed from your account: calls to it may be recorded again from now on. Recordings destroyed earlier stay destroyed."
	if err == nil && res.StillPrivileged {
		msg = "The number is removed from your account. It stays privileged: it is registered by someone else too."
	}
	return s.pageOutcome(w, r, p, attorneySide, err, msg)
}

// attorneyPage is the attorney's home: verification state and numbers.
type attorneyPage struct {
	Account   *parley.PublicAccount
	Verified  bool
	CanVerify bool
	Numbers   []portal.NumberStatus
}

func (s *Server) renderAttorney(w http.ResponseWriter, r *http.Request, p *publicPrincipal, status int, msg, errMsg string) error {
	ns, err := s.c.Portal.Numbers(p.ctx(r), p.acct)
	if err != nil {
		return err
	}
	v := s.publicBase(attorneySide, p, "Attorney")
	v.Message, v.Error = msg, errMsg
	v.Data = attorneyPage{Account: p.acct, Verified: p.acct.Status == parley.AttorneyVerified, CanVerify: s.c.Portal.CanVerify(), Numbers: ns}
	s.render(w, r, status, "attorney_home", v)
	return nil
}

func (s *Server) pageAttorney(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	return s.renderAttorney(w, r, p, http.StatusOK, "", "")
}

// pageOutcome shows a public side's page again with the outcome of a form: the message,
// or the error's safe message and status (server errors go to the error page).
func (s *Server) pageOutcome(w http.ResponseWriter, r *http.Request, p *publicPrincipal, side publicSide, err error, msg string) error {
	render := s.renderAttorney
	if side.role == parley.RoleFamily {
		render = s.renderFamily
	}
	if err == nil {
		return render(w, r, p, http.StatusOK, msg, "")
	}
	status, _, emsg := statusOf(err)
	if status >= 500 && status != http.StatusServiceUnavailable {
		return err
	}
	return render(w, r, p, status, "", emsg)
}

func (s *Server) pageAttorneyAddNumber(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	n, err := s.parseNumber(r.PostForm.Get("number"))
	if err == nil {
		_, err = s.c.Portal.AddNumber(p.ctx(r), p.acct, n, r.PostForm.Get("label"))
	}
	return s.pageOutcome(w, r, p, attorneySide, err, "We are calling that number: answer, listen to the 6-digit code, and enter it below.")
}

func (s *Server) pageConfirmCode(side publicSide) func(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	return func(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
		ctx := p.ctx(r)
		pn, err := s.ownedNumber(ctx, p, side, r.PathValue("id"))
		if err != nil {
			return err
		}
		c, err := s.c.Portal.ConfirmCode(ctx, p.acct, pn.ID, strings.TrimSpace(r.PostForm.Get("code")))
		msg := "The number is verified."
		if err == nil && c.Number.State == parley.NumberRegistered {
			msg = "The number is registered as privileged: calls to it are never recorded, and every earlier recording to it has been destroyed."
		}
		return s.pageOutcome(w, r, p, side, err, msg)
	}
}

func (s *Server) pageResendCode(side publicSide) func(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	return func(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
		ctx := p.ctx(r)
		pn, err := s.ownedNumber(ctx, p, side, r.PathValue("id"))
		if err != nil {
			return err
		}
		err = s.c.Portal.ResendCode(ctx, p.acct, pn.ID)
		return s.pageOutcome(w, r, p, side, err, "A new code is on its way.")
	}
}
