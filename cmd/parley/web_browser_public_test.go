package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// browserPublicSignUp signs up and in on a public side's pages.
func browserPublicSignUp(t *testing.T, ctx context.Context, base, side, name string, extra map[string]string) {
	t.Helper()
	actions := []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + "/" + side),
		chromedp.WaitVisible(chromedp.CSS("#signin-form")),
		chromedp.Click(chromedp.CSS(`a[href="/` + side + `/signup"]`)),
		chromedp.WaitVisible(chromedp.CSS("#signup-form")),
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.SendKeys(chromedp.CSS("#password"), publicPassword),
		chromedp.SendKeys(chromedp.CSS("#password2"), publicPassword),
	}
	for _, id := range []string{"full_name", "bar_number", "state"} {
		if v, ok := extra[id]; ok {
			actions = append(actions, chromedp.SendKeys(chromedp.CSS("#"+id), v))
		}
	}
	actions = append(actions,
		chromedp.Click(chromedp.CSS("#signup")),
		chromedp.WaitVisible(chromedp.CSS("#message")),
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.SendKeys(chromedp.CSS("#password"), publicPassword),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#signout")),
	)
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s sign-up in the browser: %v", side, err)
	}
}

// TestBrowserAttorneyRegistersNumber: in headless Chromium an attorney signs up (pending),
// an admin verifies the bar number by the CLI, the attorney registers the office number
// with the code the call delivered, and the recording imported earlier to that number is
// destroyed at once: the vault refuses it, and the page says no stored recording exists.
func TestBrowserAttorneyRegistersNumber(t *testing.T) {
	ctx := newBrowser(t)
	dir := artifactDir(t)
	c := newCLI(t)
	box := newCodeBox()
	c.sender = box
	seed(t, c)
	const office = "+14155552671"
	rec := searchNumber(t, c, office)[0]
	if rec.Recording != "stored" {
		t.Fatalf("the imported call's recording is %s", rec.Recording)
	}
	srv := startWeb(t, c)

	browserPublicSignUp(t, ctx, srv.base, "attorney", "ada@law.example",
		map[string]string{"full_name": "Ada Okonkwo-Reyes", "bar_number": "NY-4471", "state": "NY"})
	if s := browserText(t, ctx, "#attorney-status"); !strings.Contains(s, "pending") {
		t.Fatalf("status %q", s)
	}
	shot(t, ctx, dir, "01-attorney-pending")

	var list []attorneyView
	if err := json.Unmarshal([]byte(c.ok("attorney", "list", "--json")), &list); err != nil || len(list) != 1 {
		t.Fatalf("attorney list: %v", err)
	}
	c.ok("attorney", "verify", "--id", list[0].ID)

	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.base+"/attorney"),
		chromedp.WaitVisible(chromedp.CSS("#add-number")),
		chromedp.SendKeys(chromedp.CSS("#number"), "(415) 555-2671"),
		chromedp.Click(chromedp.CSS("#add")),
		chromedp.WaitVisible(chromedp.CSS(".code-form")),
	)
	if err != nil {
		t.Fatalf("add number: %v", err)
	}
	shot(t, ctx, dir, "02-attorney-code")
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(".code-form .code"), box.code(t, office)),
		chromedp.Submit(chromedp.CSS(".code-form .code")),
		chromedp.WaitVisible(chromedp.CSS(".recording-state")),
	)
	if err != nil {
		shot(t, context.WithoutCancel(ctx), dir, "03-attorney-failed")
		t.Fatalf("confirm code: %v", err)
	}
	page := browserText(t, ctx, "main")
	if !strings.Contains(page, "No stored recording exists for this number.") || !strings.Contains(page, "1 earlier recording(s) destroyed") ||
		!strings.Contains(page, "registered as privileged") {
		t.Fatalf("attorney page after registration:\n%s", page)
	}
	shot(t, ctx, dir, "03-attorney-registered")
	phoneShot(t, ctx, dir, "04-attorney-registered-phone")

	// The store and the vault agree: the call is privileged, its recording destroyed.
	if call := searchNumber(t, c, office)[0]; call.Recording != "destroyed" || !call.Privileged {
		t.Fatalf("call after registration: %+v", call)
	}
	c.fail(1, "destroyed", "recordings", "get", rec.RecordingID, "--out", filepath.Join(t.TempDir(), "x.wav"), "--purpose", "check")
}

// TestBrowserFamilyBlocksCalls: in headless Chromium a family member signs up, verifies
// the number with the code the call delivered, sees the rates and the cap with its source
// and "no fees", deposits (simulated, said plainly) and blocks calls from every facility;
// a policy check by the CLI then refuses a call to the number.
func TestBrowserFamilyBlocksCalls(t *testing.T) {
	ctx := newBrowser(t)
	dir := artifactDir(t)
	c := newCLI(t)
	box := newCodeBox()
	c.sender = box
	seed(t, c)
	c.ok("rates", "set", "--facility", "cnty", "--audio", "0.10")
	c.ok("facility", "rules", "--facility", "cnty", "--hours", "daily 08:00-22:00", "--max-call", "15m")
	const home, pin = "+12125550199", "73915486"
	c.ok("contact", "allow", "--facility", "cnty", "--inmate", "A1001", "--number", home)
	if d := check(t, c, "--pin", pin, "--number", home); !d.Allow {
		t.Fatalf("call before the block: %+v", d)
	}
	srv := startWeb(t, c)

	browserPublicSignUp(t, ctx, srv.base, "family", "kin@example.org", nil)
	err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS("#number-form")),
		chromedp.SendKeys(chromedp.CSS("#number"), "(212) 555-0199"),
		chromedp.Click(chromedp.CSS("#add-number")),
		chromedp.WaitVisible(chromedp.CSS("#code-form")),
	)
	if err != nil {
		t.Fatalf("add number: %v", err)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#code"), box.code(t, home)),
		chromedp.Click(chromedp.CSS("#confirm")),
		chromedp.WaitVisible(chromedp.CSS("#deposit-form")),
	)
	if err != nil {
		t.Fatalf("confirm code: %v", err)
	}
	rates := browserText(t, ctx, "#rates")
	if !strings.Contains(rates, "County Jail") || !strings.Contains(rates, "$0.10") || !strings.Contains(rates, "FCC") || !strings.Contains(rates, "No fees") {
		t.Fatalf("rates table:\n%s", rates)
	}
	shot(t, ctx, dir, "01-family-verified")

	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#amount"), "25.00"),
		chromedp.Click(chromedp.CSS("#deposit")),
		chromedp.WaitVisible(chromedp.CSS("#statement-lines")), // the statement has lines once money moved
	)
	if err != nil {
		t.Fatalf("deposit: %v", err)
	}
	if b := browserText(t, ctx, "#balance"); !strings.Contains(b, "$25.00") {
		t.Fatalf("balance %q", b)
	}
	if m := browserText(t, ctx, "#message"); !strings.Contains(m, "simulated") {
		t.Fatalf("deposit message %q", m)
	}
	if calls := browserText(t, ctx, "#calls"); !strings.Contains(calls, "County Jail") || strings.Contains(calls, "Marisol") {
		t.Fatalf("calls:\n%s", calls)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#block")),
		chromedp.WaitVisible(chromedp.CSS("ul#blocks")),
	)
	if err != nil {
		t.Fatalf("block: %v", err)
	}
	if b := browserText(t, ctx, "#blocks"); !strings.Contains(b, "every facility") {
		t.Fatalf("blocks %q", b)
	}
	shot(t, ctx, dir, "02-family-blocked")
	phoneShot(t, ctx, dir, "03-family-blocked-phone")
	if d := check(t, c, "--pin", pin, "--number", home); d.Allow || d.Reason != "blocked_by_called_party" {
		t.Fatalf("call after the block: %+v", d)
	}
}
