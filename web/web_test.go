package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"parley.dev/parley"
)

// TestOpenAPIMatchesRoutes: the served OpenAPI document is OpenAPI 3, and every operation
// it documents is a route the server answers (without a session: 401, or 400 for the
// sign-in with no body; never the API's 404).
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi.json: %v (%q)", err, doc.OpenAPI)
	}
	ops := 0
	for path, methods := range doc.Paths {
		for method := range methods {
			ops++
			target := strings.NewReplacer("{id}", "abc", "{ceremony}", "abc", "{inmate}", "abc", "{call}", "abc", "{device}", "abc").Replace(path)
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(strings.ToUpper(method), target, nil))
			want := http.StatusUnauthorized
			switch {
			case path == "/api/v1/openapi.json":
				want = http.StatusOK
			case path == "/api/v1/session" && method == "post":
				want = http.StatusBadRequest
			case strings.HasPrefix(path, "/api/v1/session/key"):
				want = http.StatusNotFound // security keys not configured here
			// Public side (attorneys, families): off without Config.Public.
			case strings.HasPrefix(path, "/api/v1/attorney/") || strings.HasPrefix(path, "/api/v1/family/"):
				want = http.StatusServiceUnavailable
			}
			if rec.Code != want || strings.Contains(rec.Body.String(), "no such API route") {
				t.Errorf("%s %s: %d %s, want %d", method, path, rec.Code, rec.Body, want)
			}
		}
	}
	if ops < 10 {
		t.Fatalf("only %d operations documented", ops)
	}
	// And an undocumented one is the API's JSON 404.
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/secrets", nil))
	if rec.Code != 404 || !strings.Contains(rec.Body.String(), `"not_found"`) {
		t.Errorf("unknown API route: %d %s", rec.Code, rec.Body)
	}
}

// TestStatusOf: each kind maps to its status and stable code, with the op names removed
// and internal details hidden.
func TestStatusOf(t *testing.T) {
	cases := []struct {
		err    error
		status int
		code   string
		msg    string
	}{
		{parley.Errorf("web.x", parley.KindInvalid, "bad date"), 400, "invalid", "bad date"},
		{parley.WrapError("outer", parley.KindOther, parley.Errorf("inner", parley.KindNotFound, "call not found")), 404, "not_found", "call not found"},
		{parley.Errorf("a", parley.KindForbidden, "no"), 403, "forbidden", "no"},
		{parley.Errorf("a", parley.KindUnauthorized, "sign in first"), 401, "unauthorized", "sign in first"},
		{parley.Errorf("a", parley.KindDestroyed, "gone"), 410, "destroyed", "gone"},
		{parley.Errorf("a", parley.KindInternal, "database error: table users"), 500, "internal", "internal error"},
		{errors.New("driver: secret detail"), 500, "internal", "internal error"},
		{&http.MaxBytesError{Limit: 1}, 413, "too_large", "request body too large"},
		{tooMany(), 429, "rate_limited", "too many reads for this account; try later"},
	}
	for _, c := range cases {
		status, code, msg := statusOf(c.err)
		if status != c.status || code != c.code || msg != c.msg {
			t.Errorf("statusOf(%v) = %d %s %q, want %d %s %q", c.err, status, code, msg, c.status, c.code, c.msg)
		}
	}
}

// TestParseSearch: what a search accepts, and its clear refusals.
func TestParseSearch(t *testing.T) {
	good := []string{
		"facility=cnty&purpose=p",
		"number=(415)%20555-2671&purpose=p",
		"facility=cnty&inmate=A1001&purpose=p&case=2026-114&from=2026-11-01&to=2026-11-30&limit=5",
		"facility=cnty&purpose=p&from=2026-11-01T00:00:00Z",
	}
	for _, q := range good {
		v, _ := url.ParseQuery(q)
		if _, err := parseSearch(v, "US"); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	v, _ := url.ParseQuery("number=(415)%20555-2671&purpose=p&to=2026-11-30")
	sq, _ := parseSearch(v, "US")
	if sq.filter.Number != "+14155552671" || sq.filter.To.Format("2006-01-02") != "2026-12-01" {
		t.Errorf("parsed %+v: a national number is normalised and a 'to' day is inclusive", sq.filter)
	}
	bad := map[string]string{
		"facility=cnty":                                     "purpose",
		"purpose=p":                                         "give a number",
		"facility=../etc&purpose=p":                         "facility id",
		"facility=cnty&purpose=p&from=2026-02-30":           "from must be a date",
		"facility=cnty&purpose=p&limit=1001":                "limit",
		"facility=cnty&purpose=a%0Ab":                       "not printable",
		"number=12&purpose=p":                               "not a phone number",
		"facility=cnty&purpose=p&from=0001-01-01T00:00:00Z": "from must be a date",
	}
	for q, want := range bad {
		v, _ := url.ParseQuery(q)
		_, err := parseSearch(v, "US")
		if !parley.IsKind(err, parley.KindInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want invalid containing %q", q, err, want)
		}
	}
}

// FuzzParseSearch: any query either parses into a search that names something, with a
// purpose, or is refused as invalid; it never panics.
func FuzzParseSearch(f *testing.F) {
	for _, s := range []string{"facility=cnty&purpose=p", "number=%2B14155552671&purpose=p&from=2026-11-01", "purpose=&x=1", "facility=..%2F&purpose=p"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		sq, err := parseSearch(q, "US")
		if err != nil {
			if !parley.IsKind(err, parley.KindInvalid) {
				t.Fatalf("%q: %v is not KindInvalid", raw, err)
			}
			return
		}
		f := sq.filter
		if sq.why.Purpose == "" || (f.Number == "" && f.FacilityID == "" && f.InmateID == "") {
			t.Fatalf("%q accepted without purpose or subject: %+v", raw, sq)
		}
		if f.FacilityID != "" && parley.ValidateID(f.FacilityID) != nil {
			t.Fatalf("%q accepted a bad facility id", raw)
		}
	})
}
