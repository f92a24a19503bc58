package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"parley.dev/parley"
)

// attorneyWorld is a seeded server with an admin, an officer, a code box and two signed-up
// attorneys (pending).
type attorneyWorld struct {
	c              *cli
	srv            *webServer
	box            *codeBox
	admin, officer *staff
}

func newAttorneyWorld(t *testing.T) *attorneyWorld {
	c := newCLI(t)
	w := &attorneyWorld{c: c, box: newCodeBox()}
	c.sender = w.box
	seed(t, c)
	adminSecret := addStaff(t, c, "admin-att", "admin", "--facility", "cnty", matrixPassword)
	officerSecret := addStaff(t, c, "officer-att", "officer", "--facility", "cnty", matrixPassword)
	w.srv = startWeb(t, c)
	w.admin = signIn(t, c, w.srv.base, "admin-att", matrixPassword, adminSecret)
	w.officer = signIn(t, c, w.srv.base, "officer-att", matrixPassword, officerSecret)
	anon := newClient(t, w.srv.base)
	for _, a := range []struct{ name, full, bar string }{{"ada@law.example", "Ada Okonkwo-Reyes", "NY-4471"}, {"bea@law.example", "Bea Lindqvist", "NY-5582"}} {
		status, body := anon.do("POST", "/api/v1/attorney/signup", map[string]string{"name": a.name, "password": publicPassword,
			"full_name": a.full, "bar_number": a.bar, "state": "NY"})
		wantStatus(t, "attorney sign-up", status, body, http.StatusCreated)
	}
	return w
}

type pendingList struct {
	Attorneys []struct {
		ID        string `json:"id"`
		FullName  string `json:"full_name"`
		BarNumber string `json:"bar_number"`
		State     string `json:"state"`
		SignedUp  string `json:"signed_up"`
	}
}

func (w *attorneyWorld) pending(t *testing.T) pendingList {
	t.Helper()
	var l pendingList
	status, body := w.admin.do("GET", "/api/v1/attorneys", nil)
	wantStatus(t, "pending attorneys", status, body, http.StatusOK)
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatal(err)
	}
	return l
}

// TestWebAttorneyVerification: an admin sees the pending attorneys (name, bar number,
// state, sign-up time) and verifies one by the page's form (CSRF-protected) or the API;
// the audit event is the CLI's (attorney.verify on public:ID, the admin as actor); an
// officer is refused and audited; bad, unknown and verified-already ids are refused.
func TestWebAttorneyVerification(t *testing.T) {
	w := newAttorneyWorld(t)
	l := w.pending(t)
	// Both signed up at the test clock's one instant, so the list's order between them is
	// the ids' (random): find each by name.
	byName := map[string]int{}
	for i, a := range l.Attorneys {
		byName[a.FullName] = i
	}
	ai, okA := byName["Ada Okonkwo-Reyes"]
	bi, okB := byName["Bea Lindqvist"]
	if len(l.Attorneys) != 2 || !okA || !okB || l.Attorneys[ai].BarNumber != "NY-4471" ||
		l.Attorneys[ai].State != "NY" || l.Attorneys[ai].SignedUp == "" {
		t.Fatalf("pending %+v", l)
	}
	ada, bea := l.Attorneys[ai].ID, l.Attorneys[bi].ID

	status, _ := w.admin.postForm("/attorneys", url.Values{}) // no such form
	if status != http.StatusMethodNotAllowed && status != http.StatusNotFound {
		t.Errorf("POST /attorneys: %d", status)
	}
	status, body := w.admin.do("GET", "/attorneys", nil)
	if status != http.StatusOK || !strings.Contains(string(body), "Ada Okonkwo-Reyes") || !strings.Contains(string(body), `action="/attorneys/`+ada+`/verify"`) {
		t.Fatalf("attorneys page %d %.300s", status, body)
	}
	// A form post without the CSRF token does nothing.
	req, _ := http.NewRequest("POST", w.srv.base+"/attorneys/"+ada+"/verify", strings.NewReader(""))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := w.admin.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("verify without CSRF: %d", resp.StatusCode)
	}
	// The officer may not.
	status, _ = w.officer.postForm("/attorneys/"+ada+"/verify", url.Values{})
	if status != http.StatusForbidden {
		t.Fatalf("officer verifies: %d", status)
	}
	status, body = w.officer.do("GET", "/api/v1/attorneys", nil)
	wantStatus(t, "officer lists", status, body, http.StatusForbidden)
	if len(w.pending(t).Attorneys) != 2 {
		t.Fatal("a refused verification verified")
	}

	status, page := w.admin.postForm("/attorneys/"+ada+"/verify", url.Values{})
	if status != http.StatusOK || !strings.Contains(page, "The attorney is verified") || strings.Contains(page, "Ada Okonkwo-Reyes") {
		t.Fatalf("verify by form: %d %.300s", status, page)
	}
	status, page = w.admin.postForm("/attorneys/"+ada+"/verify", url.Values{})
	if status != http.StatusConflict || !strings.Contains(page, "verified already") {
		t.Fatalf("verify twice by form: %d", status)
	}
	status, body = w.admin.do("POST", "/api/v1/attorneys/"+bea+"/verify", nil)
	wantStatus(t, "verify by API", status, body, http.StatusOK)
	for path, want := range map[string]int{"/api/v1/attorneys/" + bea + "/verify": http.StatusConflict,
		"/api/v1/attorneys/nope/verify": http.StatusNotFound, "/api/v1/attorneys/a..b/verify": http.StatusBadRequest} {
		status, body = w.admin.do("POST", path, nil)
		wantStatus(t, path, status, body, want)
	}
	if l := w.pending(t); len(l.Attorneys) != 0 {
		t.Fatalf("still pending %+v", l)
	}
	var list []attorneyView
	json.Unmarshal([]byte(w.c.ok("attorney", "list", "--json")), &list)
	for _, a := range list {
		if a.Status != "verified" {
			t.Errorf("CLI sees %+v", a)
		}
	}

	var log []parley.AuditEvent
	if err := json.Unmarshal([]byte(w.c.ok("audit", "list", "--limit", "1000", "--json")), &log); err != nil {
		t.Fatal(err)
	}
	verified := map[string]string{}
	denied := 0
	for _, e := range log {
		if e.Action != "attorney.verify" {
			continue
		}
		switch {
		case e.Outcome == parley.OutcomeOK:
			verified[e.Object] = e.Actor
			if e.Detail != "bar number checked" {
				t.Errorf("verify event detail %q differs from the CLI's", e.Detail)
			}
		case e.Outcome == parley.OutcomeDenied && e.Actor == "user:"+w.officer.userID:
			denied++
		}
	}
	if verified["public:"+ada] != "user:"+w.admin.userID || verified["public:"+bea] != "user:"+w.admin.userID || denied < 2 {
		t.Fatalf("verify events %v, %d denied", verified, denied)
	}
}

// registerNumber claims n for an attorney and confirms the code; returns the number's id.
func (w *attorneyWorld) registerNumber(t *testing.T, att *staff, n parley.Number) string {
	t.Helper()
	status, body := att.do("POST", "/api/v1/attorney/numbers", map[string]string{"number": string(n), "label": "office"})
	wantStatus(t, "claim", status, body, http.StatusCreated)
	var claimed struct{ ID string }
	json.Unmarshal(body, &claimed)
	status, body = att.do("POST", "/api/v1/attorney/numbers/"+claimed.ID+"/code", map[string]string{"code": w.box.code(t, n)})
	wantStatus(t, "code", status, body, http.StatusOK)
	if !strings.Contains(string(body), `"registered"`) {
		t.Fatalf("confirm %s", body)
	}
	return claimed.ID
}

func (w *attorneyWorld) privileged(t *testing.T, n parley.Number) bool {
	t.Helper()
	var ps []struct{ Number string }
	if err := json.Unmarshal([]byte(w.c.ok("privileged", "list", "--json")), &ps); err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Number == string(n) {
			return true
		}
	}
	return false
}

// TestWebAttorneyRemovesNumber: the owner removes a number privileged only by their own
// registration (by the page form and by the API): it is not privileged for calls to come,
// the recording destroyed by the registration stays destroyed, and the audit names the
// number only by a keyed digest. Another attorney and a family account cannot remove it;
// a number staff registered too stays privileged.
func TestWebAttorneyRemovesNumber(t *testing.T) {
	w := newAttorneyWorld(t)
	l := w.pending(t)
	for _, a := range l.Attorneys {
		w.admin.do("POST", "/api/v1/attorneys/"+a.ID+"/verify", nil)
	}
	ada := publicSignIn(t, w.srv.base, "attorney", "ada@law.example")
	bea := publicSignIn(t, w.srv.base, "attorney", "bea@law.example")
	anon := newClient(t, w.srv.base)
	status, body := anon.do("POST", "/api/v1/family/signup", map[string]string{"name": "kin@example.org", "password": publicPassword})
	wantStatus(t, "family sign-up", status, body, http.StatusCreated)
	fam := publicSignIn(t, w.srv.base, "family", "kin@example.org")

	const office = parley.Number("+14155552671") // has a recorded call in the seed
	id := w.registerNumber(t, ada, office)
	if !w.privileged(t, office) || searchNumber(t, w.c, string(office))[0].Recording != "destroyed" {
		t.Fatal("registration did not take")
	}

	// Not the owner: another attorney (not found) and a family account (forbidden).
	status, body = bea.do("DELETE", "/api/v1/attorney/numbers/"+id, nil)
	wantStatus(t, "another attorney removes", status, body, http.StatusNotFound)
	status, _ = bea.postForm("/attorney/numbers/"+id+"/remove", url.Values{})
	if status != http.StatusNotFound {
		t.Fatalf("another attorney's form: %d", status)
	}
	status, body = fam.do("DELETE", "/api/v1/attorney/numbers/"+id, nil)
	wantStatus(t, "family removes", status, body, http.StatusForbidden)
	for _, bad := range []string{"nope", "a..b", strings.Repeat("x", 70)} {
		status, body = ada.do("DELETE", "/api/v1/attorney/numbers/"+bad, nil)
		wantStatus(t, "bad id "+bad, status, body, http.StatusNotFound)
	}
	if !w.privileged(t, office) {
		t.Fatal("a refused removal unprotected the number")
	}

	// The owner, by the page form.
	status, page := ada.postForm("/attorney/numbers/"+id+"/remove", url.Values{})
	if status != http.StatusOK || !strings.Contains(page, "may be recorded again") || strings.Contains(page, `id="number-`+id+`"`) {
		t.Fatalf("remove by form: %d %.400s", status, page)
	}
	if w.privileged(t, office) {
		t.Fatal("still privileged after its only registration ended")
	}
	if call := searchNumber(t, w.c, string(office))[0]; call.Recording != "destroyed" || !call.Privileged {
		t.Fatalf("the earlier call came back: %+v", call)
	}

	// Registered again by the attorney, then by staff: the attorney's removal (API) leaves
	// it privileged.
	id = w.registerNumber(t, ada, office)
	status, body = w.admin.do("POST", "/api/v1/privileged", map[string]string{"number": string(office), "kind": "attorney"})
	wantStatus(t, "staff registers it too", status, body, http.StatusConflict)
	status, body = ada.do("DELETE", "/api/v1/attorney/numbers/"+id, nil)
	wantStatus(t, "remove by API", status, body, http.StatusOK)
	if !strings.Contains(string(body), `"still_privileged":true`) || !w.privileged(t, office) {
		t.Fatalf("staff's registration lost: %s", body)
	}
	status, body = ada.do("DELETE", "/api/v1/attorney/numbers/"+id, nil)
	wantStatus(t, "remove twice", status, body, http.StatusNotFound)

	var log []parley.AuditEvent
	if err := json.Unmarshal([]byte(w.c.ok("audit", "list", "--limit", "1000", "--json")), &log); err != nil {
		t.Fatal(err)
	}
	removes, releases := 0, 0
	for _, e := range log {
		switch e.Action {
		case "public.number.remove":
			removes++
			if e.Actor != "public:"+ada.userID || !strings.Contains(e.Detail, "number:#") {
				t.Errorf("remove event %+v", e)
			}
		case "privileged.release":
			releases++
		}
		for _, s := range []string{string(office), "4155552671", "555-2671"} {
			if strings.Contains(e.Object+e.Detail, s) {
				t.Errorf("audit event names the number: %+v", e)
			}
		}
	}
	if removes != 2 || releases != 2 {
		t.Fatalf("%d remove and %d release events, want 2 each", removes, releases)
	}
}
