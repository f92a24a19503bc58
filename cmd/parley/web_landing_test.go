package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestLandingPage: "/" without a staff session is the landing page (200, no script, the
// staff sign-in and both portals linked), also for a signed-in family; a staff session
// still gets the staff's start page there.
func TestLandingPage(t *testing.T) {
	c := newCLI(t)
	const pw = "landing password 1"
	secret := addStaff(t, c, "Dana Admin", "admin", "--facility", mustFacility(t, c), pw)
	srv := startWeb(t, c)
	anon := newClient(t, srv.base)
	status, body := anon.do("GET", "/", nil)
	page := string(body)
	if status != http.StatusOK {
		t.Fatalf("GET / without a session: %d %.300s", status, page)
	}
	for _, link := range []string{`href="/signin"`, `href="/attorney/signin"`, `href="/attorney/signup"`, `href="/family/signin"`, `href="/family/signup"`} {
		if !strings.Contains(page, link) {
			t.Errorf("the landing page lacks %s", link)
		}
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "Sign out") {
		t.Errorf("the landing page has a script or a session's navigation:\n%s", page)
	}
	status, body = anon.do("POST", "/api/v1/family/signup", map[string]string{"name": "kin@example.org", "password": publicPassword})
	wantStatus(t, "sign-up", status, body, http.StatusCreated)
	fam := publicSignIn(t, srv.base, "family", "kin@example.org")
	if status, body := fam.do("GET", "/", nil); status != http.StatusOK || !strings.Contains(string(body), `id="landing-family"`) {
		t.Errorf("GET / with a family session: %d %.300s", status, body)
	}
	staff := signIn(t, c, srv.base, "Dana Admin", pw, secret)
	if status, body := staff.do("GET", "/", nil); status != http.StatusOK || strings.Contains(string(body), `id="landing-staff"`) ||
		!strings.Contains(string(body), `href="/facilities"`) {
		t.Errorf("GET / with a staff session: %d %.300s", status, body)
	}
}

// mustFacility adds the facility cnty and returns its id.
func mustFacility(t *testing.T, c *cli) string {
	t.Helper()
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	return "cnty"
}

// TestBrowserLanding: in headless Chromium the landing page loads without scripts and
// each of its links leads to its sign-in page: staff, attorneys, families.
func TestBrowserLanding(t *testing.T) {
	ctx := newBrowser(t)
	dir := artifactDir(t)
	c := newCLI(t)
	srv := startWeb(t, c)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.base+"/"), chromedp.WaitVisible(chromedp.CSS("#landing-staff"))); err != nil {
		t.Fatalf("landing page: %v", err)
	}
	shot(t, ctx, dir, "01-landing")
	scripts, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.scripts.length`))
	if err != nil || scripts != 0 {
		t.Errorf("the landing page runs %d script(s) (%v)", scripts, err)
	}
	for i, tc := range []struct{ link, heading string }{
		{"#link-staff", "Sign in"},
		{"#link-attorney", "Attorneys: sign in"},
		{"#link-family", "Families: sign in"},
	} {
		err := chromedp.Do(ctx, chromedp.Navigate(srv.base+"/"), chromedp.WaitVisible(chromedp.CSS(tc.link)),
			chromedp.Click(chromedp.CSS(tc.link)), chromedp.WaitVisible(chromedp.CSS("#signin-form")))
		if err != nil {
			t.Fatalf("%s: %v", tc.link, err)
		}
		h1, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
		if err != nil || !strings.Contains(h1, tc.heading) {
			t.Errorf("%s led to %q (%v), want %q", tc.link, h1, err, tc.heading)
		}
		shot(t, ctx, dir, []string{"02-staff-signin", "03-attorney-signin", "04-family-signin"}[i])
	}
}
