package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"parley.dev/parley"
)

// TestWebDevices: an admin sees the devices behind the facility's gateways (API and
// facility page, each with a CSRF-protected remove form) and removes them through the
// page and the API, each removal audited by the account; bad ids, unknown devices and
// another facility's device are refused and remove nothing.
func TestWebDevices(t *testing.T) {
	w := newMatrixWorld(t)
	adm := w.signIn(t, "admin-plain")
	type device struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		DoNotRecord bool   `json:"do_not_record"`
		AddedAt     string `json:"added_at"`
	}
	list := func(s *staff, fac string) []device {
		t.Helper()
		var out struct{ Devices []device }
		s.getJSON("/api/v1/facilities/"+fac+"/devices", &out)
		return out.Devices
	}
	status, b := adm.do("POST", "/api/v1/facilities/cnty/devices", map[string]string{"device": "booth-9", "name": "Attorney booth", "do_not_record": "on"})
	wantStatus(t, "device add", status, b, http.StatusOK)
	got := list(adm, "cnty")
	if len(got) != 2 || got[0].ID != matrixDevice || got[1].ID != "booth-9" || !got[1].DoNotRecord || got[1].Name != "Attorney booth" || got[1].AddedAt == "" {
		t.Fatalf("devices: %+v", got)
	}
	if _, b := adm.do("GET", "/api/v1/facilities/cnty", nil); !strings.Contains(string(b), `"devices":[{"id":"matrix-dev"`) {
		t.Fatalf("facility page data lacks the devices: %s", b)
	}
	status, page := adm.do("GET", "/facilities/cnty", nil)
	wantStatus(t, "facility page", status, page, http.StatusOK)
	for _, want := range []string{`id="devices"`, "<code>booth-9</code>", `action="/facilities/cnty/devices/booth-9/remove"`, "never recorded"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("facility page lacks %s", want)
		}
	}

	// Removal through the page form, then through the API.
	status, body := adm.postForm("/facilities/cnty/devices/booth-9/remove", url.Values{})
	if status != http.StatusOK || !strings.Contains(body, "Device booth-9 removed.") || strings.Contains(body, "<code>booth-9</code>") {
		t.Fatalf("remove by form: %d %.400s", status, body)
	}
	status, b = adm.do("POST", "/api/v1/facilities/cnty/devices/"+matrixDevice+"/remove", map[string]string{})
	wantStatus(t, "remove by API", status, b, http.StatusOK)
	if got := list(adm, "cnty"); len(got) != 0 {
		t.Fatalf("after removal: %+v", got)
	}
	if _, page := adm.do("GET", "/facilities/cnty", nil); !strings.Contains(string(page), "No phone behind a gateway.") {
		t.Errorf("facility page after removal does not say there is no device")
	}

	// Bad input: nothing removed, nothing leaked.
	for _, c := range []struct {
		path   string
		body   any
		status int
		msg    string
	}{
		{"/api/v1/facilities/cnty/devices/" + matrixDevice + "/remove", map[string]string{}, 404, "not found"},
		{"/api/v1/facilities/cnty/devices/pod-nope/remove", map[string]string{}, 404, "not found"},
		{"/api/v1/facilities/cnty/devices/city-only/remove", map[string]string{}, 404, "not found"},
		{"/api/v1/facilities/cnty/devices/a%20b/remove", map[string]string{}, 400, "malformed"},
		{"/api/v1/facilities/cnty/devices/.hidden/remove", map[string]string{}, 400, "malformed"},
		{"/api/v1/facilities/cnty/devices/pod-1/remove", map[string]string{"op": "remove"}, 400, "unknown field"},
		{"/api/v1/facilities/cnty/devices/pod-1/remove", []byte(`not json`), 400, "json"},
		{"/api/v1/facilities/nowhere/devices/pod-1/remove", map[string]string{}, 403, ""},
		{"/api/v1/facilities/city/devices/city-only/remove", map[string]string{}, 403, ""},
		{"/api/v1/facilities/a%20b/devices/pod-1/remove", map[string]string{}, 400, ""},
	} {
		status, b := adm.do("POST", c.path, c.body)
		if status != c.status || !strings.Contains(strings.ToLower(string(b)), c.msg) || strings.Contains(string(b), "sqldb.") || strings.Contains(string(b), "admin.") {
			t.Errorf("POST %s: %d %.300s, want %d with %q", c.path, status, b, c.status, c.msg)
		}
	}
	for path, want := range map[string]int{"/api/v1/facilities/nowhere/devices": 403, "/api/v1/facilities/city/devices": 403, "/api/v1/facilities/a%20b/devices": 400} {
		if status, b := adm.do("GET", path, nil); status != want {
			t.Errorf("GET %s: %d %s, want %d", path, status, b, want)
		}
	}
	if got := list(w.signIn(t, "admin-city"), "city"); len(got) != 2 {
		t.Fatalf("the other facility's devices after bad input: %+v", got)
	}

	// Each removal is one audit event by the account; the do-not-record one says so.
	removed := map[string]parley.AuditEvent{}
	for _, e := range auditEvents(t, w.signIn(t, "auditor-plain")) {
		if e.Action == "device.remove" {
			if _, dup := removed[e.Object]; dup || e.Outcome != parley.OutcomeOK {
				t.Errorf("unexpected event %+v", e)
			}
			removed[e.Object] = e
		}
	}
	if e := removed["device:cnty/booth-9"]; e.Actor != "user:"+adm.userID || e.Detail != "was do-not-record" {
		t.Errorf("booth-9 removal event: %+v", e)
	}
	if e := removed["device:cnty/"+matrixDevice]; e.Actor != "user:"+adm.userID || e.Detail != "" || len(removed) != 2 {
		t.Errorf("removal events: %+v", removed)
	}
}
