package parley

import "strings"

// Number is a telephone number in E.164 form ("+15551234567"). Produce one with
// phone.Normalize; a Number is personal data and must never be logged.
type Number string

// Valid reports whether n looks like E.164: '+' then 8 to 15 digits, not starting with 0.
// It does not check numbering plans; phone.Normalize does.
func (n Number) Valid() bool {
	s := string(n)
	if len(s) < 9 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	return strings.Trim(s[1:], "0123456789") == ""
}

// Redacted returns a form safe for logs and messages: only the last two digits.
func (n Number) Redacted() string {
	if len(n) < 2 {
		return "…"
	}
	return "…" + string(n[len(n)-2:])
}
