package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// runRaw runs Main with exactly args (no --data/--keys added) and returns stdout, stderr and
// the exit status.
func runRaw(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""),
		Getenv: func(string) string { return "" }, Now: time.Now}
	code := m.Run(context.Background(), args)
	return out.String(), errb.String(), code
}

// TestUsageErrorIsOneLine: every usage mistake exits 2 with exactly one line on stderr,
// "parley: reason", and no usage text after it.
func TestUsageErrorIsOneLine(t *testing.T) {
	c := newCLI(t)
	for _, tc := range []struct {
		want string
		args []string
	}{
		{"--id is required", []string{"facility", "add", "--name", "X", "--type", "jail", "--adp", "5"}},
		{"flag provided but not defined", []string{"facility", "add", "--bogus"}},
		{"invalid value", []string{"facility", "add", "--id", "x", "--name", "X", "--type", "jail", "--adp", "many"}},
		{"expected 0 argument(s)", []string{"facility", "list", "extra"}},
		{"RFC 3339", []string{"calls", "search", "--number", "+14155552671", "--from", "yesterday"}},
		{"unknown command", []string{"frobnicate"}},
		{"needs one of: add", []string{"facility"}},
	} {
		out, errOut, code := c.run(tc.args...)
		if code != 2 {
			t.Errorf("parley %s: exit %d, want 2 (stderr %q)", strings.Join(tc.args, " "), code, errOut)
			continue
		}
		if errOut != strings.SplitN(errOut, "\n", 2)[0]+"\n" || !strings.HasPrefix(errOut, "parley: ") ||
			!strings.Contains(errOut, tc.want) || strings.Contains(errOut, "usage:") {
			t.Errorf("parley %s: stderr %q, want one line \"parley: …%s…\"", strings.Join(tc.args, " "), errOut, tc.want)
		}
		if out != "" {
			t.Errorf("parley %s: a usage error printed %q on stdout", strings.Join(tc.args, " "), out)
		}
	}
	// A usage error names the command's --help.
	if _, errOut, _ := c.run("facility", "add", "--bogus"); !strings.Contains(errOut, "parley facility add --help") {
		t.Errorf("usage error %q does not point to the command's --help", errOut)
	}
	// No command at all is an error too, not a help request.
	if out, errOut, code := runRaw(t); code != 2 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "parley: ") {
		t.Errorf("parley with no command: exit %d, stdout %q, stderr %q; want 2 and one line", code, out, errOut)
	}
}

// TestHelpPrintsUsage: asking for help prints the full usage on stdout and exits 0.
func TestHelpPrintsUsage(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "help"} {
		out, errOut, code := runRaw(t, arg)
		if code != 0 || errOut != "" || !strings.HasPrefix(out, "usage: parley COMMAND") ||
			!strings.Contains(out, "parley facility add --id ID") || !strings.Contains(out, "parley retention run") {
			t.Errorf("parley %s: exit %d, stderr %q, stdout %q", arg, code, errOut, out)
		}
	}
	out, errOut, code := runRaw(t, "facility", "add", "--help")
	if code != 0 || errOut != "" || !strings.HasPrefix(out, "usage: parley facility add --id ID") ||
		!strings.Contains(out, "-adp") || !strings.Contains(out, "-data") {
		t.Errorf("parley facility add --help: exit %d, stderr %q, stdout %q", code, errOut, out)
	}
}
