package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/mod/sumdb/note"

	"parley.dev/parley"
	"parley.dev/parley/admin"
	"parley.dev/parley/audit"
	"parley.dev/parley/auth"
	"parley.dev/parley/fieldcrypt"
	"parley.dev/parley/sqlite"
)

// fakeLive is a call server's live calls, in memory (unit tests only).
type fakeLive struct {
	mu     sync.Mutex
	calls  []parley.LiveCall
	ended  map[string]string // call id -> reason
	listed [][]string
}

func (f *fakeLive) ListLive(ctx context.Context, facilities []string) ([]parley.LiveCall, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.listed = append(f.listed, facilities)
	var out []parley.LiveCall
	for _, c := range f.calls {
		if _, gone := f.ended[c.ID]; !gone && slices.Contains(facilities, c.FacilityID) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *fakeLive) Hangup(ctx context.Context, id, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		if c.ID == id {
			f.ended[id] = reason
			return nil
		}
	}
	return parley.Errorf("fake.Hangup", parley.KindNotFound, "no such call")
}

// liveWorld is a web server over a real SQLite store with facilities f1 and f2, an
// officer and an admin of f1, and a fake call server.
type liveWorld struct {
	srv    *httptest.Server
	live   *fakeLive
	audit  *audit.Log
	store  parley.Store
	now    time.Time
	secret map[string]string
}

func newLiveWorld(t *testing.T) *liveWorld {
	t.Helper()
	ctx := context.Background()
	key := bytes.Repeat([]byte{7}, 32)
	fc, err := fieldcrypt.New(key, bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"), fc, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w := &liveWorld{store: db, now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC), secret: map[string]string{}}
	clock := func() time.Time { return w.now }
	signer, vkey, err := audit.SignerFromSeed(audit.DefaultKeyName, bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	w.audit = audit.New(db, signer, verifier, audit.Options{Now: clock})
	for _, id := range []string{"f1", "f2"} {
		if err := db.CreateFacility(ctx, &parley.Facility{ID: id, Name: "Facility " + id, Type: parley.FacilityJail, ADP: 100}); err != nil {
			t.Fatal(err)
		}
	}
	a := auth.New(auth.Config{Store: db, Auditor: w.audit, Now: clock})
	for _, u := range []*parley.User{{Name: "olga", Role: parley.RoleOfficer, FacilityID: "f1"}, {Name: "adam", Role: parley.RoleAdmin, FacilityID: "f1"}} {
		enrol, err := a.AddUser(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		e, err := a.Enrol(ctx, u.Name, enrol, "live password 1")
		if err != nil {
			t.Fatal(err)
		}
		w.secret[u.Name] = e.TOTPSecret
	}
	w.live = &fakeLive{ended: map[string]string{}, calls: []parley.LiveCall{
		{ID: "c1", FacilityID: "f1", DeviceID: "phone-1", StartedAt: w.now.Add(-3 * time.Minute), State: "connected"},
		{ID: "c2", FacilityID: "f1", DeviceID: "booth-2", StartedAt: w.now.Add(-time.Minute), State: "connected", Privileged: true},
		{ID: "c3", FacilityID: "f2", DeviceID: "phone-9", StartedAt: w.now, State: "ivr"},
	}}
	reg := prometheus.NewRegistry()
	s, err := New(Config{Auth: a, Store: db, Audit: w.audit, Live: w.live,
		MetricsRegistry: reg, Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		Admin: &admin.Service{Store: db, Rules: db, Rates: db, Audit: w.audit, Digest: fc.BlindIndex, Now: clock}})
	if err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewServer(s)
	t.Cleanup(w.srv.Close)
	return w
}

// client signs name in and returns an HTTP client with the session and its CSRF token.
func (w *liveWorld) client(t *testing.T, name string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	code, err := auth.Code(w.secret[name], w.now)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"name": name, "password": "live password 1", "code": code})
	resp, err := c.Post(w.srv.URL+"/api/v1/session", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s struct {
		CSRF string `json:"csrf_token"`
	}
	json.NewDecoder(resp.Body).Decode(&s)
	if resp.StatusCode != 201 || s.CSRF == "" {
		t.Fatalf("sign in %s: %d", name, resp.StatusCode)
	}
	return c, s.CSRF
}

func call(t *testing.T, c *http.Client, method, url, csrf string, body any) (int, string) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", csrf)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.String()
}

// TestLiveCalls: an officer sees the calls in progress of their own facility only, with no
// number or name and the privileged one flagged; ends a privileged call (allowed, audited
// before the hang-up); cannot end another facility's call or a call that is not live; an
// admin can do neither.
func TestLiveCalls(t *testing.T) {
	w := newLiveWorld(t)
	off, csrf := w.client(t, "olga")
	status, body := call(t, off, "GET", w.srv.URL+"/api/v1/facilities/f1/live", csrf, nil)
	var page livePage
	if err := json.Unmarshal([]byte(body), &page); status != 200 || err != nil {
		t.Fatalf("live: %d %s", status, body)
	}
	if len(page.Calls) != 2 || !page.Connected || page.Calls[1].ID != "c2" || !page.Calls[1].Privileged {
		t.Fatalf("live calls of f1: %+v", page)
	}
	status, body = call(t, off, "GET", w.srv.URL+"/facilities/f1/live", csrf, nil)
	// f2's call c3 must not be listed; look for its cell, not the bare id, which a random
	// CSRF token on the page can contain.
	if status != 200 || !strings.Contains(body, "privileged: never monitored") || !strings.Contains(body, "phone-1") ||
		!strings.Contains(body, "<code>c2</code>") || strings.Contains(body, "<code>c3</code>") {
		t.Fatalf("live page: %d %s", status, body)
	}
	if status, _ := call(t, off, "GET", w.srv.URL+"/api/v1/facilities/f2/live", csrf, nil); status != 403 {
		t.Fatalf("another facility's live calls: %d", status)
	}
	if status, body := call(t, off, "POST", w.srv.URL+"/api/v1/facilities/f1/live/c2/end", csrf, map[string]string{"reason": "fight on the unit"}); status != 200 {
		t.Fatalf("end the privileged call: %d %s", status, body)
	}
	if w.live.ended["c2"] != "fight on the unit" {
		t.Fatalf("hang-ups: %v", w.live.ended)
	}
	for _, c := range []struct {
		path string
		want int
	}{{"/api/v1/facilities/f1/live/c3/end", 404}, {"/api/v1/facilities/f2/live/c3/end", 403}, {"/api/v1/facilities/f1/live/c2/end", 404},
		{"/api/v1/facilities/f1/live/nope/end", 404}} {
		if status, body := call(t, off, "POST", w.srv.URL+c.path, csrf, map[string]string{"reason": "again"}); status != c.want {
			t.Errorf("POST %s: %d %s, want %d", c.path, status, body, c.want)
		}
	}
	for _, reason := range []map[string]string{{}, {"reason": " "}} { // the reason is required
		if status, _ := call(t, off, "POST", w.srv.URL+"/api/v1/facilities/f1/live/c1/end", csrf, reason); status != 400 {
			t.Errorf("end without a reason %v: %d", reason, status)
		}
	}
	if status, _ := call(t, off, "POST", w.srv.URL+"/api/v1/facilities/f1/live/c1/end", csrf, map[string]string{"reason": strings.Repeat("r", 201)}); status != 400 {
		t.Errorf("overlong reason: %d", status)
	}
	if status, _ := call(t, off, "POST", w.srv.URL+"/api/v1/facilities/f1/live/c1/end", "wrong", map[string]string{}); status != 403 {
		t.Errorf("end without the CSRF token: %d", status)
	}
	adm, acsrf := w.client(t, "adam")
	if status, _ := call(t, adm, "POST", w.srv.URL+"/api/v1/facilities/f1/live/c1/end", acsrf, map[string]string{}); status != 403 {
		t.Errorf("an admin ended a call: %d", status)
	}
	resp, err := http.Get(w.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var m bytes.Buffer
	m.ReadFrom(resp.Body)
	resp.Body.Close()
	if !strings.Contains(m.String(), "parley_calls_live 2") {
		t.Errorf("metrics lack the live-calls gauge at 2 (c1, c3): %s", m.String())
	}
	if len(w.live.ended) != 1 {
		t.Fatalf("hang-ups after refusals: %v", w.live.ended)
	}
	size, err := w.store.AuditSize(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	events, err := w.audit.Events(context.Background(), 0, size)
	if err != nil {
		t.Fatal(err)
	}
	ends := 0
	for _, e := range events {
		if e.Action == "call.end" && e.Outcome == parley.OutcomeOK {
			ends++
			if e.Object != "call:c2" || !strings.Contains(e.Detail, "privileged") || !strings.HasPrefix(e.Actor, "user:") {
				t.Errorf("call.end event %+v", e)
			}
		}
	}
	if ends != 1 {
		t.Fatalf("%d call.end events, want 1", ends)
	}
}

// TestBlocksPageShowsSelfBlocks: the blocks page lists the called parties' own blocks that
// apply to the facility (its own and those from every facility), not another facility's.
func TestBlocksPageShowsSelfBlocks(t *testing.T) {
	w := newLiveWorld(t)
	ctx := context.Background()
	for _, b := range []*parley.SelfBlock{{Number: "+12025550101", FacilityID: "f1", AddedAt: w.now},
		{Number: "+12025550102", AddedAt: w.now}, {Number: "+12025550103", FacilityID: "f2", AddedAt: w.now}} {
		if err := w.store.AddSelfBlock(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	off, csrf := w.client(t, "olga")
	status, body := call(t, off, "GET", w.srv.URL+"/api/v1/facilities/f1/blocks", csrf, nil)
	var page blocksPage
	if err := json.Unmarshal([]byte(body), &page); status != 200 || err != nil {
		t.Fatalf("blocks: %d %s", status, body)
	}
	got := map[string]string{}
	for _, sb := range page.SelfBlocks {
		got[sb.Number] = sb.Scope
	}
	if len(got) != 2 || got["+12025550101"] != "this facility" || got["+12025550102"] != "all" {
		t.Fatalf("self-blocks of f1: %+v", page.SelfBlocks)
	}
	status, body = call(t, off, "GET", w.srv.URL+"/facilities/f1/blocks", csrf, nil)
	if status != 200 || !strings.Contains(body, "12025550102") || strings.Contains(body, "12025550103") {
		t.Fatalf("blocks page: %d", status)
	}
}
