package rates

import (
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
)

// TestPriceCallClasses prices a 10-minute call of each class at a rate above the cap and
// one below it, on the day before and the day of FCC 22-76's relay rule (2023-01-09) and
// of each later cap change, at a prison and at jails of two sizes: a relay call is free,
// a captioned call costs what the voice call costs, never more.
func TestPriceCallClasses(t *testing.T) {
	c := mustCaps(t)
	days := []string{"2023-01-08", "2023-01-09", "2024-12-31", "2025-01-01", "2025-03-31", "2025-04-01", "2026-04-05", "2026-04-06"}
	for _, d := range days {
		for _, f := range []struct {
			ft  parley.FacilityType
			adp int
		}{{P, 3000}, {J, 40}, {J, 250}} {
			for _, rate := range []Microdollars{Dollar, 10_000} {
				req := CallRequest{Start: day(d), Facility: f.ft, ADP: f.adp, Service: Audio, Rate: rate}
				voice, err := c.PriceCall(req)
				if err != nil {
					t.Fatalf("%s %s voice: %v", d, f.ft, err)
				}
				if plain, _ := c.PriceFor(req.Start, f.ft, f.adp, Audio, rate); voice.PerMinute != plain.PerMinute || voice.PerMinute != min(rate, voice.Cap.Max()) {
					t.Errorf("%s %s: voice %s, PriceFor %s", d, f.ft, voice.PerMinute, plain.PerMinute)
				}
				req.Class = Relay
				relay, err := c.PriceCall(req)
				if err != nil || relay.PerMinute != 0 || relay.Charge(10*time.Minute) != 0 || relay.Capped() || relay.Rule.Source.Order != "FCC 22-76" {
					t.Errorf("%s %s: relay %+v, %v; want free, citing FCC 22-76", d, f.ft, relay, err)
				}
				req.Class = Captioned
				capt, err := c.PriceCall(req)
				if err != nil || capt.PerMinute != voice.PerMinute || capt.Charge(10*time.Minute) != voice.Charge(10*time.Minute) ||
					!strings.Contains(capt.Rule.Source.Section, "64.6040(d)(2)") {
					t.Errorf("%s %s: captioned %+v, %v; want the voice price %s", d, f.ft, capt, err, voice.PerMinute)
				}
				if voice.Charge(10*time.Minute) == 0 {
					t.Errorf("%s %s: a 10-minute voice call at %s costs nothing", d, f.ft, rate)
				}
			}
		}
	}
}

// TestPriceCallRelayWithoutCap: a relay call is free even on a day no cap is in force
// (parley prices no voice call then) and for a service with no cap yet.
func TestPriceCallRelayWithoutCap(t *testing.T) {
	c := mustCaps(t)
	p, err := c.PriceCall(CallRequest{Start: day("2010-01-01"), Facility: P, Service: Audio, Class: Relay, Rate: Dollar})
	if err != nil || p.PerMinute != 0 {
		t.Errorf("relay 2010: %+v, %v", p, err)
	}
	if _, err := c.PriceCall(CallRequest{Start: day("2010-01-01"), Facility: P, Service: Audio, Class: Captioned, Rate: Dollar}); !parley.IsKind(err, parley.KindNotFound) {
		t.Errorf("captioned 2010: %v; want KindNotFound like a voice call", err)
	}
	if p, err := c.PriceCall(CallRequest{Start: day("2024-06-01"), Facility: J, ADP: 10, Service: Video, Class: Relay, Rate: Dollar}); err != nil || p.PerMinute != 0 {
		t.Errorf("relay video before any video cap: %+v, %v", p, err)
	}
}

func TestPriceCallInvalid(t *testing.T) {
	c := mustCaps(t)
	good := CallRequest{Start: day("2026-05-01"), Facility: J, ADP: 10, Service: Audio, Rate: 1}
	for name, mut := range map[string]func(*CallRequest){
		"unknown class":       func(r *CallRequest) { r.Class = "fax" },
		"negative rate":       func(r *CallRequest) { r.Rate = -1 },
		"relay negative rate": func(r *CallRequest) { r.Class, r.Rate = Relay, -1 },
		"relay no facility":   func(r *CallRequest) { r.Class, r.Facility = Relay, "" },
		"relay no service":    func(r *CallRequest) { r.Class, r.Service = Relay, "" },
		"relay no start":      func(r *CallRequest) { r.Class, r.Start = Relay, time.Time{} },
		"relay bad adp":       func(r *CallRequest) { r.Class, r.ADP = Relay, -5 },
		"captioned bad adp":   func(r *CallRequest) { r.Class, r.ADP = Captioned, -5 },
	} {
		req := good
		mut(&req)
		if _, err := c.PriceCall(req); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("%s: %v; want KindInvalid", name, err)
		}
	}
}

func TestClassRulesCited(t *testing.T) {
	c := mustCaps(t)
	for k, section := range map[CallClass]string{Relay: "64.6040(d)(1)", Captioned: "64.6040(d)(2)"} {
		r, ok := c.ClassRule(k)
		if !ok || r.Charge != classCharge[k] || !strings.Contains(r.Source.Section, section) || !r.From.Equal(day("2023-01-09")) {
			t.Errorf("%s: %+v, %v", k, r, ok)
		}
	}
	if _, ok := c.ClassRule(Voice); ok {
		t.Error("voice has a class rule")
	}
}

func TestParseRejectsBrokenClasses(t *testing.T) {
	for name, fn := range map[string]func(classes []any) []any{
		"no relay rule":      func(cl []any) []any { return cl[1:] },
		"relay charged":      func(cl []any) []any { cl[0].(map[string]any)["charge"] = "at_most_voice"; return cl },
		"captioned free":     func(cl []any) []any { cl[1].(map[string]any)["charge"] = "none"; return cl },
		"voice rule":         func(cl []any) []any { cl[0].(map[string]any)["class"] = "voice"; return cl },
		"two relay rules":    func(cl []any) []any { return append(cl, cl[0]) },
		"bad date":           func(cl []any) []any { cl[0].(map[string]any)["from"] = "2023-13-01"; return cl },
		"no source":          func(cl []any) []any { delete(cl[1].(map[string]any), "section"); return cl },
		"unknown class name": func(cl []any) []any { cl[0].(map[string]any)["class"] = "tty"; return cl },
	} {
		data := mutate(t, func(doc map[string]any, _ []any) { doc["call_classes"] = fn(doc["call_classes"].([]any)) })
		if _, err := Parse(data); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
