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

// TestCallSearchNeedsASubject: a search form with only a purpose, a case and dates is
// answered with a clear error (400) and the form keeps what was typed; nothing is searched
// (no calls.search event). An empty visit is the empty form.
func TestCallSearchNeedsASubject(t *testing.T) {
	w := newMatrixWorld(t)
	inv := w.signIn(t, "investigator-plain")
	aud := w.signIn(t, "auditor-plain")
	searches := func() int {
		n := 0
		for _, e := range auditEvents(t, aud) {
			if e.Action == "calls.search" {
				n++
			}
		}
		return n
	}
	before := searches()
	status, b := inv.do("GET", "/calls?purpose=review&case=C-9&from=2026-11-01&to=2026-11-30", nil)
	page := string(b)
	if status != http.StatusBadRequest || !strings.Contains(page, `id="error"`) || !strings.Contains(page, "give a number, an inmate or a facility") ||
		!strings.Contains(page, `value="C-9"`) || !strings.Contains(page, `value="2026-11-01"`) || strings.Contains(page, `id="results"`) {
		t.Fatalf("purpose, case and dates only: %d %.800s", status, page)
	}
	if n := searches(); n != before {
		t.Fatalf("%d calls.search events for a search that names nothing", n-before)
	}
	status, b = inv.do("GET", "/calls", nil)
	if status != http.StatusOK || strings.Contains(string(b), `id="error"`) {
		t.Fatalf("the empty form: %d %.400s", status, b)
	}
	status, b = inv.do("GET", "/calls?facility=cnty&purpose=review&case=C-9&from=2026-11-01&to=2026-11-30", nil)
	if status != http.StatusOK || !strings.Contains(string(b), `id="results"`) {
		t.Fatalf("with a facility: %d %.400s", status, b)
	}
	if n := searches(); n <= before {
		t.Fatal("the search with a facility left no calls.search event")
	}
}
