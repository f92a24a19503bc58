package rates

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
)

func mustCaps(t *testing.T) *Caps {
	t.Helper()
	c, err := Default()
	if err != nil {
		t.Fatalf("embedded caps: %v", err)
	}
	return c
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

const (
	P = parley.FacilityPrison
	J = parley.FacilityJail
)

// TestCapForEveryOrder checks every order and tier on each side of every effective date.
// want "" means no cap is in force (KindNotFound).
func TestCapForEveryOrder(t *testing.T) {
	c := mustCaps(t)
	type q struct {
		ft   parley.FacilityType
		adp  int
		svc  Service
		want string // rate
		add  string // additive
		src  string // order
	}
	cases := map[string][]q{
		// Before FCC 13-113's interim caps: nothing to price by.
		"2014-02-10": {{P, 0, Audio, "", "", ""}, {J, 500, Audio, "", "", ""}},
		"2014-02-11": {{P, 0, Audio, "0.21", "0", "FCC 13-113"}, {J, 0, Audio, "0.21", "0", "FCC 13-113"},
			{J, 5000, Audio, "0.21", "0", "FCC 13-113"}, {P, 0, Video, "", "", ""}},
		"2021-10-25": {{P, 0, Audio, "0.21", "0", "FCC 13-113"}, {J, 1000, Audio, "0.21", "0", "FCC 13-113"}},
		"2021-10-26": {{P, 0, Audio, "0.12", "0", "FCC 21-60"}, {J, 999, Audio, "0.21", "0", "FCC 21-60"},
			{J, 1000, Audio, "0.14", "0", "FCC 21-60"}, {J, 1000, Video, "", "", ""}},
		"2024-12-31": {{P, 0, Audio, "0.12", "0", "FCC 21-60"}, {P, 0, Video, "", "", ""},
			{J, 1000, Audio, "0.14", "0", "FCC 21-60"}, {J, 999, Audio, "0.21", "0", "FCC 21-60"}, {J, 50, Video, "", "", ""}},
		"2025-01-01": {{P, 0, Audio, "0.06", "0", "FCC 24-75"}, {P, 20000, Video, "0.16", "0", "FCC 24-75"},
			{J, 1000, Audio, "0.06", "0", "FCC 24-75"}, {J, 999, Audio, "0.21", "0", "FCC 21-60"},
			{J, 0, Video, "0.25", "0", "FCC 24-75"}, {J, 99, Video, "0.25", "0", "FCC 24-75"},
			{J, 100, Video, "0.14", "0", "FCC 24-75"}, {J, 349, Video, "0.14", "0", "FCC 24-75"},
			{J, 350, Video, "0.12", "0", "FCC 24-75"}, {J, 999, Video, "0.12", "0", "FCC 24-75"},
			{J, 1000, Video, "0.11", "0", "FCC 24-75"}},
		"2025-03-31": {{J, 99, Audio, "0.21", "0", "FCC 21-60"}, {J, 350, Audio, "0.21", "0", "FCC 21-60"}},
		"2025-04-01": {{J, 0, Audio, "0.12", "0", "FCC 24-75"}, {J, 99, Audio, "0.12", "0", "FCC 24-75"},
			{J, 100, Audio, "0.09", "0", "FCC 24-75"}, {J, 349, Audio, "0.09", "0", "FCC 24-75"},
			{J, 350, Audio, "0.07", "0", "FCC 24-75"}, {J, 999, Audio, "0.07", "0", "FCC 24-75"},
			{J, 1000, Audio, "0.06", "0", "FCC 24-75"}, {J, 1_000_000, Audio, "0.06", "0", "FCC 24-75"},
			{P, 0, Audio, "0.06", "0", "FCC 24-75"}},
		"2026-04-05": {{P, 0, Audio, "0.06", "0", "FCC 24-75"}, {P, 0, Video, "0.16", "0", "FCC 24-75"},
			{J, 49, Audio, "0.12", "0", "FCC 24-75"}, {J, 49, Video, "0.25", "0", "FCC 24-75"}},
		"2026-04-06": {{P, 0, Audio, "0.11", "0.02", "FCC 25-75"}, {P, 0, Video, "0.25", "0", "FCC 25-75"},
			{J, 0, Audio, "0.19", "0.02", "FCC 25-75"}, {J, 49, Audio, "0.19", "0.02", "FCC 25-75"},
			{J, 50, Audio, "0.15", "0.02", "FCC 25-75"}, {J, 99, Audio, "0.15", "0.02", "FCC 25-75"},
			{J, 100, Audio, "0.13", "0.02", "FCC 25-75"}, {J, 349, Audio, "0.13", "0.02", "FCC 25-75"},
			{J, 350, Audio, "0.12", "0.02", "FCC 25-75"}, {J, 999, Audio, "0.12", "0.02", "FCC 25-75"},
			{J, 1000, Audio, "0.10", "0.02", "FCC 25-75"},
			{J, 49, Video, "0.44", "0", "FCC 25-75"}, {J, 50, Video, "0.25", "0", "FCC 25-75"},
			{J, 100, Video, "0.21", "0", "FCC 25-75"}, {J, 350, Video, "0.19", "0", "FCC 25-75"},
			{J, 1000, Video, "0.19", "0", "FCC 25-75"}},
		"2030-01-01": {{J, 120, Audio, "0.13", "0.02", "FCC 25-75"}},
	}
	for d, qs := range cases {
		for _, q := range qs {
			got, err := c.CapFor(day(d), q.ft, q.adp, q.svc)
			name := d + " " + string(q.ft) + " " + string(q.svc)
			if q.want == "" {
				if !parley.IsKind(err, parley.KindNotFound) {
					t.Errorf("%s adp %d: %+v, %v; want KindNotFound", name, q.adp, got, err)
				}
				continue
			}
			rate, _ := ParseDollars(q.want)
			add, _ := ParseDollars(q.add)
			if err != nil || got.Rate != rate || got.Additive != add || got.Source.Order != q.src || !got.On.Equal(day(d)) {
				t.Errorf("%s adp %d: %s + %s (%s), %v; want %s + %s (%s)", name, q.adp, got.Rate, got.Additive,
					got.Source.Order, err, q.want, q.add, q.src)
			}
		}
	}
}

func TestCapForLocalDay(t *testing.T) {
	c := mustCaps(t)
	la := time.FixedZone("PDT", -7*3600)
	late := time.Date(2026, 4, 5, 23, 30, 0, 0, la) // already April 6 in UTC
	got, err := c.CapFor(late, P, 0, Audio)
	if err != nil || got.Source.Order != "FCC 24-75" {
		t.Errorf("call at 23:30 local on 2026-04-05 got %s (%v); want the cap of that local day", got.Source.Order, err)
	}
}

func TestCapForInvalid(t *testing.T) {
	c := mustCaps(t)
	d := day("2026-05-01")
	for _, tc := range []struct {
		ft  parley.FacilityType
		adp int
		svc Service
		d   time.Time
	}{{"camp", 10, Audio, d}, {J, -1, Audio, d}, {J, 10, "fax", d}, {J, 2_000_000, Audio, d}, {J, 10, Audio, time.Time{}}} {
		if _, err := c.CapFor(tc.d, tc.ft, tc.adp, tc.svc); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("CapFor(%v, %q, %d, %q) err = %v; want KindInvalid", tc.d, tc.ft, tc.adp, tc.svc, err)
		}
	}
	_, err := c.CapFor(day("2010-01-01"), P, 0, Audio)
	if !parley.IsKind(err, parley.KindNotFound) || !strings.Contains(err.Error(), "2014-02-11") {
		t.Errorf("before any order: %v", err)
	}
}

func TestCheckRate(t *testing.T) {
	c := mustCaps(t)
	cp, err := c.CapFor(day("2026-05-01"), J, 200, Audio)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckRate(150_000, cp); err != nil { // $0.13 + $0.02 exactly
		t.Errorf("rate at the cap: %v", err)
	}
	err = CheckRate(250_000, cp)
	if !parley.IsKind(err, parley.KindForbidden) {
		t.Fatalf("rate above the cap: %v", err)
	}
	for _, want := range []string{"$0.25/min", "$0.15/min", "2026-05-01", "jails with ADP 100–349", "FCC 25-75"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if err := CheckRate(-1, cp); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("negative rate: %v", err)
	}
}

func TestEmbeddedRowsCited(t *testing.T) {
	c := mustCaps(t)
	if c.Version() == "" || len(c.Notes()) == 0 {
		t.Error("no version or notes")
	}
	rows := c.Rows()
	if len(rows) < 20 {
		t.Fatalf("only %d rows", len(rows))
	}
	for _, r := range rows {
		if r.Source.Order == "" || r.Source.Note == "" || r.Source.Verified == "" {
			t.Errorf("row %s is not cited", r.Describe())
		}
	}
}

func TestLoadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "caps.json")
	if err := os.WriteFile(path, embedded, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadFile(path)
	if err != nil || c.Version() != mustCaps(t).Version() {
		t.Fatalf("LoadFile: %v", err)
	}
	if _, err := LoadFile(filepath.Join(t.TempDir(), "missing.json")); !parley.IsKind(err, parley.KindNotFound) {
		t.Errorf("missing file: %v", err)
	}
}

// mutate decodes the embedded file generically, applies fn and re-encodes it.
func mutate(t *testing.T, fn func(doc map[string]any, caps []any)) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(embedded, &doc); err != nil {
		t.Fatal(err)
	}
	fn(doc, doc["caps"].([]any))
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func row(caps []any, i int) map[string]any { return caps[i].(map[string]any) }

// find returns the index of the first row matching effective, facility, service, min_adp.
func find(t *testing.T, caps []any, eff, fac, svc string, min float64) int {
	for i := range caps {
		r := row(caps, i)
		if r["effective"] == eff && r["facility"] == fac && r["service"] == svc && r["min_adp"] == min {
			return i
		}
	}
	t.Fatalf("no row %s %s %s %v", eff, fac, svc, min)
	return -1
}

func TestParseRejectsBrokenFiles(t *testing.T) {
	cases := map[string]func(t *testing.T, doc map[string]any, caps []any){
		"gap in tiers": func(t *testing.T, _ map[string]any, caps []any) {
			row(caps, find(t, caps, "2026-04-06", "jail", "audio", 50))["min_adp"] = 51
		},
		"overlapping tiers": func(t *testing.T, _ map[string]any, caps []any) {
			row(caps, find(t, caps, "2026-04-06", "jail", "audio", 50))["min_adp"] = 49
		},
		"duplicate row": func(t *testing.T, doc map[string]any, caps []any) {
			i := find(t, caps, "2026-04-06", "prison", "audio", 0)
			doc["caps"] = append(caps, caps[i])
		},
		"open tier not last": func(t *testing.T, _ map[string]any, caps []any) {
			row(caps, find(t, caps, "2026-04-06", "jail", "audio", 350))["max_adp"] = nil
		},
		"top tier bounded": func(t *testing.T, _ map[string]any, caps []any) {
			row(caps, find(t, caps, "2026-04-06", "jail", "audio", 1000))["max_adp"] = 5000
		},
		"dates out of order": func(t *testing.T, _ map[string]any, caps []any) {
			row(caps, find(t, caps, "2021-10-26", "prison", "audio", 0))["effective"] = "2013-01-01"
		},
		"bad date":     func(t *testing.T, _ map[string]any, caps []any) { row(caps, 0)["effective"] = "2014-13-01" },
		"float rate":   func(t *testing.T, _ map[string]any, caps []any) { row(caps, 0)["rate"] = "2.1e-1" },
		"zero rate":    func(t *testing.T, _ map[string]any, caps []any) { row(caps, 0)["rate"] = "0" },
		"absurd rate":  func(t *testing.T, _ map[string]any, caps []any) { row(caps, 0)["rate"] = "25.00" },
		"no source":    func(t *testing.T, _ map[string]any, caps []any) { row(caps, 0)["order"] = "" },
		"no note":      func(t *testing.T, _ map[string]any, caps []any) { delete(row(caps, 0), "source_note") },
		"bad verified": func(t *testing.T, _ map[string]any, caps []any) { row(caps, 0)["verified"] = "yes" },
		"bad facility": func(t *testing.T, _ map[string]any, caps []any) { row(caps, 0)["facility"] = "camp" },
		"bad service":  func(t *testing.T, _ map[string]any, caps []any) { row(caps, 0)["service"] = "fax" },
		"unknown field": func(t *testing.T, _ map[string]any, caps []any) {
			row(caps, 0)["rate_float"] = 0.21
		},
		"no version": func(t *testing.T, doc map[string]any, _ []any) { delete(doc, "version") },
		"no caps":    func(t *testing.T, doc map[string]any, _ []any) { doc["caps"] = []any{} },
		"fee overlap": func(t *testing.T, doc map[string]any, _ []any) {
			fees := doc["fees"].([]any)
			doc["fees"] = append(fees, fees[0])
		},
		"site commission fee": func(t *testing.T, doc map[string]any, _ []any) {
			doc["fees"].([]any)[0].(map[string]any)["kind"] = "site_commission"
		},
		"fee at a camp": func(t *testing.T, doc map[string]any, _ []any) {
			doc["fees"].([]any)[0].(map[string]any)["facility"] = "camp"
		},
		"fee for every type overlaps one type": func(t *testing.T, doc map[string]any, _ []any) {
			fees := doc["fees"].([]any)
			every := map[string]any{}
			for k, v := range fees[0].(map[string]any) {
				every[k] = v
			}
			delete(every, "facility")
			doc["fees"] = append(fees, every)
		},
		"fee ends before it starts": func(t *testing.T, doc map[string]any, _ []any) {
			doc["fees"].([]any)[0].(map[string]any)["to"] = "2010-01-01"
		},
	}
	for name, fn := range cases {
		t.Run(name, func(t *testing.T) {
			data := mutate(t, func(doc map[string]any, caps []any) { fn(t, doc, caps) })
			if _, err := Parse(data); !parley.IsKind(err, parley.KindInvalid) {
				t.Errorf("Parse accepted a file with %s: %v", name, err)
			}
		})
	}
	if _, err := Parse([]byte("{")); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("truncated JSON: %v", err)
	}
	// The unmutated round trip still parses.
	if _, err := Parse(mutate(t, func(map[string]any, []any) {})); err != nil {
		t.Errorf("round trip: %v", err)
	}
}

// TestCapsVerificationStatus pins how far each order's rows were checked (see the
// source notes): a row must not silently lose its citation or gain a status it has not
// earned.
func TestCapsVerificationStatus(t *testing.T) {
	want := map[string]struct {
		status Verification
		cite   string
	}{
		"FCC 13-113": {OrderText, "64.6030"},
		"FCC 21-60":  {OrderText, "FR"},
		"FCC 24-75":  {OrderText, "Table One"},
		"FCC 25-75":  {SecondarySource, "unconfirmed against FCC 25-75's rate-cap table"},
	}
	for _, r := range mustCaps(t).Rows() {
		w, ok := want[r.Source.Order]
		if !ok {
			t.Errorf("row from unexpected order %q", r.Source.Order)
			continue
		}
		if r.Source.Verified != w.status || !strings.Contains(r.Source.Section, w.cite) || !strings.Contains(r.Source.Note, "NOT verified") ||
			w.status == SecondarySource && (!strings.HasPrefix(r.Source.Section, "secondary: ") || !strings.Contains(r.Source.Note, "1 cent")) {
			t.Errorf("%s %s %s %s: verified %s, section %q; want %s citing %q and saying what is not verified",
				r.Source.Order, r.Effective.Format(time.DateOnly), r.Facility, r.Tier, r.Source.Verified, r.Source.Section, w.status, w.cite)
		}
	}
}
