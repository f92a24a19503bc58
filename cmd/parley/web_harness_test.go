package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"parley.dev/parley/auth"
)

const webGuard = 60 * time.Second

// webServer is `parley serve` running in-process with only HTTP.
type webServer struct {
	base   string
	cancel context.CancelFunc
	done   chan int
	stderr *syncBuffer
}

// startWeb runs serve on 127.0.0.1:0 over c's data and waits until it listens.
func startWeb(t *testing.T, c *cli) *webServer { return startWebAt(t, c, "127.0.0.1:0") }

// startWebAt runs serve on addr.
func startWebAt(t *testing.T, c *cli, addr string) *webServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	s := &webServer{cancel: cancel, done: make(chan int, 1), stderr: &syncBuffer{}}
	m := &Main{Stdout: &syncBuffer{}, Stderr: s.stderr, Stdin: strings.NewReader(""),
		Getenv: func(k string) string { return c.env[k] }, Now: func() time.Time { return c.now }, Ready: ready,
		CodeSender: c.sender}
	go func() {
		s.done <- m.Run(ctx, []string{"serve", "--data", c.data, "--keys", c.keys, "--http", addr})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-s.done:
			if code != 0 {
				t.Errorf("serve exited %d: %s", code, s.stderr.String())
			}
		case <-time.After(webGuard):
			t.Error("serve did not stop")
		}
		c.logs.WriteString(s.stderr.String())
	})
	select {
	case addr := <-ready:
		s.base = "http://" + addr
	case code := <-s.done:
		t.Fatalf("serve exited %d: %s", code, s.stderr.String())
	case <-time.After(webGuard):
		t.Fatal("serve did not start")
	}
	return s
}

// staff is a signed-in (or not) HTTP client of one account.
type staff struct {
	t      *testing.T
	base   string
	client *http.Client
	csrf   string
	userID string
}

func newClient(t *testing.T, base string) *staff {
	jar, _ := cookiejar.New(nil)
	return &staff{t: t, base: base, client: &http.Client{Jar: jar, Timeout: webGuard,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signIn signs name in through the API with password and the current TOTP code.
func signIn(t *testing.T, c *cli, base, name, password, totpSecret string) *staff {
	t.Helper()
	s := newClient(t, base)
	code, err := auth.Code(totpSecret, c.now)
	if err != nil {
		t.Fatal(err)
	}
	status, body := s.do("POST", "/api/v1/session", map[string]string{"name": name, "password": password, "code": code})
	if status != http.StatusCreated {
		t.Fatalf("sign in %s: %d %s", name, status, body)
	}
	var resp struct {
		UserID    string `json:"user_id"`
		CSRFToken string `json:"csrf_token"`
	}
	json.Unmarshal(body, &resp)
	if resp.CSRFToken == "" || resp.UserID == "" {
		t.Fatalf("sign-in response %s", body)
	}
	s.csrf, s.userID = resp.CSRFToken, resp.UserID
	return s
}

// do sends a request (a JSON body if body is not nil or a []byte) with the CSRF header.
func (s *staff) do(method, path string, body any) (int, []byte) {
	s.t.Helper()
	resp := s.raw(method, path, body, nil)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (s *staff) raw(method, path string, body any, header http.Header) *http.Response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if s.csrf != "" {
		req.Header.Set("X-CSRF-Token", s.csrf)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	checkPageIDs(s.t, req, resp)
	return resp
}

var (
	htmlTag = regexp.MustCompile(`<[a-zA-Z][^>]*>`)
	htmlID  = regexp.MustCompile(`\sid="([^"]*)"`)
)

// checkPageIDs fails the test when an HTML page has two elements with one id (a label, a
// test or a screen reader then finds the wrong one). Every page any test fetches through
// staff.raw or staff.postForm is checked; the body is put back for the caller.
func checkPageIDs(t *testing.T, req *http.Request, resp *http.Response) {
	t.Helper()
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		return
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return // the caller sees the short body
	}
	if id := duplicateID(string(b)); id != "" {
		t.Errorf("%s %s: the page has id %q twice", req.Method, req.URL.Path, id)
	}
}

// duplicateID returns the first id attribute a page carries twice, or "".
func duplicateID(page string) string {
	seen := map[string]bool{}
	for _, tag := range htmlTag.FindAllString(page, -1) {
		for _, m := range htmlID.FindAllStringSubmatch(tag, -1) {
			if seen[m[1]] {
				return m[1]
			}
			seen[m[1]] = true
		}
	}
	return ""
}

// errorCode returns the stable code of a JSON error body.
func errorCode(body []byte) string {
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	json.Unmarshal(body, &e)
	return e.Error.Code
}

// importCity adds facility "city" with an inmate and one recorded call, so there is
// something outside the staff's own facility.
func importCity(t *testing.T, c *cli) {
	t.Helper()
	dir := t.TempDir()
	c.ok("facility", "add", "--id", "city", "--name", "City Jail", "--type", "jail", "--adp", "90")
	c.ok("inmate", "add", "--facility", "city", "--id", "B2002", "--name", "Casimir Oduya", "--pin", "58203917")
	writeWAV(t, filepath.Join(dir, "city.wav"), 440, 2)
	csv := "facility_id,inmate_id,inmate_name,called_number,started_at,duration_seconds,recording_file\n" +
		"city,B2002,Casimir Oduya,+16175550123,2026-11-22T09:00:00Z,60,city.wav\n"
	if err := os.WriteFile(filepath.Join(dir, "city.csv"), []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	c.ok("import", "calls", "--file", filepath.Join(dir, "city.csv"), "--recordings", dir)
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// totpNow is the current TOTP code of a world's account.
func totpNow(t *testing.T, w *matrixWorld, name string) string {
	code, err := auth.Code(w.secrets[name], w.c.now)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// TestDuplicateIDFinder: the page check finds a repeated id (as the success message was,
// once from the layout and once from the page) and passes distinct ones and text.
func TestDuplicateIDFinder(t *testing.T) {
	twice := `<main><p class="ok" role="status" id="message">Saved</p><h1>x</h1><p class="ok" id="message">Saved</p></main>`
	if got := duplicateID(twice); got != "message" {
		t.Fatalf("duplicateID = %q, want message", got)
	}
	once := `<form id="a"><input id="b" name="id"><p>id="a" as text</p><label for="a">x</label></form>`
	if got := duplicateID(once); got != "" {
		t.Fatalf("duplicateID = %q on distinct ids", got)
	}
}
