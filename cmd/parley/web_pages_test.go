package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestStaffPagesShowOneMessage: a form that succeeds on each kind of staff page (facility,
// inmates, inmate, blocks, staff) comes back with its success message once, and — as on every
// page the tests fetch (checkPageIDs) — with no id twice; the GET pages of the matrix too.
func TestStaffPagesShowOneMessage(t *testing.T) {
	w := newMatrixWorld(t)
	adm := w.signIn(t, "admin-plain")
	for _, c := range []struct {
		path string
		form url.Values
	}{
		{"/facilities/cnty/retention", url.Values{"days": {"90"}}},
		{"/facilities/cnty/inmates", url.Values{"inmate": {"X1"}, "name": {"New Person"}, "pin": {"58203917"}}},
		{"/facilities/cnty/inmates/A1001/pin", url.Values{"pin": {"61829304"}}},
		{"/facilities/cnty/blocks", url.Values{"op": {"add"}, "prefix": {"+1976"}}},
		{"/facilities/cnty/staff", url.Values{"name": {"Otis Officer"}, "role": {"officer"}}},
	} {
		status, page := adm.postForm(c.path, c.form)
		if status != http.StatusOK || strings.Count(page, `role="status"`) != 1 || strings.Count(page, `id="message"`) != 1 {
			t.Errorf("%s: %d, %d status messages: %.600s", c.path, status, strings.Count(page, `role="status"`), page)
		}
	}
	for _, rt := range matrixRoutes {
		if !rt.page || rt.method != "GET" {
			continue
		}
		for _, who := range []string{"admin-plain", "officer-plain", "investigator-plain", "auditor-plain"} {
			w.signIn(t, who).do("GET", rt.url("cnty", w), nil) // checkPageIDs looks at each
		}
	}
}
