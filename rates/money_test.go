package rates

import (
	"testing"

	"parley.dev/parley"
)

func TestParseDollars(t *testing.T) {
	ok := []struct {
		in   string
		want Microdollars
	}{
		{"0.21", 210_000}, {"0", 0}, {"3", 3 * Dollar}, {"5.95", 5_950_000}, {"0.0625", 62_500},
		{"0.2149", 214_900}, {"1000", MaxDollars}, {"1000.0000", MaxDollars}, {"00.10", 100_000},
	}
	for _, c := range ok {
		got, err := ParseDollars(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseDollars(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	bad := []string{"", "-0.21", "+0.21", "0.21501", "1e2", "1E-2", "NaN", "Inf", "inf", "0x10", " 0.21",
		"0.21 ", "$0.21", "1,000", ".5", "5.", "1000.0001", "1001", "99999999999999999", "0.2.1", "0,21", "١"}
	for _, in := range bad {
		if got, err := ParseDollars(in); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("ParseDollars(%q) = %d, %v; want KindInvalid", in, got, err)
		}
	}
}

func TestMicrodollarsString(t *testing.T) {
	for m, want := range map[Microdollars]string{
		210_000: "$0.21", 62_500: "$0.0625", 3 * Dollar: "$3.00", -50_000: "-$0.05", 1: "$0.000001", 0: "$0.00",
	} {
		if got := m.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int64(m), got, want)
		}
	}
}

func FuzzParseDollars(f *testing.F) {
	for _, s := range []string{"0.21", "1e3", "-1", "1000.0001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseDollars(s)
		if err != nil {
			return
		}
		if m < 0 || m > MaxDollars {
			t.Fatalf("ParseDollars(%q) = %d out of range", s, m)
		}
		back, err := ParseDollars(m.String()[1:])
		if err != nil || back != m {
			t.Fatalf("round trip of %q: %s -> %d, %v", s, m, back, err)
		}
	})
}
