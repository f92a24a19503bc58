package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"parley.dev/parley"
	"parley.dev/parley/internal/testingutil"
)

const matrixPassword = "matrix password 1"

// route is one API route or page of the authorization matrix: who may use it, whether it
// is bound to a facility (own or other), and whether a grant stands in for scope.
type route struct {
	name         string
	method, path string // {fac}, {call}, {rec}, {inmate}, {device} are replaced per facility
	roles        string // roles allowed; "*" every role
	scoped       bool
	grantable    bool
	ok           int
	page         bool
	anon         int // the status without a session, if not 401 (API) or 303 to /signin (page)
	body         func(n int) any
	bodyAt       func(n int, fac string, w *matrixWorld) any    // a body naming things of the facility
	prepare      func(w *matrixWorld, t *testing.T, fac string) // run before each signed-in cell
}

var matrixRoutes = []route{
	{name: "api search", method: "GET", path: "/api/v1/calls?facility={fac}&purpose=matrix&case=M-1", roles: "investigator prosecutor", scoped: true, grantable: true, ok: 200},
	{name: "api call", method: "GET", path: "/api/v1/calls/{call}?purpose=matrix&case=M-1", roles: "investigator prosecutor", scoped: true, grantable: true, ok: 200},
	{name: "api recording", method: "GET", path: "/api/v1/recordings/{rec}?purpose=matrix&case=M-1", roles: "investigator prosecutor", scoped: true, grantable: true, ok: 200},
	{name: "api audit", method: "GET", path: "/api/v1/audit", roles: "auditor", ok: 200},
	{name: "api audit verify", method: "GET", path: "/api/v1/audit/verify", roles: "auditor", ok: 200},
	{name: "api privileged", method: "POST", path: "/api/v1/privileged", roles: "admin", ok: 201, body: func(n int) any {
		return map[string]string{"number": fmt.Sprintf("+1212555%04d", 100+n), "kind": "attorney"}
	}},
	{name: "api alerts", method: "GET", path: "/api/v1/alerts", roles: "admin auditor", ok: 200},
	// Attorney verification: the admin's (the role that registers privileged numbers), any
	// scope. The verify cell names no attorney: allowed gets past authorization to the 404.
	{name: "api attorneys", method: "GET", path: "/api/v1/attorneys", roles: "admin", ok: 200},
	{name: "page attorneys", method: "GET", path: "/attorneys", roles: "admin", ok: 200, page: true},
	{name: "api attorney verify", method: "POST", path: "/api/v1/attorneys/no-such-attorney/verify", roles: "admin", ok: 404,
		body: func(n int) any { return map[string]string{} }},
	{name: "api session", method: "GET", path: "/api/v1/session", roles: "*", ok: 200},
	{name: "page home", method: "GET", path: "/", roles: "*", ok: 200, page: true, anon: 200}, // the landing page
	{name: "page calls", method: "GET", path: "/calls?facility={fac}&purpose=matrix&case=M-1", roles: "investigator prosecutor", scoped: true, grantable: true, ok: 200, page: true},
	{name: "page call", method: "GET", path: "/calls/{call}?purpose=matrix&case=M-1", roles: "investigator prosecutor", scoped: true, grantable: true, ok: 200, page: true},
	{name: "page audit", method: "GET", path: "/audit", roles: "auditor", ok: 200, page: true},
	{name: "api key registration", method: "POST", path: "/api/v1/keys/register", roles: "*", ok: 200},
	{name: "page keys", method: "GET", path: "/keys", roles: "*", ok: 200, page: true},

	// Administration and officers: own scope only, never by grant.
	{name: "api privileged history", method: "GET", path: "/api/v1/audit/privileged", roles: "auditor", ok: 200},
	{name: "page privileged history", method: "GET", path: "/audit/privileged", roles: "auditor", ok: 200, page: true},
	{name: "api facilities", method: "GET", path: "/api/v1/facilities", roles: "admin officer", ok: 200},
	{name: "page facilities", method: "GET", path: "/facilities", roles: "admin officer", ok: 200, page: true},
	{name: "api facility", method: "GET", path: "/api/v1/facilities/{fac}", roles: "admin", scoped: true, ok: 200},
	{name: "page facility", method: "GET", path: "/facilities/{fac}", roles: "admin", scoped: true, ok: 200, page: true},
	{name: "api rules", method: "POST", path: "/api/v1/facilities/{fac}/rules", roles: "admin", scoped: true, ok: 200, body: func(n int) any {
		return map[string]string{"hours": "daily 00:00-24:00", "max_call": "15m"}
	}},
	{name: "api lockdown", method: "POST", path: "/api/v1/facilities/{fac}/lockdown", roles: "admin", scoped: true, ok: 200, body: func(n int) any {
		return map[string]string{"lockdown": "off"}
	}},
	{name: "api rates", method: "POST", path: "/api/v1/facilities/{fac}/rates", roles: "admin", scoped: true, ok: 200, body: func(n int) any {
		return map[string]string{"audio": "0.05"}
	}},
	{name: "api retention", method: "POST", path: "/api/v1/facilities/{fac}/retention", roles: "admin", scoped: true, ok: 200, body: func(n int) any {
		return map[string]any{"days": 400 + n}
	}},
	{name: "api gateways", method: "POST", path: "/api/v1/facilities/{fac}/gateways", roles: "admin", scoped: true, ok: 200, body: func(n int) any {
		return map[string]string{"op": "add", "addr": fmt.Sprintf("10.9.%d.%d", n/250, n%250+1)}
	}},
	{name: "api devices", method: "POST", path: "/api/v1/facilities/{fac}/devices", roles: "admin", scoped: true, ok: 200, body: func(n int) any {
		return map[string]string{"device": fmt.Sprintf("phone-%d", n)}
	}},
	{name: "api devices list", method: "GET", path: "/api/v1/facilities/{fac}/devices", roles: "admin", scoped: true, ok: 200},
	// The device exists before every cell (an allowed cell removes it): a 403 is the rule's,
	// never a missing device's.
	{name: "api device remove", method: "POST", path: "/api/v1/facilities/{fac}/devices/{device}/remove", roles: "admin", scoped: true, ok: 200,
		body: func(n int) any { return map[string]string{} }, prepare: (*matrixWorld).ensureDevice},
	{name: "api phones", method: "POST", path: "/api/v1/facilities/{fac}/phones", roles: "admin", scoped: true, ok: 200, body: func(n int) any {
		return map[string]string{"op": "add", "user": fmt.Sprintf("matrix-phone-%d", n), "password": "phone password 1"}
	}},
	{name: "api holds", method: "POST", path: "/api/v1/facilities/{fac}/holds", roles: "admin", scoped: true, ok: 200,
		bodyAt: func(n int, fac string, w *matrixWorld) any {
			return map[string]string{"op": "hold", "recording": w.recs[fac], "reason": "case M-1"}
		}},
	{name: "api inmates", method: "GET", path: "/api/v1/facilities/{fac}/inmates", roles: "admin", scoped: true, ok: 200},
	{name: "page inmates", method: "GET", path: "/facilities/{fac}/inmates", roles: "admin", scoped: true, ok: 200, page: true},
	{name: "api inmate add", method: "POST", path: "/api/v1/facilities/{fac}/inmates", roles: "admin", scoped: true, ok: 200, body: func(n int) any {
		return map[string]string{"inmate": fmt.Sprintf("M%d", n), "name": "Matrix Person", "pin": fmt.Sprintf("6%07d", n)}
	}},
	{name: "api inmate", method: "GET", path: "/api/v1/facilities/{fac}/inmates/{inmate}", roles: "admin", scoped: true, ok: 200},
	{name: "page inmate", method: "GET", path: "/facilities/{fac}/inmates/{inmate}", roles: "admin", scoped: true, ok: 200, page: true},
	{name: "api inmate pin", method: "POST", path: "/api/v1/facilities/{fac}/inmates/{inmate}/pin", roles: "admin", scoped: true, ok: 200, body: func(n int) any {
		return map[string]string{"pin": fmt.Sprintf("7%07d", n)}
	}},
	{name: "api inmate dnr", method: "POST", path: "/api/v1/facilities/{fac}/inmates/{inmate}/do-not-record", roles: "admin", scoped: true, ok: 200, body: func(n int) any {
		return map[string]string{"do_not_record": "off"}
	}},
	{name: "api allowed", method: "POST", path: "/api/v1/facilities/{fac}/inmates/{inmate}/allowed", roles: "admin", scoped: true, ok: 200, body: func(n int) any {
		return map[string]string{"op": "add", "number": fmt.Sprintf("+1202555%04d", n)}
	}},
	{name: "api blocks", method: "GET", path: "/api/v1/facilities/{fac}/blocks", roles: "admin officer", scoped: true, ok: 200},
	{name: "page blocks", method: "GET", path: "/facilities/{fac}/blocks", roles: "admin officer", scoped: true, ok: 200, page: true},
	{name: "api block", method: "POST", path: "/api/v1/facilities/{fac}/blocks", roles: "admin officer", scoped: true, ok: 200, body: func(n int) any {
		return map[string]string{"op": "add", "number": fmt.Sprintf("+1303555%04d", n)}
	}},
	{name: "api staff", method: "GET", path: "/api/v1/facilities/{fac}/staff", roles: "admin", scoped: true, ok: 200},
	{name: "page staff", method: "GET", path: "/facilities/{fac}/staff", roles: "admin", scoped: true, ok: 200, page: true},
	{name: "api staff add", method: "POST", path: "/api/v1/facilities/{fac}/staff", roles: "admin", scoped: true, ok: 200, body: func(n int) any {
		return map[string]string{"name": fmt.Sprintf("matrix-new-%d", n), "role": "officer"}
	}},
	{name: "api grants", method: "POST", path: "/api/v1/facilities/{fac}/grants", roles: "admin", scoped: true, ok: 200, body: func(n int) any {
		return map[string]string{"op": "issue", "user": "investigator-plain", "hours": "1", "reason": "case M-1"}
	}},
	{name: "api live", method: "GET", path: "/api/v1/facilities/{fac}/live", roles: "officer", scoped: true, ok: 200},
	{name: "page live", method: "GET", path: "/facilities/{fac}/live", roles: "officer", scoped: true, ok: 200, page: true},
	// No call server in this world: an allowed request gets past authorization to the 503.
	{name: "api end call", method: "POST", path: "/api/v1/facilities/{fac}/live/{call}/end", roles: "officer", scoped: true, ok: 503, body: func(n int) any {
		return map[string]string{}
	}},
	{name: "page end call", method: "GET", path: "/facilities/{fac}/live/{call}/end", roles: "officer", scoped: true, ok: 503, page: true},
}

// matrixWorld is the seeded data of the matrix: facility cnty (own) and city (other), each
// with a recorded call, and one privileged call in cnty.
type matrixWorld struct {
	c          *cli
	srv        *webServer
	calls      map[string]string // facility -> call id
	recs       map[string]string // facility -> recording id
	privileged string            // call id of the privileged call in cnty
	secrets    map[string]string // user name -> TOTP secret
	clients    map[string]*staff // signed-in clients: the clock stands still, and a TOTP code signs in once
}

func newMatrixWorld(t *testing.T) *matrixWorld { return newMatrixWorldOn(t, newCLI(t)) }

func newMatrixWorldOn(t *testing.T, c *cli) *matrixWorld {
	s := seed(t, c)
	importCity(t, c)
	w := &matrixWorld{c: c, calls: map[string]string{}, recs: map[string]string{}, secrets: map[string]string{},
		clients: map[string]*staff{}}
	own := searchNumber(t, c, "+14155552671")[0]
	other := searchNumber(t, c, "+16175550123")[0]
	w.calls["cnty"], w.recs["cnty"] = own.ID, own.RecordingID
	w.calls["city"], w.recs["city"] = other.ID, other.RecordingID
	w.privileged = searchNumber(t, c, s.attorney)[0].ID
	for _, fac := range []string{"cnty", "city"} {
		c.ok("device", "add", "--facility", fac, "--id", matrixDevice)
	}
	c.ok("device", "add", "--facility", "city", "--id", "city-only")
	w.secrets["admin-city"] = addStaff(t, c, "admin-city", "admin", "--facility", "city", matrixPassword)
	for _, r := range parley.Roles {
		for _, kind := range []string{"plain", "granted"} {
			name := string(r) + "-" + kind
			w.secrets[name] = addStaff(t, c, name, string(r), "--facility", "cnty", matrixPassword)
			if kind == "granted" {
				c.ok("grant", "add", "--by", "admin-city", "--user", name, "--facility", "city", "--hours", "24", "--reason", "case M-1")
			}
		}
	}
	c.env["PARLEY_WEBAUTHN_ORIGIN"] = "http://localhost:8080" // security keys on; no ceremony finishes here
	c.env["PARLEY_METRICS_TOKEN"] = testMetricsToken          // /metrics on --http, behind it
	c.sender = newCodeBox()                                   // public numbers are verified by code
	w.srv = startWeb(t, c)
	return w
}

// matrixDevice is the device behind a gateway that each facility of the matrix has.
const matrixDevice = "matrix-dev"

// ensureDevice adds the facility's matrix device again if a cell removed it.
func (w *matrixWorld) ensureDevice(t *testing.T, fac string) {
	t.Helper()
	_, errOut, code := w.c.run("device", "add", "--facility", fac, "--id", matrixDevice)
	if code != 0 && !strings.Contains(errOut, "exists") {
		t.Fatalf("device add %s/%s: exit %d: %s", fac, matrixDevice, code, errOut)
	}
}

func (w *matrixWorld) signIn(t *testing.T, name string) *staff {
	if s, ok := w.clients[name]; ok {
		return s
	}
	s := signIn(t, w.c, w.srv.base, name, matrixPassword, w.secrets[name])
	w.clients[name] = s
	return s
}

func (rt route) url(fac string, w *matrixWorld) string {
	inmate := map[string]string{"cnty": "A1001", "city": "B2002"}[fac]
	return strings.NewReplacer("{fac}", fac, "{call}", w.calls[fac], "{rec}", w.recs[fac], "{inmate}", inmate, "{device}", matrixDevice).Replace(rt.path)
}

// want is the matrix's answer for one cell.
func (rt route) want(role parley.Role, own, granted bool) int {
	allowed := rt.roles == "*" || slices.Contains(strings.Fields(rt.roles), string(role))
	if slices.Contains(parley.PublicRoles, role) { // "*" is every staff role, never a public one
		if rt.anon != 0 { // open without a staff session (the landing page): a public one too
			return rt.anon
		}
		allowed = slices.Contains(strings.Fields(rt.roles), string(role))
	}
	if allowed && rt.scoped && !own {
		allowed = rt.grantable && granted
	}
	if allowed {
		return rt.ok
	}
	return http.StatusForbidden
}

// TestAuthorizationMatrix: every API route and page × every role × own/other facility ×
// with/without grant, through real HTTP against a real SQLite store, with the exact
// status; and without a session, 401 (API) or a redirect to sign-in (pages).
func TestAuthorizationMatrix(t *testing.T) { authorizationMatrix(t, newMatrixWorld(t)) }

// TestAuthorizationMatrixPostgres runs the same matrix with the database on PostgreSQL.
func TestAuthorizationMatrixPostgres(t *testing.T) {
	c := newCLI(t)
	c.env["PARLEY_DB"] = testingutil.WithSearchPath(testingutil.PostgresDSN(), testingutil.PostgresSchema(t))
	authorizationMatrix(t, newMatrixWorldOn(t, c))
}

func authorizationMatrix(t *testing.T, w *matrixWorld) {
	anon := newClient(t, w.srv.base)
	for _, rt := range matrixRoutes {
		for _, fac := range []string{"cnty", "city"} {
			var body any
			if rt.body != nil {
				body = rt.body(0)
			}
			if rt.bodyAt != nil {
				body = rt.bodyAt(0, fac, w)
			}
			status, b := anon.do(rt.method, rt.url(fac, w), body)
			want := http.StatusUnauthorized
			if rt.page {
				want = http.StatusSeeOther
			}
			if rt.anon != 0 {
				want = rt.anon
			}
			if status != want {
				t.Errorf("%s (%s) without session: %d %s, want %d", rt.name, fac, status, b, want)
			}
		}
	}
	n := 1
	cells := 0
	for _, role := range parley.Roles {
		for _, granted := range []bool{false, true} {
			name := string(role) + "-plain"
			if granted {
				name = string(role) + "-granted"
			}
			client := w.signIn(t, name)
			for _, rt := range matrixRoutes {
				for _, fac := range []string{"cnty", "city"} {
					var body any
					if rt.body != nil {
						body, n = rt.body(n), n+1
					}
					if rt.bodyAt != nil {
						body, n = rt.bodyAt(n, fac, w), n+1
					}
					if rt.prepare != nil {
						rt.prepare(w, t, fac)
					}
					status, b := client.do(rt.method, rt.url(fac, w), body)
					want := rt.want(role, fac == "cnty", granted)
					cells++
					if status != want {
						t.Errorf("%s as %s on %s: %d, want %d (%.200s)", rt.name, name, fac, status, want, b)
					}
					if status == http.StatusForbidden && !rt.page && errorCode(b) != "forbidden" {
						t.Errorf("%s as %s: 403 body %s lacks the forbidden code", rt.name, name, b)
					}
				}
			}
		}
	}
	cells += publicMatrix(t, w)
	if cells != len(matrixRoutes)*len(parley.Roles)*2*2+len(matrixRoutes)*len(parley.PublicRoles)*2 {
		t.Fatalf("checked %d cells", cells)
	}

	// Privileged calls are invisible, even to an investigator of the facility.
	inv := w.signIn(t, "investigator-granted")
	status, b := inv.do("GET", "/api/v1/calls/"+w.privileged+"?purpose=matrix", nil)
	if status != http.StatusNotFound {
		t.Errorf("privileged call: %d %s, want 404", status, b)
	}
	_, b = inv.do("GET", "/api/v1/calls?facility=cnty&purpose=matrix", nil)
	var res struct{ Calls []callView }
	json.Unmarshal(b, &res)
	if len(res.Calls) != 2 || strings.Contains(string(b), w.privileged) || strings.Contains(string(b), "+13125557788") {
		t.Errorf("facility search shows %d calls (%s), want the 2 not privileged", len(res.Calls), b)
	}
	// A search without a facility reaches own scope plus grants, nothing more.
	for name, want := range map[string]int{"investigator-granted": 1, "investigator-plain": 0} {
		cl := w.signIn(t, name)
		_, b := cl.do("GET", "/api/v1/calls?number=%2B16175550123&purpose=matrix", nil)
		var res struct{ Calls []callView }
		if err := json.Unmarshal(b, &res); err != nil || len(res.Calls) != want {
			t.Errorf("%s number search found %d (%s), want %d", name, len(res.Calls), b, want)
		}
	}

	// Every refused read of a recording or search is in the audit log with actor, purpose
	// and case.
	aud := w.signIn(t, "auditor-plain")
	_, b = aud.do("GET", "/api/v1/audit?limit=1000", nil)
	var log struct{ Events []parley.AuditEvent }
	if err := json.Unmarshal(b, &log); err != nil {
		t.Fatal(err)
	}
	denied := map[string]int{}
	for _, e := range log.Events {
		if e.Outcome == parley.OutcomeDenied && strings.HasPrefix(e.Actor, "user:") {
			if (e.Action == "recording.read" || e.Action == "calls.search") && (e.Purpose != "matrix" || e.Case != "M-1") {
				t.Errorf("denied event without purpose or case: %+v", e)
			}
			denied[e.Action]++
		}
	}
	for _, a := range []string{"recording.read", "calls.search", "call.read", "audit.read", "privileged.add", "attorney.verify"} {
		if denied[a] == 0 {
			t.Errorf("no denied %s event in the audit log (%v)", a, denied)
		}
	}
}
