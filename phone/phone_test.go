package phone_test

import (
	"strings"
	"testing"

	"parley.dev/parley"
	"parley.dev/parley/phone"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		raw, region string
		want        parley.Number
	}{
		{"+1 201 555 0123", "", "+12015550123"},
		{"+1 201 555 0123", "US", "+12015550123"},
		{"(201) 555-0123", "US", "+12015550123"},
		{"(201) 555-0123", "us", "+12015550123"},
		{"201.555.0123", "US", "+12015550123"},
		{"1-201-555-0123", "US", "+12015550123"},
		{"tel:+12015550123", "", "+12015550123"},
		{"  +14155552671  ", "", "+14155552671"},
		{"+44 20 7946 0958", "US", "+442079460958"},
		{"020 7946 0958", "GB", "+442079460958"},
		{"011 44 20 7946 0958", "US", "+442079460958"},
		{"+33 1 42 68 53 00", "", "+33142685300"},
		{"+12015550123", "GB", "+12015550123"},
	}
	for _, tt := range tests {
		got, err := phone.Normalize(tt.raw, tt.region)
		if err != nil {
			t.Errorf("Normalize(%q, %q): %v", tt.raw, tt.region, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Normalize(%q, %q) = %q, want %q", tt.raw, tt.region, got, tt.want)
		}
	}
}

func TestNormalizeRejects(t *testing.T) {
	tests := []struct{ name, raw, region string }{
		{"empty", "", "US"},
		{"blank", "   ", "US"},
		{"letters only", "attorney", "US"},
		{"too long input", "+1 201 555 0123 0000000000000000000", "US"},
		{"no region, no plus", "2015550123", ""},
		{"unknown region", "2015550123", "XX"},
		{"invalid area code 555", "+1 555 123 4567", ""},
		{"invalid national 555", "(555) 123-4567", "US"},
		{"tel invalid", "tel:+15551234567", ""},
		{"too short", "+1 201", ""},
		{"too many digits", "+1 201 555 01234567", ""},
		{"bad country code", "+999 1234 5678", ""},
		{"zero country", "+0 201 555 0123", ""},
		{"just plus", "+", ""},
		{"punctuation", "()--..", "US"},
		{"extension x", "(415) 555-2671 x12", "US"},
		{"extension ext.", "+1 201 555 0123 ext. 42", "US"},
		{"extension tel", "tel:+1-201-555-0123;ext=7", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := phone.Normalize(tt.raw, tt.region)
			if err == nil {
				t.Fatalf("Normalize(%q) = %q, want error", tt.raw, got)
			}
			if !parley.IsKind(err, parley.KindInvalid) {
				t.Errorf("kind = %v, want invalid", parley.ErrorKind(err))
			}
			assertNoDigitsOf(t, err.Error(), tt.raw)
			if strings.HasPrefix(tt.name, "extension") && !strings.Contains(err.Error(), "has an extension") {
				t.Errorf("error %q does not say the extension is the problem", err)
			}
		})
	}
}

// assertNoDigitsOf fails if msg contains the digits of raw (3 or more of them in a row).
func assertNoDigitsOf(t *testing.T, msg, raw string) {
	t.Helper()
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, raw)
	for i := 0; i+4 <= len(digits); i++ {
		if strings.Contains(msg, digits[i:i+4]) {
			t.Errorf("error %q contains digits of the input", msg)
			return
		}
	}
	if len(raw) > 3 && strings.Contains(msg, strings.TrimSpace(raw)) {
		t.Errorf("error %q contains the input", msg)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"+12015550123", "(201) 555-0123", "tel:+1-201-555-0123;ext=7", "+44 20 7946 0958",
		"011 44 20 7946 0958", "1-800-FLOWERS", "", "+", "++1", "tel:", ";ext=", "+1 555 123 4567",
		"\x00+1201", "+１２０１５５５０１２３", "*67 201 555 0123", "#31#2015550123",
	} {
		f.Add(s, "US")
	}
	f.Add("+33142685300", "")
	f.Add("0142685300", "FR")
	f.Fuzz(func(t *testing.T, raw, region string) {
		n, err := phone.Normalize(raw, region)
		if err != nil {
			if !parley.IsKind(err, parley.KindInvalid) {
				t.Fatalf("kind = %v, want invalid", parley.ErrorKind(err))
			}
			if n != "" {
				t.Fatalf("returned %q with an error", n)
			}
			return
		}
		if !n.Valid() {
			t.Fatalf("Normalize(%q, %q) = %q, not Valid", raw, region, n)
		}
		again, err := phone.Normalize(string(n), "")
		if err != nil || again != n {
			t.Fatalf("not idempotent: Normalize(%q) = %q, %v; want %q", n, again, err, n)
		}
	})
}

func BenchmarkNormalize(b *testing.B) {
	for b.Loop() {
		if _, err := phone.Normalize("(201) 555-0123", "US"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestHasExtension: the refusal of an extension is told apart from other bad numbers.
func TestHasExtension(t *testing.T) {
	_, ext := phone.Normalize("(415) 555-2671 x12", "US")
	_, short := phone.Normalize("+1 201", "")
	if !phone.HasExtension(ext) || phone.HasExtension(short) || phone.HasExtension(nil) {
		t.Errorf("HasExtension: extension %v, short %v", phone.HasExtension(ext), phone.HasExtension(short))
	}
}
