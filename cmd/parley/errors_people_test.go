package main

import (
	"regexp"
	"strings"
	"testing"
)

// goOp matches a Go operation name as parley errors carry them ("sqldb.FindFacility",
// "rates.CheckRate", "audit.Attempt").
var goOp = regexp.MustCompile(`\b[a-z]+\.[A-Z][A-Za-z]+\b`)

// assertNoOp fails when text shown to a person carries an operation name or a data file's
// internal verification code.
func assertNoOp(t *testing.T, what, text string) {
	t.Helper()
	if op := goOp.FindString(text); op != "" {
		t.Errorf("%s shows the operation %q: %.300s", what, op, text)
	}
	for _, note := range []string{"secondary_source", "order_text", "unverified"} {
		if strings.Contains(text, note) {
			t.Errorf("%s shows the internal note %q: %.300s", what, note, text)
		}
	}
}

// TestCLIErrorsForPeople: the one line a failing command prints is its message, without
// the operations or the internal notes the error wraps; when that line is only a sentence
// for the error's kind (the audit log down), the whole error, operations included, is in a
// log record for the operator.
func TestCLIErrorsForPeople(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	for _, tc := range []struct {
		want string // the whole reason line
		args []string
	}{
		{"parley: facility not found", []string{"inmate", "add", "--facility", "nowhere", "--id", "A1", "--name", "Sam Doe", "--pin", "4821"}},
		{"parley: facility not found", []string{"facility", "rules", "--facility", "nowhere", "--max-call", "10m"}},
		{"parley: recording not found", []string{"recordings", "get", "0123456789abcdef0123456789abcdef", "--out", t.TempDir() + "/x.wav", "--purpose", "p", "--case", "c"}},
		{"parley: --number: number has an extension: give the line's number without it (parley registers and calls whole lines)",
			[]string{"contact", "allow", "--facility", "cnty", "--inmate", "A1", "--number", "(415) 555-2671 x12"}},
		{"parley: number has an extension: give the line's number without it (parley registers and calls whole lines)",
			[]string{"calls", "search", "--number", "+1 415 555 2671 ext. 12"}},
	} {
		_, errOut, code := c.run(tc.args...)
		reason := reasonLines(errOut)
		if code != 1 || len(reason) != 1 || reason[0] != tc.want {
			t.Errorf("parley %s: exit %d, stderr %q; want exit 1 and %q", strings.Join(tc.args, " "), code, errOut, tc.want)
		}
		assertNoOp(t, "parley "+tc.args[0], strings.Join(reason, "\n"))
	}

	// A rate above the cap names the cap and its order, not the data file's notes.
	_, errOut, _ := c.run("rates", "set", "--facility", "cnty", "--audio", "0.50")
	reason := strings.Join(reasonLines(errOut), "\n")
	if !strings.Contains(reason, "above the cap of $0.15/min") || !strings.Contains(reason, "(FCC 25-75 (2025-10-28)") ||
		strings.Contains(reason, "not found in the stored text") {
		t.Errorf("rates set above the cap: %q", reason)
	}
	assertNoOp(t, "rates set", reason)

	// The audit log down: the person reads what was not done; the log has the detail.
	c.auditDown()
	_, errOut, code := c.run("facility", "add", "--id", "c2", "--name", "Other", "--type", "jail", "--adp", "20")
	reason = strings.Join(reasonLines(errOut), "\n")
	if code != 1 || !strings.HasPrefix(reason, "parley: audit failed; facility.add not done") || strings.Contains(reason, "\n") {
		t.Errorf("facility add with the audit log down: exit %d, %q", code, errOut)
	}
	assertNoOp(t, "facility add", reason)
	if !strings.Contains(errOut, `level=ERROR msg="command failed" command="facility add" err="audit.Attempt: `) ||
		!strings.Contains(errOut, "sqldb.AppendAudit") {
		t.Errorf("the log lacks the whole error:\n%s", errOut)
	}
}

// TestCallsSearchNeedsOneFilter: the usage names the three filters of which one is needed,
// and calls search with none says so.
func TestCallsSearchNeedsOneFilter(t *testing.T) {
	c := newCLI(t)
	out, _, code := c.run("calls", "search", "--help")
	if code != 0 || !strings.Contains(out, "[--number NUMBER] [--inmate ID] [--facility ID] (at least one of these three)") {
		t.Errorf("calls search --help: exit %d\n%s", code, out)
	}
	c.fail(2, "give at least one of --number, --inmate or --facility", "calls", "search", "--json")
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	if out := c.ok("calls", "search", "--facility", "cnty", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("calls search --facility alone: %q", out)
	}
}
