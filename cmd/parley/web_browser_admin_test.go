package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// browserText returns the text of the first element matching sel.
func browserText(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// phoneShot saves a screenshot at phone width, then returns to the laptop size.
func phoneShot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	shot(t, ctx, dir, name)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserAdminAndOfficer: in real headless Chromium, an admin sees the facility's
// rates with the cap in force and its source, is refused a rate above the cap with the
// cap's message, sets one under it, adds an inmate and an allowed number; then an officer
// blocks a number from the facilities page.
func TestBrowserAdminAndOfficer(t *testing.T) {
	ctx := newBrowser(t)
	dir := artifactDir(t)
	c := newCLI(t)
	seed(t, c)
	const pw = "browser password 1"
	admSecret := addStaff(t, c, "Ada Admin", "admin", "--facility", "cnty", pw)
	offSecret := addStaff(t, c, "Otto Officer", "officer", "--facility", "cnty", pw)
	srv := startWeb(t, c)

	browserSignIn(t, ctx, c, srv.base, "Ada Admin", pw, admSecret)
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-facilities")),
		chromedp.WaitVisible(chromedp.CSS("#facilities")),
		chromedp.Click(chromedp.CSS("a.fac-settings")),
		chromedp.WaitVisible(chromedp.CSS("#rates-form")),
	)
	if err != nil {
		t.Fatalf("open the facility: %v", err)
	}
	if rates := browserText(t, ctx, "#rates"); !strings.Contains(rates, "in force") && !strings.Contains(rates, "$0.") || !strings.Contains(rates, "FCC") {
		t.Fatalf("rates table %q: want the cap in force and its FCC source", rates)
	}
	shot(t, ctx, dir, "01-facility")
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#audio"), "0.50"),
		chromedp.Click(chromedp.CSS("#rates-save")),
		chromedp.WaitVisible(chromedp.CSS("#error")),
	)
	if err != nil {
		t.Fatalf("rate above the cap: %v", err)
	}
	if msg := browserText(t, ctx, "#error"); !strings.Contains(msg, "cap") {
		t.Fatalf("above-cap message %q does not name the cap", msg)
	}
	if rates := browserText(t, ctx, "#rates"); strings.Contains(rates, "$0.50") {
		t.Fatalf("a refused rate shows as set: %q", rates)
	}
	shot(t, ctx, dir, "02-rate-above-cap-refused")
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#audio"), "0.05"),
		chromedp.Click(chromedp.CSS("#rates-save")),
		chromedp.WaitVisible(chromedp.CSS("#message")),
	)
	if err != nil {
		t.Fatalf("rate under the cap: %v", err)
	}
	if rates := browserText(t, ctx, "#rates"); !strings.Contains(rates, "$0.05/min") {
		t.Fatalf("rates after setting: %q", rates)
	}
	shot(t, ctx, dir, "03-rate-set")
	phoneShot(t, ctx, dir, "04-facility-phone")

	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.base+"/facilities/cnty/inmates"),
		chromedp.WaitVisible(chromedp.CSS("#inmate-form")),
		chromedp.SendKeys(chromedp.CSS("#inmate-id"), "W7001"),
		chromedp.SendKeys(chromedp.CSS("#inmate-name"), "Wilhelmina Osei"),
		chromedp.SendKeys(chromedp.CSS("#inmate-pin"), "40417733"),
		chromedp.Click(chromedp.CSS("#inmate-add")),
		chromedp.WaitVisible(chromedp.CSS("#message")),
	)
	if err != nil {
		t.Fatalf("add inmate: %v", err)
	}
	if list := browserText(t, ctx, "#inmates"); !strings.Contains(list, "Wilhelmina Osei") {
		t.Fatalf("inmates %q: the new inmate is missing", list)
	}
	shot(t, ctx, dir, "05-inmate-added")
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a[href="/facilities/cnty/inmates/W7001"]`)),
		chromedp.WaitVisible(chromedp.CSS("#allowed-form")),
		chromedp.SendKeys(chromedp.CSS("#allowed-number"), "(415) 555-0142"),
		chromedp.Click(chromedp.CSS("#allowed-add")),
		chromedp.WaitVisible(chromedp.CSS("#message")),
	)
	if err != nil {
		t.Fatalf("allow a number: %v", err)
	}
	if list := browserText(t, ctx, "#allowed"); !strings.Contains(list, "+14155550142") {
		t.Fatalf("allowed numbers %q", list)
	}
	shot(t, ctx, dir, "06-number-allowed")
	phoneShot(t, ctx, dir, "07-inmate-phone")

	octx := newBrowser(t)
	browserSignIn(t, octx, c, srv.base, "Otto Officer", pw, offSecret)
	err = chromedp.Do(octx,
		chromedp.Click(chromedp.CSS("#nav-facilities")),
		chromedp.WaitVisible(chromedp.CSS("#facilities")),
		chromedp.Click(chromedp.CSS("a.fac-blocks")),
		chromedp.WaitVisible(chromedp.CSS("#block-form")),
		chromedp.SendKeys(chromedp.CSS("#block-number"), "+1 303 555 0199"),
		chromedp.Click(chromedp.CSS("#block-add")),
		chromedp.WaitVisible(chromedp.CSS("#message")),
	)
	if err != nil {
		t.Fatalf("officer blocks a number: %v", err)
	}
	if list := browserText(t, octx, "#blocks"); !strings.Contains(list, "+13035550199") {
		t.Fatalf("blocks %q", list)
	}
	if facs := browserText(t, octx, "header"); strings.Contains(facs, "Audit log") || strings.Contains(facs, "Calls") && !strings.Contains(facs, "Facilities") {
		t.Fatalf("officer navigation %q", facs)
	}
	shot(t, octx, dir, "08-officer-blocked")
	phoneShot(t, octx, dir, "09-officer-blocks-phone")
}
