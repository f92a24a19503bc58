package rates

import (
	"strings"
	"testing"

	"parley.dev/parley"
)

func TestDestinationOf(t *testing.T) {
	c := mustCaps(t)
	for n, want := range map[parley.Number]Destination{
		"+12015550123":  Domestic,      // New Jersey
		"+17875550123":  Domestic,      // Puerto Rico
		"+13405550123":  Domestic,      // U.S. Virgin Islands
		"+16715550123":  Domestic,      // Guam
		"+14165550199":  International, // Toronto: +1, but Canada
		"+18765550123":  International, // Jamaica: +1, another country
		"+18095550123":  International, // Dominican Republic
		"+442079460958": International,
		"+525555555555": International,
	} {
		if got, err := c.DestinationOf(n); err != nil || got != want {
			t.Errorf("DestinationOf(%s) = %s, %v; want %s", n.Redacted(), got, err, want)
		}
	}
	if _, err := c.DestinationOf("12015550123"); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("not E.164: %v", err)
	}
}

// TestCheckInternationalRate: an international rate at the domestic cap passes and one a
// hundredth of a cent above it is refused saying why, on each side of cap changes, at a
// prison and a jail.
func TestCheckInternationalRate(t *testing.T) {
	c := mustCaps(t)
	for _, tc := range []struct {
		d   string
		ft  parley.FacilityType
		adp int
		cap string
	}{
		{"2021-10-25", P, 0, "0.21"}, {"2021-10-26", P, 0, "0.12"},
		{"2025-03-31", J, 250, "0.21"}, {"2025-04-01", J, 250, "0.09"},
		{"2026-04-05", J, 250, "0.09"}, {"2026-04-06", J, 250, "0.15"},
	} {
		max, _ := ParseDollars(tc.cap)
		if cp, err := c.CheckInternationalRate(max, day(tc.d), tc.ft, tc.adp, Audio); err != nil || cp.Max() != max {
			t.Errorf("%s %s: at the domestic cap %s: %v", tc.d, tc.ft, tc.cap, err)
		}
		_, err := c.CheckInternationalRate(max+100, day(tc.d), tc.ft, tc.adp, Audio)
		if !parley.IsKind(err, parley.KindForbidden) {
			t.Fatalf("%s %s: above the domestic cap: %v", tc.d, tc.ft, err)
		}
		for _, want := range []string{"above the domestic cap of $" + tc.cap + "/min", tc.d, "64.6030(e)", "average cost", "records no such cost"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: message %q lacks %q", tc.d, err, want)
			}
		}
	}
	if _, err := c.CheckInternationalRate(10, day("2014-01-01"), P, 0, Audio); !parley.IsKind(err, parley.KindNotFound) {
		t.Errorf("before any cap: %v", err)
	}
	if _, err := c.CheckInternationalRate(-1, day("2026-05-01"), P, 0, Audio); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("negative: %v", err)
	}
}

func TestParseRejectsBrokenInternational(t *testing.T) {
	for name, fn := range map[string]func(doc map[string]any){
		"missing":      func(doc map[string]any) { delete(doc, "international") },
		"other charge": func(doc map[string]any) { doc["international"].(map[string]any)["charge"] = "domestic_plus_cost" },
		"no US":        func(doc map[string]any) { doc["international"].(map[string]any)["domestic_regions"] = []any{"PR"} },
		"bad region": func(doc map[string]any) {
			doc["international"].(map[string]any)["domestic_regions"] = []any{"US", "usa"}
		},
		"no source note": func(doc map[string]any) { delete(doc["international"].(map[string]any), "source_note") },
	} {
		data := mutate(t, func(doc map[string]any, _ []any) { fn(doc) })
		if _, err := Parse(data); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
