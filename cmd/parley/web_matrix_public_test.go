package main

import (
	"encoding/json"
	"net/http"
	"testing"

	"parley.dev/parley"
)

// The public side's rows of the authorization matrix: every attorney and family route,
// allowed to its own role only; staff roles get 403 on them and public roles 403 on every
// staff route (TestAuthorizationMatrix runs them all).
var publicMatrixRoutes = []route{
	{name: "api attorney session", method: "GET", path: "/api/v1/attorney/session", roles: "attorney", ok: 200},
	{name: "api attorney numbers", method: "GET", path: "/api/v1/attorney/numbers", roles: "attorney", ok: 200},
	{name: "api attorney totp", method: "POST", path: "/api/v1/attorney/totp", roles: "attorney", ok: 200},
	{name: "page attorney", method: "GET", path: "/attorney", roles: "attorney", ok: 200, page: true},
	// Removing a number no one holds: the attorney gets past authorization to the 404.
	{name: "api attorney remove number", method: "DELETE", path: "/api/v1/attorney/numbers/no-such-number", roles: "attorney", ok: 404},
	{name: "page attorney security", method: "GET", path: "/attorney/security", roles: "attorney", ok: 200, page: true},
	{name: "api family session", method: "GET", path: "/api/v1/family/session", roles: "family", ok: 200},
	{name: "api family number", method: "GET", path: "/api/v1/family/number", roles: "family", ok: 200},
	{name: "api family rates", method: "GET", path: "/api/v1/family/rates", roles: "family", ok: 200},
	{name: "api family account", method: "GET", path: "/api/v1/family/account", roles: "family", ok: 200},
	{name: "api family calls", method: "GET", path: "/api/v1/family/calls", roles: "family", ok: 200},
	{name: "api family blocks", method: "GET", path: "/api/v1/family/blocks", roles: "family", ok: 200},
	{name: "api family totp", method: "POST", path: "/api/v1/family/totp", roles: "family", ok: 200},
	{name: "page family", method: "GET", path: "/family", roles: "family", ok: 200, page: true},
	{name: "page family security", method: "GET", path: "/family/security", roles: "family", ok: 200, page: true},
}

func init() { matrixRoutes = append(matrixRoutes, publicMatrixRoutes...) }

// publicClients signs up a verified attorney and a family member with a verified number,
// and signs them in.
func publicClients(t *testing.T, w *matrixWorld) map[parley.Role]*staff {
	t.Helper()
	anon := newClient(t, w.srv.base)
	for _, side := range []string{"attorney", "family"} {
		req := map[string]string{"name": side + "@matrix.example", "password": publicPassword}
		if side == "attorney" {
			req["full_name"], req["bar_number"], req["state"] = "Matrix Counsel", "MX-1", "NY"
		}
		status, body := anon.do("POST", "/api/v1/"+side+"/signup", req)
		wantStatus(t, side+" sign-up", status, body, http.StatusCreated)
	}
	var list []attorneyView
	json.Unmarshal([]byte(w.c.ok("attorney", "list", "--json")), &list)
	w.c.ok("attorney", "verify", "--id", list[0].ID)
	out := map[parley.Role]*staff{
		parley.RoleAttorney: publicSignIn(t, w.srv.base, "attorney", "attorney@matrix.example"),
		parley.RoleFamily:   publicSignIn(t, w.srv.base, "family", "family@matrix.example"),
	}
	fam := out[parley.RoleFamily]
	status, body := fam.do("POST", "/api/v1/family/number", map[string]string{"number": "+12025550142"})
	wantStatus(t, "family number", status, body, http.StatusCreated)
	var n struct{ ID string }
	json.Unmarshal(body, &n)
	code := w.c.sender.(*codeBox).code(t, "+12025550142")
	status, body = fam.do("POST", "/api/v1/family/number/"+n.ID+"/code", map[string]string{"code": code})
	wantStatus(t, "family code", status, body, http.StatusOK)
	return out
}

// publicMatrix checks every route for each public role (own and other facility alike:
// public accounts have no facility) and returns the number of cells.
func publicMatrix(t *testing.T, w *matrixWorld) int {
	clients := publicClients(t, w)
	cells, n := 0, 1000
	for _, role := range parley.PublicRoles {
		client := clients[role]
		for _, rt := range matrixRoutes {
			for _, fac := range []string{"cnty", "city"} {
				var body any
				if rt.body != nil {
					body, n = rt.body(n), n+1
				}
				status, b := client.do(rt.method, rt.url(fac, w), body)
				want := rt.want(role, fac == "cnty", false)
				cells++
				if status != want {
					t.Errorf("%s as %s on %s: %d, want %d (%.200s)", rt.name, role, fac, status, want, b)
				}
				if status == http.StatusForbidden && !rt.page && errorCode(b) != "forbidden" {
					t.Errorf("%s as %s: 403 body %s lacks the forbidden code", rt.name, role, b)
				}
			}
		}
	}
	return cells
}
