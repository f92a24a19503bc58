package main

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestConfigCheck: the effective settings with their sources in the documented order
// (flag > env > file > default), secrets redacted.
func TestConfigCheck(t *testing.T) {
	c := newCLI(t)
	file := filepath.Join(t.TempDir(), "parley.toml")
	writeFile(t, file, `# a comment
http = "127.0.0.1:8181"
sip = "127.0.0.1:5070"
trunk = "sip:192.0.2.1:5060"
drain = "30s"
rtp-timeout = "20s"
metrics-token = "file-token-secret"
db = "postgres://parley:pg-password@db.example.org/parley"
reads-per-minute = 30
behind-tls = true
`)
	c.env["PARLEY_RTP_TIMEOUT"] = "25s"
	c.env["PARLEY_LOG_LEVEL"] = "warn"
	out := c.ok("config", "check", "--config", file, "--drain", "1m")
	for _, want := range []string{
		`http             = "127.0.0.1:8181"         # file ` + file,
		`drain            = "1m0s"                   # flag`,
		`rtp-timeout      = "25s"                    # env PARLEY_RTP_TIMEOUT`,
		`log-level        = "warn"                   # env PARLEY_LOG_LEVEL`,
		`reads-per-minute = "30"                     # file`,
		`behind-tls       = "true"                   # file`,
		`retention-every  = "1h0m0s"                 # default`,
		`metrics-token    = "(redacted)"`,
		`db               = "postgres://parley:xxxxx@db.example.org/parley"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("config check lacks %q:\n%s", want, out)
		}
	}
	for dsn, want := range map[string]string{
		"postgres://parley@db.example.org/parley?sslmode=require":      "postgres://parley@db.example.org/parley?sslmode=require",
		"postgres://parley@db.example.org/parley?password=pg-password": "(redacted)",
		"host=db.example.org user=parley password=pg-password":         "(redacted)",
		"sqlite:/var/lib/parley/parley.db":                             "sqlite:/var/lib/parley/parley.db",
	} {
		if got := redactDSN(dsn); got != want {
			t.Errorf("redactDSN(%q) = %q, want %q", dsn, got, want)
		}
	}
	for _, secret := range []string{"file-token-secret", "pg-password"} {
		if strings.Contains(out, secret) {
			t.Errorf("config check shows the secret %q", secret)
		}
	}
	// PARLEY_CONFIG names the file when --config does not.
	c.env["PARLEY_CONFIG"] = file
	if out := c.ok("config", "check"); !strings.Contains(out, `config           = "`+file+`" # env PARLEY_CONFIG`) ||
		!strings.Contains(out, `"127.0.0.1:8181"`) {
		t.Errorf("config check with PARLEY_CONFIG:\n%s", out)
	}
}

// TestConfigCheckBadInput: unknown keys are errors with their line, bad values name their
// key or variable, and none of it prints the file's text.
func TestConfigCheckBadInput(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	bad := func(name, text string) string {
		p := filepath.Join(dir, name)
		writeFile(t, p, text)
		return p
	}
	unknown := bad("unknown.toml", "http = \"127.0.0.1:8181\"\n\nmetrics-tokn = \"s3cret-value\"\n")
	c.fail(2, unknown+`:3: unknown key "metrics-tokn"`, "config", "check", "--config", unknown)
	_, stderr, _ := c.run("config", "check", "--config", unknown)
	if strings.Contains(stderr, "s3cret-value") {
		t.Errorf("the error shows the file's text: %s", stderr)
	}
	table := bad("table.toml", "[sip]\naddr = \"127.0.0.1:5060\"\n")
	c.fail(2, `key "sip"`, "config", "check", "--config", table)
	drain := bad("drain.toml", "drain = \"soon\"\n")
	delete(c.env, "PARLEY_DRAIN") // the variable would beat the file
	c.fail(2, `key "drain": bad value`, "config", "check", "--config", drain)
	level := bad("level.toml", "log-level = \"loud\"\n")
	delete(c.env, "PARLEY_LOG_LEVEL") // the variable would beat the file
	c.fail(2, `key "log-level": bad value: must be one of debug, info, warn, error`, "config", "check", "--config", level)
	syntax := bad("syntax.toml", "http = \n")
	c.fail(2, syntax+":1:", "config", "check", "--config", syntax)
	c.fail(2, "config file:", "config", "check", "--config", filepath.Join(dir, "missing.toml"))
	c.env["PARLEY_DRAIN"] = "forever"
	c.fail(2, "PARLEY_DRAIN: bad value", "config", "check")
	delete(c.env, "PARLEY_DRAIN")
	c.env["PARLEY_READS_PER_MINUTE"] = "0"
	c.fail(2, "PARLEY_READS_PER_MINUTE must be a positive number", "config", "check")
	delete(c.env, "PARLEY_READS_PER_MINUTE")
	c.fail(2, "--metrics must be HOST:PORT", "config", "check", "--metrics", "9090")
	c.fail(2, "--drain must not be negative", "config", "check", "--drain", "-1s")
	c.fail(2, `invalid value "xml" for flag -log-format: must be one of text, json`, "serve", "--log-format", "xml")
}

// TestServeHelpListsEveryVariable: every PARLEY_ variable the command's code names is in
// serve --help, and each there is a flag's.
func TestServeHelpListsEveryVariable(t *testing.T) {
	c := newCLI(t)
	help := c.ok("serve", "--help")
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`"(PARLEY_[A-Z0-9_]+)"`)
	seen := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			seen[m[1]] = true
		}
	}
	if len(seen) < 5 {
		t.Fatalf("found only %v in the sources", seen)
	}
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !regexp.MustCompile(`(?m)^  ` + n + ` +--`).MatchString(help) {
			t.Errorf("serve --help does not list %s", n)
		}
	}
	for _, n := range []string{"PARLEY_CONFIG", "PARLEY_LOG_LEVEL", "PARLEY_LOG_FORMAT", "PARLEY_METRICS", "PARLEY_METRICS_TOKEN", "PARLEY_DRAIN"} {
		if !strings.Contains(help, n) {
			t.Errorf("serve --help does not list %s", n)
		}
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestConfigExampleFile: the example config file of the repository passes config check.
func TestConfigExampleFile(t *testing.T) {
	c := newCLI(t)
	out := c.ok("config", "check", "--config", filepath.Join("..", "..", "etc", "parley.toml"))
	if !strings.Contains(out, `metrics          = "127.0.0.1:9090"         # file`) {
		t.Errorf("config check of the example:\n%s", out)
	}
}

// TestCommandsReadConfigData: a command other than serve finds serve's data through the
// data, keys and db keys of the PARLEY_CONFIG file, below the environment and the flags.
func TestCommandsReadConfigData(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	file := filepath.Join(t.TempDir(), "parley.toml")
	writeFile(t, file, "data = "+strconv.Quote(c.data)+"\nkeys = "+strconv.Quote(c.keys)+"\nhttp = \"127.0.0.1:8181\"\n")
	var out strings.Builder
	m := &Main{Stdout: &out, Stderr: &out, Stdin: strings.NewReader(""), Now: time.Now,
		Getenv: func(k string) string { return map[string]string{"PARLEY_CONFIG": file, "USER": "tester"}[k] }}
	if code := m.Run(t.Context(), []string{"facility", "list"}); code != 0 || !strings.Contains(out.String(), "cnty") {
		t.Fatalf("facility list with PARLEY_CONFIG: %d %s", code, out.String())
	}
	writeFile(t, file, "data = [\n")
	out.Reset()
	if code := m.Run(t.Context(), []string{"facility", "list"}); code != 2 || !strings.Contains(out.String(), file+":") {
		t.Fatalf("facility list with a broken PARLEY_CONFIG: %d %s", code, out.String())
	}
}
