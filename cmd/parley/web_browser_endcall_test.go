package main

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"parley.dev/parley"
	"parley.dev/parley/sip/siptest"
)

// TestBrowserOfficerEndsCallWithReason: with a real call in progress (SIP phone and trunk),
// an officer in Chromium clicks "End call…" on the live page and gets a confirmation page,
// not a hang-up; "Cancel" keeps the call; a post without a reason is refused on that page
// and the call goes on; with a reason both legs are hung up and the audit event carries the
// reason and the browser officer as its actor.
func TestBrowserOfficerEndsCallWithReason(t *testing.T) {
	ctx := newBrowser(t)
	dir := artifactDir(t)
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", sipPIN)
	c.ok("facility", "rules", "--facility", "cnty", "--hours", "daily 00:00-24:00", "--max-call", "15m")
	c.ok("contact", "allow", "--facility", "cnty", "--inmate", "A1001", "--number", sipDialed)
	c.ok("facility", "gateway", "--facility", "cnty", "--add", "127.0.0.1")
	const pw = "officer password 1"
	secret := addStaff(t, c, "Otto Officer", "officer", "--facility", "cnty", pw)
	// A second officer for the HTTP checks: one TOTP code signs in only once.
	apiSecret := addStaff(t, c, "Olga Officer", "officer", "--facility", "cnty", pw)
	trunk, err := siptest.NewTrunk(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(trunk.Close)
	srv := startServe(t, c, trunk.URI())
	off := signIn(t, c, srv.http, "Olga Officer", pw, apiSecret)
	p := dialIn(t, srv, sipPIN)
	var tc *siptest.TrunkCall
	select {
	case tc = <-trunk.Calls:
	case <-time.After(sipGuard):
		t.Fatalf("no call reached the trunk:\n%s", srv.stderr.String())
	}
	t.Cleanup(tc.Media.Close)
	sipWaitFor(t, "the announcement", func() bool { return siptest.LoudFrames(tc.Media.Received()) >= 5 })
	tc.Media.SendDigits("1")
	var live struct{ Calls []parley.LiveCall }
	sipWaitFor(t, "the call to show as connected", func() bool {
		_, b := off.do("GET", "/api/v1/facilities/cnty/live", nil)
		return json.Unmarshal(b, &live) == nil && len(live.Calls) == 1 && live.Calls[0].State == "connected"
	})
	id := live.Calls[0].ID
	stillLive := func(what string) {
		t.Helper()
		_, b := off.do("GET", "/api/v1/facilities/cnty/live", nil)
		if json.Unmarshal(b, &live) != nil || len(live.Calls) != 1 {
			t.Fatalf("%s: the call is no longer live: %s", what, b)
		}
	}

	browserSignIn(t, ctx, c, srv.http, "Otto Officer", pw, secret)
	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.http+"/facilities/cnty/live"),
		chromedp.WaitVisible(chromedp.CSS("#live a.end-call")),
	)
	if err != nil {
		t.Fatalf("live page: %v", err)
	}
	shot(t, ctx, dir, "01-live")
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#live a.end-call")),
		chromedp.WaitVisible(chromedp.CSS("#end-call-form")),
	)
	if err != nil {
		t.Fatalf("end call link: %v", err)
	}
	shot(t, ctx, dir, "02-confirm")
	stillLive("on the confirmation page")
	required, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('reason').required`))
	if err != nil || !required {
		t.Fatalf("the reason field is not required: %v", err)
	}
	// Submitting the empty form: the browser refuses it (required), nothing is posted.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#end-call-confirm"))); err != nil {
		t.Fatal(err)
	}
	if valid, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('end-call-form').checkValidity()`)); valid {
		t.Fatal("the empty confirmation form is valid")
	}
	stillLive("after an empty submit")
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#end-call-cancel")),
		chromedp.WaitVisible(chromedp.CSS("#live a.end-call")),
	)
	if err != nil {
		t.Fatalf("cancel: %v", err)
	}
	stillLive("after cancel")
	// A post without a reason (a client that skips the browser's check) is refused on the
	// confirmation page, with the error.
	status, page := off.postForm("/facilities/cnty/live/"+id+"/end", url.Values{})
	if status != http.StatusBadRequest || !strings.Contains(page, `id="error"`) || !strings.Contains(page, `id="end-call-form"`) {
		t.Fatalf("post without a reason: %d %.600s", status, page)
	}
	stillLive("after a post without a reason")

	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#live a.end-call")),
		chromedp.WaitVisible(chromedp.CSS("#end-call-form")),
		chromedp.SendKeys(chromedp.CSS("#reason"), "threats on the line"),
		chromedp.Click(chromedp.CSS("#end-call-confirm")),
		chromedp.WaitVisible(chromedp.CSS("#message")),
	)
	if err != nil {
		t.Fatalf("confirm: %v", err)
	}
	msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#message")))
	if err != nil || !strings.Contains(msg, id) || !strings.Contains(msg, "ended") {
		t.Fatalf("message %q, %v", msg, err)
	}
	shot(t, ctx, dir, "03-ended")
	sipWaitClosed(t, "the inmate leg to end", p.Ended())
	sipWaitClosed(t, "the trunk leg to end", tc.Ended())
	srv.stop(t)

	var events []parley.AuditEvent
	if err := json.Unmarshal([]byte(c.ok("audit", "list", "--limit", "1000", "--json")), &events); err != nil {
		t.Fatal(err)
	}
	ends := 0
	for _, e := range events {
		if e.Action == "call.end" && e.Object == "call:"+id {
			ends++
			if e.Actor == "user:"+off.userID || e.Outcome != parley.OutcomeOK || !strings.Contains(e.Detail, "threats on the line") {
				t.Errorf("call.end event %+v", e)
			}
		}
	}
	if ends != 1 {
		t.Fatalf("%d call.end events, want 1", ends)
	}
}
