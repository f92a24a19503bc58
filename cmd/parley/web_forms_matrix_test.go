package main

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"parley.dev/parley"
)

// formRoutes are the page forms of the administration and officer surface, with the roles
// whose own facility they serve (never a grant).
var formRoutes = []struct {
	path  string
	roles string
}{
	{"/facilities/{fac}/rules", "admin"}, {"/facilities/{fac}/lockdown", "admin"}, {"/facilities/{fac}/rates", "admin"},
	{"/facilities/{fac}/retention", "admin"}, {"/facilities/{fac}/gateways", "admin"}, {"/facilities/{fac}/devices", "admin"}, {"/facilities/{fac}/phones", "admin"},
	{"/facilities/{fac}/holds", "admin"}, {"/facilities/{fac}/inmates", "admin"}, {"/facilities/{fac}/inmates/{inmate}/pin", "admin"},
	{"/facilities/{fac}/inmates/{inmate}/do-not-record", "admin"}, {"/facilities/{fac}/inmates/{inmate}/allowed", "admin"},
	{"/facilities/{fac}/blocks", "admin officer"}, {"/facilities/{fac}/staff", "admin"}, {"/facilities/{fac}/grants", "admin"},
	{"/facilities/{fac}/live/{call}/end", "officer"}, {"/facilities/{fac}/devices/{device}/remove", "admin"},
}

// TestStaffFormsAuthorization: every page form × every role × own/other facility ×
// with/without grant. Refused cells are 403 and write nothing; allowed cells get past
// authorization to the form's own validation (an empty form: 400, or 503 for ending a call
// without a call server). Without a session, a form post is 403 (no CSRF token can be
// valid) and nothing runs.
func TestStaffFormsAuthorization(t *testing.T) {
	w := newMatrixWorld(t)
	anon := newClient(t, w.srv.base)
	cells := 0
	for _, f := range formRoutes {
		for _, fac := range []string{"cnty", "city"} {
			path := strings.NewReplacer("{fac}", fac, "{inmate}", map[string]string{"cnty": "A1001", "city": "B2002"}[fac],
				"{call}", w.calls[fac], "{device}", matrixDevice).Replace(f.path)
			if status, _ := anon.postForm(path, url.Values{}); status != http.StatusForbidden && status != http.StatusUnauthorized {
				t.Errorf("%s without a session: %d", path, status)
			}
			for _, role := range parley.Roles {
				for _, kind := range []string{"plain", "granted"} {
					cl := w.signIn(t, string(role)+"-"+kind)
					status, body := cl.postForm(path, url.Values{})
					cells++
					allowed := fac == "cnty" && slices.Contains(strings.Fields(f.roles), string(role))
					switch {
					case !allowed && status != http.StatusForbidden:
						t.Errorf("%s as %s-%s: %d, want 403", path, role, kind, status)
					case allowed && (status == http.StatusForbidden || status >= 500 && status != http.StatusServiceUnavailable):
						t.Errorf("%s as %s-%s: %d, want past authorization (%.200s)", path, role, kind, status, body)
					}
				}
			}
		}
	}
	if cells != len(formRoutes)*2*len(parley.Roles)*2 {
		t.Fatalf("checked %d cells", cells)
	}
}
