package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserPhoneDigest: in real headless Chromium, an admin adds a phone set to MD5
// alone on the facility page, sees its digest listed, is refused a change of algorithms
// with a short password and changes them with it; the CLI's
// phone list agrees.
func TestBrowserPhoneDigest(t *testing.T) {
	ctx := newBrowser(t)
	dir := artifactDir(t)
	c := newCLI(t)
	seed(t, c)
	const pw = "browser password 1"
	admSecret := addStaff(t, c, "Ada Admin", "admin", "--facility", "cnty", pw)
	srv := startWeb(t, c)
	browserSignIn(t, ctx, c, srv.base, "Ada Admin", pw, admSecret)
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-facilities")),
		chromedp.WaitVisible(chromedp.CSS("#facilities")),
		chromedp.Click(chromedp.CSS("a.fac-settings")),
		chromedp.WaitVisible(chromedp.CSS("#phone-form")),
		chromedp.SendKeys(chromedp.CSS("#phone-user"), "pod-old-ata"),
		chromedp.SendKeys(chromedp.CSS("#phone-password"), "ata password 1"),
		chromedp.SetValue(chromedp.CSS("#phone-digest"), "md5"),
		chromedp.Click(chromedp.CSS("#phone-add")),
		chromedp.WaitVisible(chromedp.CSS("#message")),
	)
	if err != nil {
		t.Fatalf("add a phone: %v", err)
	}
	if msg := browserText(t, ctx, "#message"); !strings.Contains(msg, "digest md5") {
		t.Fatalf("message %q", msg)
	}
	if li := browserText(t, ctx, "#phone-pod-old-ata"); !strings.Contains(li, "digest md5") {
		t.Fatalf("phones list %q", li)
	}
	shot(t, ctx, dir, "phone-digest-md5")
	// A wrong choice is refused with the reason, and nothing changes.
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#phone-password-user"), "pod-old-ata"),
		chromedp.SendKeys(chromedp.CSS("#phone-password-password"), "short"),
		chromedp.SetValue(chromedp.CSS("#phone-password-digest"), "sha256"),
		chromedp.Click(chromedp.CSS("#phone-password-set")),
		chromedp.WaitVisible(chromedp.CSS("#error")),
	)
	if err != nil {
		t.Fatalf("short password: %v", err)
	}
	if msg := browserText(t, ctx, "#error"); !strings.Contains(msg, "password") {
		t.Fatalf("error %q", msg)
	}
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#phone-password-user"), "pod-old-ata"),
		chromedp.SetValue(chromedp.CSS("#phone-password-password"), "ata password 2"),
		chromedp.SetValue(chromedp.CSS("#phone-password-digest"), "sha256,md5"),
		chromedp.Click(chromedp.CSS("#phone-password-set")),
		chromedp.WaitVisible(chromedp.CSS("#message")),
	)
	if err != nil {
		t.Fatalf("change the digest: %v", err)
	}
	if li := browserText(t, ctx, "#phone-pod-old-ata"); !strings.Contains(li, "digest sha256,md5") {
		t.Fatalf("phones list after the change %q", li)
	}
	shot(t, ctx, dir, "phone-digest-changed")
	var list []phoneView
	if err := json.Unmarshal([]byte(c.ok("phone", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].User != "pod-old-ata" || list[0].Digest != "sha256,md5" {
		t.Fatalf("phone list %+v", list)
	}
}
