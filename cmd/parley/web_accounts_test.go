package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"parley.dev/parley"
)

// TestWebStaffAccountOps: on the Staff page an admin unlocks a locked account, resets one
// (its sessions end, its factors go, a new enrolment link is shown and works) and disables
// one (it can no longer sign in); each is one audit event by the admin. Another facility's
// admin is refused (403, audited), an admin cannot disable themselves, and a bad op is 400.
func TestWebStaffAccountOps(t *testing.T) {
	w := newMatrixWorld(t)
	adm := w.signIn(t, "admin-plain")
	aud := w.signIn(t, "auditor-plain")
	inv := w.signIn(t, "investigator-plain")
	invID := inv.userID
	account := func(who *staff, fac, id, op string) (int, string) {
		t.Helper()
		return who.postForm("/facilities/"+fac+"/staff/"+id+"/account", url.Values{"op": {op}})
	}
	// Lock the prosecutor by failed sign-ins.
	pro := w.signIn(t, "prosecutor-plain")
	for range 5 {
		newClient(t, w.srv.base).do("POST", "/api/v1/session", map[string]string{"name": "prosecutor-plain", "password": "wrong password 123", "code": "000000"})
	}
	if _, page := adm.do("GET", "/facilities/cnty/staff", nil); !strings.Contains(string(page), "locked") || !strings.Contains(string(page), "account-unlock") {
		t.Fatalf("the staff page does not show the lock")
	}
	if status, page := account(adm, "cnty", pro.userID, "unlock"); status != 200 || !strings.Contains(page, "Account unlocked.") {
		t.Fatalf("unlock: %d %.400s", status, page)
	}
	if _, page := adm.do("GET", "/facilities/cnty/staff", nil); strings.Contains(string(page), "account-unlock") {
		t.Fatal("still locked after unlock")
	}

	status, page := account(adm, "cnty", invID, "reset")
	m := enrolLinkRE.FindStringSubmatch(page)
	if status != 200 || m == nil {
		t.Fatalf("reset: %d %.400s", status, page)
	}
	if status, _ := inv.do("GET", "/api/v1/session", nil); status != http.StatusUnauthorized {
		t.Fatalf("the reset account's session: %d, want 401", status)
	}
	anon := newClient(t, w.srv.base)
	if status, page := anon.postForm(strings.TrimPrefix(m[1], w.srv.base), url.Values{"name": {"investigator-plain"},
		"password": {"a brand new password"}, "password2": {"a brand new password"}}); status != 200 || !strings.Contains(page, "totp-qr") {
		t.Fatalf("enrol with the reset link: %d %.300s", status, page)
	}

	off := w.signIn(t, "officer-plain")
	if status, page := account(adm, "cnty", off.userID, "disable"); status != 200 || !strings.Contains(page, "disabled") {
		t.Fatalf("disable: %d %.300s", status, page)
	}
	if status, _ := off.do("GET", "/api/v1/session", nil); status != http.StatusUnauthorized {
		t.Fatalf("the disabled account's session: %d, want 401", status)
	}
	var users []struct {
		Name     string
		Enrolled bool
	}
	if err := json.Unmarshal([]byte(w.c.ok("user", "list", "--json")), &users); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, u := range users {
		if u.Name == "officer-plain" {
			found = true
			if u.Enrolled {
				t.Fatal("the disabled account still has its factors")
			}
		}
	}
	if !found {
		t.Fatal("user list lacks the disabled account")
	}

	// Refusals.
	other := signIn(t, w.c, w.srv.base, "admin-city", matrixPassword, w.secrets["admin-city"])
	if status, _ := account(other, "city", aud.userID, "disable"); status != http.StatusForbidden {
		t.Fatalf("another facility's admin disabled a cnty account: %d", status)
	}
	if status, page := account(adm, "cnty", adm.userID, "disable"); status != http.StatusBadRequest || !strings.Contains(page, "your own account") {
		t.Fatalf("self-disable: %d %.300s", status, page)
	}
	if status, _ := account(adm, "cnty", aud.userID, "delete"); status != http.StatusBadRequest {
		t.Fatalf("bad op: %d", status)
	}
	if status, _ := aud.do("GET", "/api/v1/session", nil); status != 200 {
		t.Fatalf("a refused op touched the auditor's session: %d", status)
	}

	count := map[string]int{}
	for _, e := range auditEvents(t, aud) {
		if e.Actor == "user:"+adm.userID && e.Outcome == parley.OutcomeOK {
			count[e.Action+" "+e.Object]++
		}
	}
	for _, k := range []string{"user.unlock user:" + pro.userID, "user.reset user:" + invID, "user.disable user:" + w.signIn(t, "officer-plain").userID} {
		if count[k] != 1 {
			t.Errorf("%d %q events by the admin, want 1", count[k], k)
		}
	}
}
