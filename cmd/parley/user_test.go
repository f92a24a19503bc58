package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"parley.dev/parley/auth"
)

// runStdin runs one command with the given stdin.
func (c *cli) runStdin(stdin string, args ...string) (string, string, int) {
	c.t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(stdin),
		Getenv: func(k string) string { return c.env[k] }, Now: func() time.Time { return c.now }}
	code := m.Run(context.Background(), append(append([]string{}, args...), "--data", c.data, "--keys", c.keys))
	c.logs.Write(errb.Bytes())
	return out.String(), errb.String(), code
}

var (
	enrolSecretRE = regexp.MustCompile(`enrolment secret \(shown once\): (\S+)`)
	totpSecretRE  = regexp.MustCompile(`secret: (\S+)`)
)

// addStaff creates and enrols an account through the CLI and returns its TOTP secret.
func addStaff(t *testing.T, c *cli, name, role, scopeFlag, scope, password string) string {
	t.Helper()
	out := c.ok("user", "add", "--name", name, "--role", role, scopeFlag, scope)
	m := enrolSecretRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("user add printed %q", out)
	}
	out, errOut, code := c.runStdin(password+"\n", "user", "enrol", "--name", name, "--secret", m[1])
	if code != 0 {
		t.Fatalf("user enrol: %s", errOut)
	}
	s := totpSecretRE.FindStringSubmatch(out)
	if s == nil || !strings.Contains(out, "algorithm=SHA256") {
		t.Fatalf("user enrol printed %q", out)
	}
	return s[1]
}

// TestUserCommands: add, enrol (secret single-use), reset, agencies and grants, with bad
// input refused and no name in the logs or the audit log.
func TestUserCommands(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("facility", "add", "--id", "city", "--name", "City Jail", "--type", "jail", "--adp", "90")
	c.ok("agency", "add", "--id", "county", "--name", "County Sheriff")
	c.ok("agency", "facility", "--agency", "county", "--facility", "cnty")
	c.fail(1, "already belongs", "agency", "facility", "--agency", "county", "--facility", "cnty")
	secret := addStaff(t, c, "Ines Investigator", "investigator", "--facility", "city", "long enough password")
	if _, err := auth.Code(secret, c.now); err != nil {
		t.Fatal(err)
	}
	addStaff(t, c, "Ada Admin", "admin", "--agency", "county", "long enough password")
	c.fail(1, "role", "user", "add", "--name", "X", "--role", "warden", "--facility", "cnty")
	c.fail(1, "exactly one", "user", "add", "--name", "X", "--role", "admin", "--facility", "cnty", "--agency", "county")
	c.fail(1, "not found", "user", "add", "--name", "X", "--role", "admin", "--agency", "nowhere")
	c.fail(1, "exists", "user", "add", "--name", "Ada Admin", "--role", "admin", "--agency", "county")
	c.fail(1, "characters", "user", "add", "--name", "Evil\x1b[31m", "--role", "admin", "--agency", "county")
	if _, errOut, code := c.runStdin("short\n", "user", "enrol", "--name", "Ada Admin", "--secret", "X"); code != 1 || !strings.Contains(errOut, "password must be") {
		t.Fatalf("short password: %d %s", code, errOut)
	}
	// Grants: only an admin whose scope holds the facility.
	c.ok("grant", "add", "--by", "Ada Admin", "--user", "Ines Investigator", "--facility", "cnty", "--hours", "24", "--reason", "case 2026-114")
	c.fail(1, "only an admin", "grant", "add", "--by", "Ada Admin", "--user", "Ines Investigator", "--facility", "city", "--hours", "24", "--reason", "r")
	c.fail(1, "only an admin", "grant", "add", "--by", "Ines Investigator", "--user", "Ada Admin", "--facility", "city", "--hours", "24", "--reason", "r")
	c.fail(2, "--hours", "grant", "add", "--by", "Ada Admin", "--user", "Ines Investigator", "--facility", "cnty", "--hours", "0", "--reason", "r")
	list := c.ok("user", "list", "--json")
	if !strings.Contains(list, `"name": "Ada Admin"`) || !strings.Contains(list, `"agency_id": "county"`) ||
		strings.Contains(list, "argon2") || strings.Contains(list, secret) {
		t.Fatalf("user list = %s", list)
	}
	out := c.ok("user", "reset", "--name", "Ines Investigator")
	if !enrolSecretRE.MatchString(out) {
		t.Fatalf("reset printed %q", out)
	}
	if list := c.ok("user", "list"); !strings.Contains(list, "Ines Investigator") || !strings.Contains(list, "false") {
		t.Fatalf("after reset the account is still enrolled: %s", list)
	}
	raw := c.ok("audit", "list", "--limit", "1000", "--json")
	for _, s := range []string{"Ines", "Ada Admin", "Investigator\""} {
		if strings.Contains(raw, s) || strings.Contains(c.logs.String(), s) {
			t.Errorf("audit log or logs contain the name %q", s)
		}
	}
	for _, a := range []string{"user.add", "user.enrol", "user.reset", "grant.add", "agency.add"} {
		if !strings.Contains(raw, `"action": "`+a+`"`) {
			t.Errorf("no %s event", a)
		}
	}
}
