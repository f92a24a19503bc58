package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"parley.dev/parley"
)

type staffJSON struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Scope    string `json:"scope"` // "facility:ID" or "agency:ID"
	Enrolled bool   `json:"enrolled"`
	Locked   bool   `json:"locked"`
}

type grantJSON struct {
	ID       string `json:"id"`
	UserID   string `json:"user_id"`
	IssuedBy string `json:"issued_by"`
	Reason   string `json:"reason"`
	Expires  string `json:"expires"`
}

// staffPageData is a facility's staff accounts and the grants to it.
type staffPageData struct {
	Facility string      `json:"facility"`
	Users    []staffJSON `json:"users"`
	Grants   []grantJSON `json:"grants"`
}

func buildStaff(ctx context.Context, s *Server, p *principal, r *http.Request, fac string) (any, error) {
	users, err := s.c.Store.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	out := staffPageData{Facility: fac, Users: []staffJSON{}, Grants: []grantJSON{}}
	agency, err := s.c.Store.FacilityAgency(ctx, fac)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if u.FacilityID == fac || agency != "" && u.AgencyID == agency {
			out.Users = append(out.Users, staffJSON{ID: u.ID, Name: u.Name, Role: string(u.Role), Scope: scopeOf(u),
				Enrolled: u.Enrolled(), Locked: p.now.Before(u.LockedUntil)})
		}
	}
	gs, err := s.c.Store.ListFacilityGrants(ctx, fac, p.now)
	if err != nil {
		return nil, err
	}
	for _, g := range gs {
		out.Grants = append(out.Grants, grantJSON{ID: g.ID, UserID: g.UserID, IssuedBy: g.IssuedBy, Reason: g.Reason,
			Expires: g.Expires.UTC().Format(time.RFC3339)})
	}
	return out, nil
}

// opUserAdd adds a staff account to the facility and shows its one-time enrolment secret
// once (auth.AddUser audits "user.add").
func opUserAdd(ctx context.Context, s *Server, p *principal, r *http.Request, fac string, in input) (any, string, error) {
	if err := required(in, "name", "name", "role", "role"); err != nil {
		return nil, "", err
	}
	u := &parley.User{Name: in.str("name"), Role: parley.Role(in.str("role")), FacilityID: fac}
	switch in.str("scope") {
	case "", "facility":
	case "agency":
		// An agency-wide account: only an admin of the agency (whose scope, checked above,
		// holds this facility) may add one, to their own agency.
		if p.user.AgencyID == "" {
			return nil, "", s.deny(ctx, "user.add", "facility:"+fac, "", "", "agency")
		}
		u.FacilityID, u.AgencyID = "", p.user.AgencyID
	default:
		return nil, "", parley.Errorf("web.userAdd", parley.KindInvalid, "scope must be facility or agency")
	}
	if err := u.Validate(); err != nil {
		return nil, "", err
	}
	secret, err := s.c.Auth.AddUser(ctx, u)
	if err != nil {
		return nil, "", err
	}
	link := s.enrolLink(r, secret)
	return map[string]string{"id": u.ID, "enrolment_secret": secret, "enrolment_link": link},
		"Account added (" + string(u.Role) + "). Enrolment secret, shown once: " + secret +
			" — hand the new user this one-time link (valid 72 hours): " + link, nil
}

// opAccount disables, unlocks or resets (op) an account of the facility's staff, as the
// auth service does for the CLI (`user reset`), each audited there. A reset drops the
// factors, ends the sessions and shows a new one-time enrolment link. An admin cannot
// disable or reset their own account here (they would lock themselves out).
func opAccount(ctx context.Context, s *Server, p *principal, r *http.Request, fac string, in input) (any, string, error) {
	const op = "web.account"
	verb, err := oneOf(in, "op", "op", "disable", "unlock", "reset")
	if err != nil {
		return nil, "", err
	}
	id := r.PathValue("user")
	if err := validID(op, id); err != nil {
		return nil, "", err
	}
	u, err := s.c.Store.FindUser(ctx, id)
	if err != nil {
		return nil, "", err
	}
	agency, err := s.c.Store.FacilityAgency(ctx, fac)
	if err != nil {
		return nil, "", err
	}
	if u.FacilityID != fac && (agency == "" || u.AgencyID != agency) {
		return nil, "", s.deny(ctx, "user."+verb, "user:"+u.ID, "", "", "scope")
	}
	if u.ID == p.user.ID && verb != "unlock" {
		return nil, "", parley.Errorf(op, parley.KindInvalid, "you cannot %s your own account", verb)
	}
	switch verb {
	case "disable":
		if err := s.c.Auth.Disable(ctx, u.ID); err != nil {
			return nil, "", err
		}
		return map[string]string{"id": u.ID}, "Account disabled: it cannot sign in; its sessions ended. Reset it to hand out a new enrolment link.", nil
	case "unlock":
		if err := s.c.Auth.Unlock(ctx, u.ID); err != nil {
			return nil, "", err
		}
		return map[string]string{"id": u.ID}, "Account unlocked.", nil
	}
	secret, err := s.c.Auth.ResetUser(ctx, u.ID)
	if err != nil {
		return nil, "", err
	}
	link := s.enrolLink(r, secret)
	return map[string]string{"id": u.ID, "enrolment_secret": secret, "enrolment_link": link},
		"Account reset: its factors were dropped and its sessions ended. Hand over this one-time enrolment link (valid 72 hours): " + link, nil
}

// opGrant issues (op=issue: user, hours, reason) or revokes (op=revoke: grant) a grant to
// the facility; admin.IssueGrant and RevokeGrant decide and audit.
func opGrant(ctx context.Context, s *Server, p *principal, r *http.Request, fac string, in input) (any, string, error) {
	verb, err := oneOf(in, "op", "op", "issue", "revoke")
	if err != nil {
		return nil, "", err
	}
	if verb == "revoke" {
		if err := required(in, "grant", "grant id"); err != nil {
			return nil, "", err
		}
		if err := s.c.Admin.RevokeGrant(ctx, p.user, fac, in.str("grant")); err != nil {
			return nil, "", err
		}
		return nil, "Grant revoked.", nil
	}
	if err := required(in, "user", "the account's sign-in name", "hours", "hours", "reason", "reason"); err != nil {
		return nil, "", err
	}
	hours, err := strconv.Atoi(in.str("hours"))
	if err != nil {
		return nil, "", parley.Errorf("web.grant", parley.KindInvalid, "hours must be a whole number")
	}
	if len(in.str("user")) > 100 {
		return nil, "", parley.Errorf("web.grant", parley.KindInvalid, "name too long")
	}
	grantee, err := s.c.Store.FindUserByName(ctx, in.str("user"))
	if err != nil {
		return nil, "", err
	}
	g, err := s.c.Admin.IssueGrant(ctx, p.user, grantee, fac, hours, in.str("reason"))
	if err != nil {
		return nil, "", err
	}
	return map[string]string{"id": g.ID, "expires": g.Expires.UTC().Format(time.RFC3339)},
		"Grant " + g.ID + " issued until " + g.Expires.UTC().Format("2006-01-02 15:04 UTC") + ".", nil
}

func scopeOf(u *parley.User) string {
	if u.AgencyID != "" {
		return "agency:" + u.AgencyID
	}
	return "facility:" + u.FacilityID
}
