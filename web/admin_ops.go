package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/authz"
)

// The administration and officer surface: every route is bound to one facility
// (/facilities/{id}/…) and decided by authz.Decide on that facility in the account's own
// scope. Each state change is one staffOp, served both as a form post (the page is shown
// again with a message or the error) and as a JSON API call under /api/v1; both run the
// same admin.Service operation, which validates, audits and writes like the CLI.

// input is a form's or a flat JSON object's fields, as strings.
type input struct{ url.Values }

func (in input) str(name string) string { return strings.TrimSpace(in.Get(name)) }

// readInput reads the request's fields: the form of a page post, or a JSON object of
// strings, booleans and numbers for the API. A field not in allowed is refused.
func readInput(r *http.Request, api bool, allowed []string) (input, error) {
	const op = "web.input"
	in := input{url.Values{}}
	if api {
		var raw map[string]any
		if err := decodeJSON(r, &raw); err != nil {
			return in, err
		}
		for k, v := range raw {
			switch v := v.(type) {
			case string:
				in.Set(k, v)
			case bool:
				in.Set(k, strconv.FormatBool(v))
			case float64:
				in.Set(k, strconv.FormatFloat(v, 'f', -1, 64))
			default:
				return in, parley.Errorf(op, parley.KindInvalid, "field %s must be a string, number or boolean", clip(k, 40))
			}
		}
	} else {
		if err := r.ParseForm(); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return in, err
			}
			return in, parley.Errorf(op, parley.KindInvalid, "bad form")
		}
		for k, v := range r.PostForm {
			if k != "csrf" && len(v) > 0 {
				in.Set(k, v[0])
			}
		}
	}
	for k, v := range in.Values {
		if !slices.Contains(allowed, k) {
			return in, parley.Errorf(op, parley.KindInvalid, "unknown field %q", clip(k, 40))
		}
		if len(v[0]) > 500 || !printable(v[0]) {
			return in, parley.Errorf(op, parley.KindInvalid, "field %s is too long or not printable", k)
		}
	}
	return in, nil
}

// staffOp is one state change of the staff surface.
type staffOp struct {
	path   string // under /facilities/{id}
	action authz.Action
	fields []string
	page   string // the page shown after a form post
	// errPage is the page shown when the post fails, if not page (the form's own page).
	errPage string
	run     func(ctx context.Context, s *Server, p *principal, r *http.Request, fac string, in input) (result any, message string, err error)
}

// staffPage is one page (and its GET API twin) of the staff surface.
type staffPage struct {
	path   string // under /facilities/{id}; "" for the facility itself
	action authz.Action
	build  func(ctx context.Context, s *Server, p *principal, r *http.Request, fac string) (any, error)
	// pageOnly: no GET API twin (a confirmation page asks nothing an API client needs).
	pageOnly bool
}

// staffRoutes registers the administration and officer routes (pages and API).
func (s *Server) staffRoutes(mux *http.ServeMux) {
	mux.Handle("GET /facilities", s.page(s.pageFacilities))
	mux.Handle("GET /audit/privileged", s.page(s.pagePrivilegedHistory))
	mux.Handle("GET /api/v1/audit/privileged", s.api(s.apiPrivilegedHistory))
	mux.Handle("GET /api/v1/facilities", s.api(s.apiFacilities))
	for name, pg := range staffPages {
		mux.Handle("GET /facilities/{id}"+pg.path, s.page(s.pageStaff(name, pg)))
		if !pg.pageOnly {
			mux.Handle("GET /api/v1/facilities/{id}"+pg.path, s.api(s.apiStaff(pg)))
		}
	}
	for path, pg := range staffAPIReads {
		mux.Handle("GET /api/v1/facilities/{id}"+path, s.api(s.apiStaff(pg)))
	}
	for _, o := range staffOps {
		mux.Handle("POST /facilities/{id}"+o.path, s.page(s.pageOp(o)))
		mux.Handle("POST /api/v1/facilities/{id}"+o.path, s.api(s.apiOp(o)))
	}
}

// allowAt decides an action at the facility of the path, auditing a refusal.
func (s *Server) allowAt(ctx context.Context, p *principal, action authz.Action, fac string) error {
	if err := validID("web.facility", fac); err != nil {
		return err
	}
	if d := authz.Decide(p.actor, action, authz.Resource{FacilityID: fac}, p.now); !d.Allow {
		return s.deny(ctx, string(action), "facility:"+fac, "", "", d.Rule)
	}
	if s.c.Admin == nil {
		return parley.Errorf("web.admin", parley.KindUnavailable, "administration is not configured on this server")
	}
	return nil
}

func (s *Server) pageStaff(name string, pg staffPage) func(w http.ResponseWriter, r *http.Request, p *principal) error {
	return func(w http.ResponseWriter, r *http.Request, p *principal) error {
		fac := r.PathValue("id")
		if err := s.allowAt(p.ctx(r), p, pg.action, fac); err != nil {
			return err
		}
		return s.renderStaff(w, r, p, name, fac, http.StatusOK, "", "")
	}
}

// renderStaff builds a page's data and renders it with a message or an error.
func (s *Server) renderStaff(w http.ResponseWriter, r *http.Request, p *principal, name, fac string, status int, msg, errMsg string) error {
	pg := staffPages[name]
	data, err := pg.build(p.ctx(r), s, p, r, fac)
	if err != nil {
		return err
	}
	v := s.base(p, staffTitles[name]+" · "+fac)
	v.Data, v.Message, v.Error = data, msg, errMsg
	s.render(w, r, status, name, v)
	return nil
}

func (s *Server) apiStaff(pg staffPage) func(w http.ResponseWriter, r *http.Request, p *principal) error {
	return func(w http.ResponseWriter, r *http.Request, p *principal) error {
		fac := r.PathValue("id")
		if err := s.allowAt(p.ctx(r), p, pg.action, fac); err != nil {
			return err
		}
		data, err := pg.build(p.ctx(r), s, p, r, fac)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, data)
		return nil
	}
}

// pageOp runs a form post and shows its page again: with a message, or with the error
// (status of the error) and nothing written.
func (s *Server) pageOp(o staffOp) func(w http.ResponseWriter, r *http.Request, p *principal) error {
	return func(w http.ResponseWriter, r *http.Request, p *principal) error {
		fac := r.PathValue("id")
		ctx := p.ctx(r)
		if err := s.allowAt(ctx, p, o.action, fac); err != nil {
			return err
		}
		in, err := readInput(r, false, o.fields)
		msg := ""
		if err == nil {
			_, msg, err = o.run(ctx, s, p, r, fac, in)
		}
		if err != nil {
			status, _, m := statusOf(err)
			// Authorization was decided above: a 403 here is the operation's own refusal
			// (a rate above the cap, a grant outside scope), shown on the form's page.
			if status >= 500 || status == http.StatusRequestEntityTooLarge {
				return err
			}
			page := o.page
			if o.errPage != "" {
				page = o.errPage
			}
			return s.renderStaff(w, r, p, page, fac, status, "", m)
		}
		return s.renderStaff(w, r, p, o.page, fac, http.StatusOK, msg, "")
	}
}

func (s *Server) apiOp(o staffOp) func(w http.ResponseWriter, r *http.Request, p *principal) error {
	return func(w http.ResponseWriter, r *http.Request, p *principal) error {
		fac := r.PathValue("id")
		ctx := p.ctx(r)
		if err := s.allowAt(ctx, p, o.action, fac); err != nil {
			return err
		}
		in, err := readInput(r, true, o.fields)
		if err != nil {
			return err
		}
		res, msg, err := o.run(ctx, s, p, r, fac, in)
		if err != nil {
			return err
		}
		if res == nil {
			res = map[string]string{"message": msg}
		}
		writeJSON(w, http.StatusOK, res)
		return nil
	}
}

// facilitiesPage lists the facilities of the account's scope and what it may do there.
type facilitiesPage struct {
	Facilities []facilityLink `json:"facilities"`
}

type facilityLink struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Manage  bool   `json:"manage"`
	Inmates bool   `json:"inmates"`
	Blocks  bool   `json:"blocks"`
	Staff   bool   `json:"staff"`
	Live    bool   `json:"live"`
}

func (s *Server) facilities(ctx context.Context, p *principal) (facilitiesPage, error) {
	out := facilitiesPage{Facilities: []facilityLink{}}
	for _, fac := range p.actor.Facilities {
		f, err := s.c.Store.FindFacility(ctx, fac)
		if err != nil {
			return out, err
		}
		may := func(a authz.Action) bool {
			return authz.Decide(p.actor, a, authz.Resource{FacilityID: fac}, p.now).Allow
		}
		l := facilityLink{ID: f.ID, Name: f.Name, Manage: may(authz.ManageFacility), Inmates: may(authz.ManageInmates),
			Blocks: may(authz.ManageBlocks), Staff: may(authz.ManageStaff), Live: may(authz.ViewLiveCalls)}
		if l.Manage || l.Inmates || l.Blocks || l.Staff || l.Live {
			out.Facilities = append(out.Facilities, l)
		}
	}
	if len(out.Facilities) == 0 {
		return out, s.deny(ctx, "facilities.list", "facility:*", "", "", "role")
	}
	return out, nil
}

func (s *Server) pageFacilities(w http.ResponseWriter, r *http.Request, p *principal) error {
	data, err := s.facilities(p.ctx(r), p)
	if err != nil {
		return err
	}
	v := s.base(p, "Facilities")
	v.Data = data
	s.render(w, r, http.StatusOK, "facilities", v)
	return nil
}

func (s *Server) apiFacilities(w http.ResponseWriter, r *http.Request, p *principal) error {
	data, err := s.facilities(p.ctx(r), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, data)
	return nil
}

// Small parsers of form fields, each with a clear message.

func optDuration(in input, name, label string, max time.Duration) (*time.Duration, error) {
	v := in.str(name)
	if v == "" {
		return nil, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || d > max {
		return nil, parley.Errorf("web.input", parley.KindInvalid, "%s must be a duration like 15m or 1h30m, at most %s", label, max)
	}
	return &d, nil
}

func optInt(in input, name, label string, lo, hi int) (*int, error) {
	v := in.str(name)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return nil, parley.Errorf("web.input", parley.KindInvalid, "%s must be a whole number from %d to %d", label, lo, hi)
	}
	return &n, nil
}

func optBool(in input, name, label string) (*bool, error) {
	switch strings.ToLower(in.str(name)) {
	case "":
		return nil, nil
	case "true", "on", "yes":
		b := true
		return &b, nil
	case "false", "off", "no":
		b := false
		return &b, nil
	}
	return nil, parley.Errorf("web.input", parley.KindInvalid, "%s must be on or off", label)
}

func required(in input, pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if in.str(pairs[i]) == "" {
			return parley.Errorf("web.input", parley.KindInvalid, "%s is required", pairs[i+1])
		}
	}
	return nil
}

func oneOf(in input, name, label string, values ...string) (string, error) {
	v := in.str(name)
	if !slices.Contains(values, v) {
		return "", parley.Errorf("web.input", parley.KindInvalid, "%s must be %s", label, strings.Join(values, " or "))
	}
	return v, nil
}

func plural(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %ss", n, one)
}
