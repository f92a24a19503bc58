package main

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// freePort returns a TCP port that was free a moment ago (the WebAuthn origin must be known
// before serve starts).
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestBrowserSecurityKey: in headless Chromium with a virtual authenticator, a signed-in
// investigator adds a security key (which ends the session: a factor changed), then signs
// in with name, password and the key instead of a code; a wrong password never reaches
// the key.
func TestBrowserSecurityKey(t *testing.T) {
	ctx := newBrowser(t)
	dir := artifactDir(t)
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	port := strconv.Itoa(freePort(t))
	base := "http://localhost:" + port // WebAuthn needs a host name, not an IP address
	c.env["PARLEY_WEBAUTHN_ORIGIN"] = base
	const pw = "security key password"
	secret := addStaff(t, c, "Kira Keyholder", "investigator", "--facility", "cnty", pw)
	startWebAt(t, c, "127.0.0.1:"+port)

	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/signin")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	if _, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{Protocol: webauthn.AuthenticatorProtocolCtap2,
			Transport: webauthn.AuthenticatorTransportUsb, HasUserVerification: true, IsUserVerified: true,
			AutomaticPresenceSimulation: true}}); err != nil {
		t.Fatalf("add virtual authenticator: %v", err)
	}
	browserSignIn(t, ctx, c, base, "Kira Keyholder", pw, secret)
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a[href="/keys"]`)),
		chromedp.WaitVisible(chromedp.CSS("#add-key")),
		chromedp.Click(chromedp.CSS("#add-key")),
		chromedp.WaitVisible(chromedp.CSS("#signin-again")),
	)
	if err != nil {
		msg, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#key-status")))
		t.Fatalf("add key: %v (%q)", err, msg)
	}
	shot(t, ctx, dir, "01-key-added")
	// The session ended with the factor change.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/calls"), chromedp.WaitVisible(chromedp.CSS("#signin-form"))); err != nil {
		t.Fatalf("the session survived adding a key: %v", err)
	}
	// A wrong password is refused before the key is asked.
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#name"), "Kira Keyholder"),
		chromedp.SendKeys(chromedp.CSS("#password"), "not the password"),
		chromedp.Click(chromedp.CSS("#key-signin")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('key-status').textContent.startsWith('Refused')`, chromedp.WithPollingTimeout(browserGuard/4))); err != nil {
		t.Fatalf("a wrong password with a key was not refused: %v", err)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/signin"),
		chromedp.WaitVisible(chromedp.CSS("#signin-form")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Kira Keyholder"),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Click(chromedp.CSS("#key-signin")),
		chromedp.WaitVisible(chromedp.CSS("#signout")),
	)
	if err != nil {
		msg, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#key-status")))
		t.Fatalf("sign in with the key: %v (%q)", err, msg)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/keys"), chromedp.WaitVisible(chromedp.CSS("#key-count"))); err != nil {
		t.Fatal(err)
	}
	count, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#key-count")))
	shot(t, ctx, dir, "02-signed-in-with-key")
	if !strings.HasPrefix(count, "1 security key") {
		t.Errorf("keys page says %q", count)
	}
	raw := c.ok("audit", "list", "--limit", "1000", "--json")
	for _, want := range []string{`"user.key.add"`, `"password+security_key"`, `"bad_password"`} {
		if !strings.Contains(raw, want) {
			t.Errorf("no %s in the audit log", want)
		}
	}
}
