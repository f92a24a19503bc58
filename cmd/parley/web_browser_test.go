package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"parley.dev/parley/auth"
)

// browserGuard bounds the whole browser session; a guard, never an assertion.
const browserGuard = 3 * time.Minute

// chromium returns the path of the system's Chromium. Without one the test is skipped,
// except under CI=true where it fails: CI must install it (apt-get install -y chromium).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found; CI must run: apt-get install -y chromium")
	}
	t.Skip("chromium not found (apt-get install -y chromium)")
	return ""
}

// artifactDir is where screenshots go: $PARLEY_ARTIFACTS, or a fresh directory under the
// system temp dir (kept after the test, and printed).
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PARLEY_ARTIFACTS")
	if dir == "" {
		d, err := os.MkdirTemp("", "parley-screenshots-")
		if err != nil {
			t.Fatal(err)
		}
		dir = d
	}
	dir = filepath.Join(dir, t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// newBrowser starts headless Chromium with a fresh profile.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelGuard := context.WithTimeout(ctx, browserGuard)
	t.Cleanup(func() { cancelGuard(); cancelCtx(); cancelAlloc() })
	return ctx
}

// shot saves a full-page PNG screenshot.
func shot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// browserSignIn fills the sign-in page with name, password and the current TOTP code.
func browserSignIn(t *testing.T, ctx context.Context, c *cli, base, name, password, secret string) {
	t.Helper()
	code, err := auth.Code(secret, c.now)
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/signin"),
		chromedp.WaitVisible(chromedp.CSS("#signin-form")),
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.SendKeys(chromedp.CSS("#code"), code),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#signout")),
	)
	if err != nil {
		t.Fatalf("sign in %s in the browser: %v", name, err)
	}
}

// TestBrowserInvestigatorPlaysRecording: in real headless Chromium, an investigator signs
// in with password and TOTP, searches calls with a case and a purpose, opens a call and
// plays its recording (the audio element decodes audio streamed from the vault), and an
// auditor then sees that playback in the audit log, verified.
func TestBrowserInvestigatorPlaysRecording(t *testing.T) {
	ctx := newBrowser(t)
	dir := artifactDir(t)
	c := newCLI(t)
	seed(t, c)
	const pw = "browser password 1"
	invSecret := addStaff(t, c, "Ines Investigator", "investigator", "--facility", "cnty", pw)
	audSecret := addStaff(t, c, "Aldo Auditor", "auditor", "--facility", "cnty", pw)
	srv := startWeb(t, c)

	err := chromedp.Do(ctx, chromedp.Navigate(srv.base+"/calls"), chromedp.WaitVisible(chromedp.CSS("#signin-form")))
	if err != nil {
		t.Fatalf("an anonymous visit to /calls did not land on sign-in: %v", err)
	}
	shot(t, ctx, dir, "01-signin")
	browserSignIn(t, ctx, c, srv.base, "Ines Investigator", pw, invSecret)
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a[href="/calls"]`)),
		chromedp.WaitVisible(chromedp.CSS("#search-form")),
		chromedp.SendKeys(chromedp.CSS("#facility"), "cnty"),
		chromedp.SendKeys(chromedp.CSS("#case"), "2026-114"),
		chromedp.SendKeys(chromedp.CSS("#purpose"), "case review"),
		chromedp.Click(chromedp.CSS("#search")),
		chromedp.WaitVisible(chromedp.CSS("#results")),
	)
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	results, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#results")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(results, "+14155552671") || !strings.Contains(results, "Marisol Quintanilla") || strings.Contains(results, "+13125557788") {
		t.Fatalf("results %q: want the ordinary calls and never the privileged one", results)
	}
	shot(t, ctx, dir, "02-search-results")
	err = chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
	)
	if err != nil {
		t.Fatal(err)
	}
	shot(t, ctx, dir, "03-search-results-phone")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}

	openCtx, cancelOpen := context.WithTimeout(ctx, 30*time.Second)
	defer cancelOpen()
	err = chromedp.Do(openCtx,
		chromedp.Click(chromedp.CSS("#results a.call")),
		chromedp.WaitVisible(chromedp.CSS("#playback")),
	)
	if err != nil {
		shot(t, context.WithoutCancel(ctx), dir, "04-call-failed")
		t.Fatalf("open call: %v", err)
	}
	// Decodable audio: enough data for the current position and a known duration.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const a = document.getElementById('playback'); return a.readyState >= 2 && a.duration > 0; })()`,
		chromedp.WithPollingTimeout(browserGuard/2))); err != nil {
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`(() => { const a = document.getElementById('playback'); return {rs: a.readyState, ns: a.networkState, err: a.error && a.error.code, src: a.currentSrc}; })()`))
		t.Fatalf("the audio element never got decodable audio: %v (%v)", err, state)
	}
	media, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`(() => { const a = document.getElementById('playback'); return {readyState: a.readyState, duration: a.duration, error: a.error ? a.error.code : 0}; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if rs, _ := media["readyState"].(float64); rs < 2 {
		t.Fatalf("audio readyState %v", media)
	}
	if d, _ := media["duration"].(float64); d < 1.9 || d > 2.1 {
		t.Fatalf("audio duration %v s, want the 2 s of the imported recording", media["duration"])
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`document.getElementById('playback').play()`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("play: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('playback').currentTime > 0.2`, chromedp.WithPollingTimeout(browserGuard/2))); err != nil {
		t.Fatalf("the audio did not play: %v", err)
	}
	shot(t, ctx, dir, "04-call-playback")
	t.Logf("audio element: %v", media)

	// The auditor sees the playback, with its purpose and case, in a verified log.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#signout")), chromedp.WaitVisible(chromedp.CSS("#signin-form"))); err != nil {
		t.Fatalf("sign out: %v", err)
	}
	browserSignIn(t, ctx, c, srv.base, "Aldo Auditor", pw, audSecret)
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a[href="/audit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#events")),
	)
	if err != nil {
		t.Fatalf("audit page: %v", err)
	}
	events, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#events")))
	if err != nil {
		t.Fatal(err)
	}
	verify, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#verify")))
	shot(t, ctx, dir, "05-audit-log")
	if !strings.Contains(verify, "Verified") {
		t.Errorf("audit verification: %q", verify)
	}
	var played bool
	for _, line := range strings.Split(events, "\n") {
		// The actor is shown by name (resolved for the auditor; the log holds the id).
		if strings.Contains(line, "recording.read") && strings.Contains(line, "case review") && strings.Contains(line, "2026-114") &&
			strings.Contains(line, "user:") && strings.Contains(line, "Ines Investigator") {
			played = true
		}
	}
	if !played {
		t.Errorf("the audit log page does not show the playback:\n%s", events)
	}
	for _, secret := range []string{"Marisol", "4155552671"} { // staff names are shown to the auditor, on purpose
		if strings.Contains(events, secret) {
			t.Errorf("the audit log shows personal data %q", secret)
		}
	}
}
