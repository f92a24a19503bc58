package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestPortalLanguage: the portals' sign-in and sign-up pages are English by default, Spanish
// for a browser that asks for it (Accept-Language) and after ?lang=es, which a cookie keeps
// for the next pages until ?lang=en; staff pages stay English.
func TestPortalLanguage(t *testing.T) {
	c := newCLI(t)
	srv := startWeb(t, c)
	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar}
	get := func(path, acceptLang string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.base+path, nil)
		if acceptLang != "" {
			req.Header.Set("Accept-Language", acceptLang)
		}
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		return string(b)
	}
	if p := get("/family/signin", ""); !strings.Contains(p, `lang="en"`) || !strings.Contains(p, "Families: sign in") {
		t.Fatalf("default: %.300s", p)
	}
	if p := get("/attorney/signup", "es-MX,es;q=0.9"); !strings.Contains(p, `lang="es"`) || !strings.Contains(p, "Cuenta de abogado: registrarse") || !strings.Contains(p, "Número de colegiado") {
		t.Fatalf("Accept-Language es: %.600s", p)
	}
	if p := get("/family/signup?lang=es", "en-US"); !strings.Contains(p, "Cuenta familiar: registrarse") {
		t.Fatalf("?lang=es: %.300s", p)
	}
	if p := get("/attorney/signin", "en-US"); !strings.Contains(p, "Abogados: iniciar sesión") || !strings.Contains(p, `id="lang-switch"`) {
		t.Fatalf("the cookie did not keep Spanish: %.300s", p)
	}
	if p := get("/signin", ""); !strings.Contains(p, `lang="en"`) || strings.Contains(p, "Iniciar") {
		t.Fatalf("a staff page turned Spanish")
	}
	if p := get("/attorney/signin?lang=en", "es"); !strings.Contains(p, "Attorneys: sign in") {
		t.Fatalf("?lang=en: %.300s", p)
	}
	if p := get("/attorney/signin?lang=xx", "es"); !strings.Contains(p, "Attorneys: sign in") {
		t.Fatalf("an unknown ?lang changed the kept choice: %.300s", p)
	}
}

// TestBrowserPortalInSpanish: in Chromium the attorney sign-up page switches to Spanish with
// its language link and stays Spanish on the next pages; a family signs up and sees its
// account page and menu in Spanish.
func TestBrowserPortalInSpanish(t *testing.T) {
	ctx := newBrowser(t)
	dir := artifactDir(t)
	c := newCLI(t)
	srv := startWeb(t, c)
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.base+"/attorney/signup"),
		chromedp.WaitVisible(chromedp.CSS("#signup-form")),
		chromedp.Click(chromedp.CSS("#lang-switch")),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="es"] #signup-form`)),
	)
	if err != nil {
		t.Fatalf("switch to Spanish: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil || !strings.Contains(text, "Cuenta de abogado") || !strings.Contains(text, "Nombre completo") || strings.Contains(text, "Full name") {
		t.Fatalf("Spanish sign-up page %q, %v", text, err)
	}
	shot(t, ctx, dir, "01-attorney-signup-es")
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a[href="/attorney/signin"]`)),
		chromedp.WaitVisible(chromedp.CSS("#signin-form")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#signin"))); err != nil || b != "Iniciar sesión" {
		t.Fatalf("the next page: button %q, %v", b, err)
	}
	shot(t, ctx, dir, "02-attorney-signin-es")
	// A family signs up in Spanish (the cookie keeps it) and its account page is Spanish.
	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.base+"/family/signup"),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="es"] #signup-form`)),
		chromedp.SendKeys(chromedp.CSS("#name"), "familia@example.org"),
		chromedp.SendKeys(chromedp.CSS("#password"), publicPassword),
		chromedp.SendKeys(chromedp.CSS("#password2"), publicPassword),
		chromedp.Click(chromedp.CSS("#signup")),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="es"] #signin-form`)),
		chromedp.SendKeys(chromedp.CSS("#name"), "familia@example.org"),
		chromedp.SendKeys(chromedp.CSS("#password"), publicPassword),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#rates")),
	)
	if err != nil {
		t.Fatalf("family sign-up in Spanish: %v", err)
	}
	text, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil || !strings.Contains(text, "Su cuenta familiar") || !strings.Contains(text, "Tarifas") || strings.Contains(text, "Your family account") {
		t.Fatalf("family page in Spanish %q, %v", text, err)
	}
	if nav, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#signout"))); err != nil || nav != "Cerrar sesión" {
		t.Fatalf("menu %q, %v", nav, err)
	}
	shot(t, ctx, dir, "03-family-home-es")
}
