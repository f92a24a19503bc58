package main

import (
	"net/url"
	"strings"
	"testing"

	"parley.dev/parley"
)

// TestPINClashSaysOnlyNotAvailable: a PIN another inmate of the facility holds is refused
// on inmate add and PIN reset, on the CLI, the API and the page form, with only "that PIN
// is not available": no inmate id, no name, no "another inmate". The same PIN in another
// facility is accepted (PINs are unique per facility), and nothing refused is written.
func TestPINClashSaysOnlyNotAvailable(t *testing.T) {
	const taken = "73915486"
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("facility", "add", "--id", "city", "--name", "City Jail", "--type", "jail", "--adp", "90")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", taken)
	c.ok("inmate", "add", "--facility", "cnty", "--id", "B2002", "--name", "Rowan Pike", "--pin", "48213579")
	hides := func(where, msg string) {
		t.Helper()
		for _, leak := range []string{"A1001", "Marisol", "Quintanilla", "another inmate", taken} {
			if strings.Contains(msg, leak) {
				t.Errorf("%s: %q reveals %q", where, msg, leak)
			}
		}
	}
	for _, args := range [][]string{
		{"inmate", "add", "--facility", "cnty", "--id", "C3003", "--name", "Theodore Blackwood", "--pin", taken},
		{"inmate", "pin", "--facility", "cnty", "--id", "B2002", "--pin", taken},
	} {
		c.fail(1, parley.PINUnavailable, args...)
		_, errOut, _ := c.run(args...)
		hides("parley "+args[0]+" "+args[1], errOut)
	}
	c.ok("inmate", "add", "--facility", "city", "--id", "D4004", "--name", "Theodore Blackwood", "--pin", taken)

	secret := addStaff(t, c, "Ada Admin", "admin", "--facility", "cnty", matrixPassword)
	srv := startWeb(t, c)
	adm := signIn(t, c, srv.base, "Ada Admin", matrixPassword, secret)
	for _, r := range []struct {
		path string
		body map[string]string
	}{
		{"/inmates", map[string]string{"inmate": "C3003", "name": "Theodore Blackwood", "pin": taken}},
		{"/inmates/B2002/pin", map[string]string{"pin": taken}},
	} {
		status, b := adm.do("POST", "/api/v1/facilities/cnty"+r.path, r.body)
		if status != 409 || !strings.Contains(string(b), parley.PINUnavailable) {
			t.Errorf("POST %s: %d %s, want 409 with %q", r.path, status, b, parley.PINUnavailable)
		}
		hides("POST "+r.path, string(b))
		form := url.Values{}
		for k, v := range r.body {
			form.Set(k, v)
		}
		status, page := adm.postForm("/facilities/cnty"+r.path, form)
		_, alert, _ := strings.Cut(page, `id="error">`)
		alert, _, _ = strings.Cut(alert, "</p>")
		if status != 409 || alert != "that PIN is not available; choose another" {
			t.Errorf("form %s: %d with alert %q, want 409 with %q", r.path, status, alert, parley.PINUnavailable)
		}
	}
	if n := c.sqlCount("inmates"); n != 3 {
		t.Fatalf("%d inmates, want 3 (nothing refused stored)", n)
	}
	c.ok("audit", "verify")
}
