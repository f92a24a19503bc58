package main

import (
	"net/http"
	"strings"
	"testing"

	"parley.dev/parley"
)

// TestWebAuditorScopeAndPrivilegedHistory: an auditor of cnty sees the events of cnty and
// those of no facility, never those of city; the privileged-number history shows each
// registration and the destruction it caused, with the log verified.
func TestWebAuditorScopeAndPrivilegedHistory(t *testing.T) {
	w := newMatrixWorld(t)
	cityAdmin := w.signIn(t, "admin-city")
	adm := w.signIn(t, "admin-plain")
	aud := w.signIn(t, "auditor-plain")
	for _, c := range []struct {
		s   *staff
		fac string
	}{{cityAdmin, "city"}, {adm, "cnty"}} {
		if status, b := c.s.do("POST", "/api/v1/facilities/"+c.fac+"/retention", map[string]string{"days": "100"}); status != 200 {
			t.Fatalf("retention at %s: %d %s", c.fac, status, b)
		}
		if status, b := c.s.do("POST", "/api/v1/facilities/"+c.fac+"/blocks", map[string]string{"op": "add", "prefix": "+1976"}); status != 200 {
			t.Fatalf("block at %s: %d %s", c.fac, status, b)
		}
	}
	status, b := adm.do("POST", "/api/v1/privileged", map[string]string{"number": "+12125550199", "kind": "attorney"})
	if status != http.StatusCreated || !strings.Contains(string(b), `"destroyed_recordings":1`) {
		t.Fatalf("register a privileged number: %d %s", status, b)
	}

	events := auditEvents(t, aud)
	seen := map[string]bool{}
	for _, e := range events {
		if strings.Contains(e.Object, "facility:city") || strings.HasPrefix(e.Detail, "facility city") {
			t.Errorf("a cnty auditor sees a city event: %+v", e)
		}
		seen[e.Action+" "+e.Object+" "+e.Detail] = true
	}
	for _, want := range []string{"facility.retention facility:cnty ", "block.add prefix:+1976 facility cnty"} {
		if !seen[want] {
			t.Errorf("a cnty auditor misses %q", want)
		}
	}
	var noFacility bool
	for _, e := range events {
		noFacility = noFacility || e.Action == "privileged.add"
	}
	if !noFacility {
		t.Errorf("events of no facility (privileged.add) are hidden from the auditor")
	}
	// The city admin's own view of the log is no business of theirs: admins cannot read it.
	if status, _ := cityAdmin.do("GET", "/api/v1/audit", nil); status != http.StatusForbidden {
		t.Errorf("an admin read the audit log: %d", status)
	}

	var h struct {
		Verified bool
		Records  int64
		Events   []struct {
			N int64
			parley.AuditEvent
		}
	}
	aud.getJSON("/api/v1/audit/privileged", &h)
	var adds, destroys int
	for _, e := range h.Events {
		switch {
		case e.Action == "privileged.add" && e.Outcome == parley.OutcomeOK:
			adds++
		case e.Action == "recording.destroy":
			destroys++
		default:
			if !strings.HasPrefix(e.Action, "privileged.") {
				t.Errorf("history holds an unrelated event %+v", e)
			}
		}
		if strings.Contains(e.Detail+e.Object, "2125550199") || strings.Contains(e.Detail+e.Object, "3125557788") {
			t.Errorf("history shows a number: %+v", e)
		}
	}
	if !h.Verified || h.Records == 0 || adds != 2 || destroys != 1 {
		t.Fatalf("privileged history: verified %v, %d records, %d additions, %d destructions: %+v", h.Verified, h.Records, adds, destroys, h.Events)
	}
	status, page := aud.do("GET", "/audit/privileged", nil)
	if status != 200 || !strings.Contains(string(page), "Verified:") || !strings.Contains(string(page), "recording.destroy") {
		t.Fatalf("history page: %d %.300s", status, page)
	}
}
