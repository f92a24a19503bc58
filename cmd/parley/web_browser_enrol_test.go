package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

var enrolLinkRE = regexp.MustCompile(`(http://\S+/enrol/[A-Z2-7]+-\d+)`)

// TestBrowserStaffOnboarding: in Chromium, an admin adds an account on the Staff page and
// gets a one-time enrolment link; the new user opens it (no shell), sets a password, gets
// the TOTP key as a QR code, an otpauth URI labelled "parley:NAME" with SHA-256 and the list
// of apps, and signs in with a code from that key. The link then no longer works.
func TestBrowserStaffOnboarding(t *testing.T) {
	ctx := newBrowser(t)
	dir := artifactDir(t)
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	const pw = "admin password 1"
	admSecret := addStaff(t, c, "Ada Admin", "admin", "--facility", "cnty", pw)
	srv := startWeb(t, c)
	browserSignIn(t, ctx, c, srv.base, "Ada Admin", pw, admSecret)
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.base+"/facilities/cnty/staff"),
		chromedp.WaitVisible(chromedp.CSS("#user-form")),
		chromedp.SendKeys(chromedp.CSS("#user-name"), "Nia Newcomer"),
		chromedp.SetValue(chromedp.CSS("#user-role"), "investigator"),
		chromedp.Click(chromedp.CSS("#user-add")),
		chromedp.WaitVisible(chromedp.CSS("#message")),
	)
	if err != nil {
		t.Fatalf("add account: %v", err)
	}
	msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#message")))
	if err != nil {
		t.Fatal(err)
	}
	m := enrolLinkRE.FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("no enrolment link in %q", msg)
	}
	link := m[1]
	shot(t, ctx, dir, "01-account-added")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#signout")), chromedp.WaitVisible(chromedp.CSS("#signin-form"))); err != nil {
		t.Fatal(err)
	}

	const newPw = "newcomer password 1"
	err = chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("#enrol-form")),
	)
	if err != nil {
		t.Fatalf("open the link: %v", err)
	}
	shot(t, ctx, dir, "02-enrol-form")
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#name"), "Nia Newcomer"),
		chromedp.SendKeys(chromedp.CSS("#password"), newPw),
		chromedp.SendKeys(chromedp.CSS("#password2"), newPw),
		chromedp.Click(chromedp.CSS("#enrol")),
		chromedp.WaitVisible(chromedp.CSS("#totp-qr")),
	)
	if err != nil {
		t.Fatalf("enrol: %v", err)
	}
	shot(t, ctx, dir, "03-totp-qr")
	secret, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#totp-secret")))
	if err != nil {
		t.Fatal(err)
	}
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#totp-uri"), "href"))
	if err != nil {
		t.Fatal(err)
	}
	uri := attr.Value
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "otpauth" || u.Path != "/parley:Nia Newcomer" || u.Query().Get("algorithm") != "SHA256" || u.Query().Get("secret") != secret {
		t.Fatalf("otpauth URI %q (secret %q)", uri, secret)
	}
	qr, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](`(() => { const s = document.getElementById('totp-qr'); const r = s.getBoundingClientRect(); return {w: r.width, h: r.height, paths: s.querySelectorAll('path').length}; })()`))
	if err != nil || qr["w"] < 150 || qr["w"] != qr["h"] || qr["paths"] != 1 {
		t.Fatalf("QR code %v, %v", qr, err)
	}
	apps, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#totp-apps")))
	if err != nil || !strings.Contains(apps, "Aegis") || !strings.Contains(apps, "Microsoft Authenticator") {
		t.Fatalf("apps list %q, %v", apps, err)
	}
	// The key on the page signs in.
	browserSignIn(t, ctx, c, srv.base, "Nia Newcomer", newPw, secret)
	shot(t, ctx, dir, "04-signed-in")

	// The link is spent; a wrong name or mismatched passwords are refused with a message.
	anon := newClient(t, srv.base)
	for _, cse := range []struct {
		form url.Values
		want int
		msg  string
	}{
		{url.Values{"name": {"Nia Newcomer"}, "password": {newPw}, "password2": {newPw}}, http.StatusUnauthorized, "is wrong"},
		{url.Values{"name": {"Nia Newcomer"}, "password": {newPw}, "password2": {newPw + "x"}}, http.StatusBadRequest, "passwords differ"},
		{url.Values{"name": {""}, "password": {newPw}, "password2": {newPw}}, http.StatusBadRequest, "sign-in name"},
	} {
		status, page := anon.postForm(strings.TrimPrefix(link, srv.base), cse.form)
		if status != cse.want || !strings.Contains(page, cse.msg) || !strings.Contains(page, `id="error"`) || strings.Contains(page, "totp-qr") {
			t.Errorf("enrol %v: %d %.400s", cse.form, status, page)
		}
	}
}
