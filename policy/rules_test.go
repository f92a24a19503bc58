package policy

import (
	"errors"
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
)

func TestParseClockAndWindow(t *testing.T) {
	for s, want := range map[string]Clock{"00:00": 0, "08:30": 510, "23:59": 1439, "24:00": EndOfDay} {
		if c, err := ParseClock(s); err != nil || c != want || c.String() != s {
			t.Errorf("ParseClock(%q) = %d, %v", s, c, err)
		}
	}
	for _, s := range []string{"", "8:30", "24:01", "12:60", "-1:00", "ab:cd", "12:3"} {
		if _, err := ParseClock(s); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("ParseClock(%q) err = %v, want KindInvalid", s, err)
		}
	}
	w, err := ParseWindow("22:00-02:00")
	if err != nil || w != (Window{1320, 120}) || !w.CrossesMidnight() || w.String() != "22:00-02:00" || w.length() != 240 {
		t.Errorf("ParseWindow = %+v, %v", w, err)
	}
	if _, err := ParseWindow("22:00"); err == nil {
		t.Error("ParseWindow without end succeeded")
	}
}

func validRules() Rules {
	return Rules{FacilityID: "fac-1", Timezone: "America/Chicago", Hours: allDay(), MaxCallLength: 15 * time.Minute}
}

func TestRulesValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Rules)
		field  string // "" if valid
	}{
		{"valid", func(*Rules) {}, ""},
		{"no hours", func(r *Rules) { r.Hours = Week{} }, ""},
		{"adjacent windows", func(r *Rules) {
			r.Hours[1] = []Window{{480, 600}, {600, 720}}
			r.Hours[2] = nil
		}, ""},
		{"midnight crossing into empty day", func(r *Rules) { r.Hours = Week{}; r.Hours[5] = []Window{{1320, 120}} }, ""},
		{"window to midnight", func(r *Rules) { r.Hours = Week{}; r.Hours[0] = []Window{{1320, 0}} }, ""},
		{"bad facility", func(r *Rules) { r.FacilityID = "" }, "facility_id"},
		{"unknown zone", func(r *Rules) { r.Timezone = "Mars/Olympus_Mons" }, "timezone"},
		{"local zone", func(r *Rules) { r.Timezone = "Local" }, "timezone"},
		{"empty window", func(r *Rules) { r.Hours[2] = []Window{{600, 600}} }, "hours.tuesday[0]"},
		{"start 24:00", func(r *Rules) { r.Hours[2] = []Window{{EndOfDay, 60}} }, "hours.tuesday[0]"},
		{"negative start", func(r *Rules) { r.Hours[2] = []Window{{-1, 60}} }, "hours.tuesday[0]"},
		{"end past 24:00", func(r *Rules) { r.Hours[2] = []Window{{60, EndOfDay + 1}} }, "hours.tuesday[0]"},
		{"overlap same day", func(r *Rules) {
			r.Hours = Week{}
			r.Hours[3] = []Window{{480, 720}, {700, 800}}
		}, "hours.wednesday[1]"},
		{"overlap across midnight", func(r *Rules) {
			r.Hours = Week{}
			r.Hours[3] = []Window{{1320, 120}}
			r.Hours[4] = []Window{{60, 180}}
		}, "hours.thursday[0]"},
		{"overlap across the week end", func(r *Rules) {
			r.Hours = Week{}
			r.Hours[0] = []Window{{0, 60}}
			r.Hours[6] = []Window{{1380, 30}}
		}, "hours.saturday[0]"},
		{"too many windows", func(r *Rules) { r.Hours[1] = make([]Window, MaxWindowsPerDay+1) }, "hours.monday"},
		{"zero max", func(r *Rules) { r.MaxCallLength = 0 }, "max_call_length"},
		{"negative max", func(r *Rules) { r.MaxCallLength = -time.Minute }, "max_call_length"},
		{"huge max", func(r *Rules) { r.MaxCallLength = MaxCallCeiling + 1 }, "max_call_length"},
		{"negative gap", func(r *Rules) { r.MinGap = -1 }, "min_gap"},
		{"negative quota", func(r *Rules) { r.MonthlyQuota = -time.Minute }, "monthly_quota"},
		{"negative concurrency", func(r *Rules) { r.MaxConcurrent = -1 }, "max_concurrent"},
		{"negative PIN threshold", func(r *Rules) { r.PINMaxFailures = -1 }, "pin_max_failures"},
		{"threshold without lockout", func(r *Rules) { r.PINMaxFailures = 3 }, "pin_lockout"},
		{"negative lockout", func(r *Rules) { r.PINLockout = -time.Minute }, "pin_lockout"},
		{"bad blocked number", func(r *Rules) { r.BlockedNumbers = []parley.Number{"+15551234567", "555"} }, "blocked_numbers[1]"},
		{"bad prefix", func(r *Rules) { r.BlockedPrefixes = []string{"1900"} }, "blocked_prefixes[0]"},
		{"prefix with zero", func(r *Rules) { r.BlockedPrefixes = []string{"+0"} }, "blocked_prefixes[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRules()
			tt.change(&r)
			err := r.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var pe *parley.Error
			if !errors.As(err, &pe) || pe.Op != "policy.Rules.Validate" || pe.Kind != parley.KindInvalid ||
				!strings.HasPrefix(pe.Message, tt.field) {
				t.Fatalf("Validate() = %v, want KindInvalid naming %s", err, tt.field)
			}
		})
	}
}

func TestInmateValidate(t *testing.T) {
	tests := []struct {
		name  string
		in    Inmate
		field string
	}{
		{"valid", Inmate{Allowed: []AllowedNumber{{Number: dialed, MaxCallLength: time.Minute}}}, ""},
		{"bad number", Inmate{Allowed: []AllowedNumber{{Number: "+0123456789"}}}, "allowed[0].number"},
		{"duplicate", Inmate{Allowed: []AllowedNumber{{Number: dialed}, {Number: dialed}}}, "allowed[1].number"},
		{"negative number max", Inmate{Allowed: []AllowedNumber{{Number: dialed, MaxCallLength: -1}}}, "allowed[0].max_call_length"},
		{"negative max", Inmate{MaxCallLength: -1}, "max_call_length"},
		{"negative quota", Inmate{MonthlyQuota: -1}, "monthly_quota"},
		{"negative failures", Inmate{PINFailures: -1}, "pin_failures"},
	}
	for _, tt := range tests {
		err := tt.in.Validate()
		if tt.field == "" && err != nil || tt.field != "" && (!parley.IsKind(err, parley.KindInvalid) ||
			!strings.Contains(err.Error(), "policy.Inmate.Validate: "+tt.field+":")) {
			t.Errorf("%s: Validate() = %v, want field %q", tt.name, err, tt.field)
		}
	}
}

func TestMessagesCarryNoNumbers(t *testing.T) {
	r := validRules()
	r.BlockedNumbers = []parley.Number{"+1555"}
	in := Inmate{Allowed: []AllowedNumber{{Number: "+15551234567"}, {Number: "+15551234567"}}}
	for _, err := range []error{r.Validate(), in.Validate()} {
		if err == nil || strings.Contains(err.Error(), "555") {
			t.Errorf("error %v: want one without the number", err)
		}
	}
}

// TestDefaultRules: a new facility's rules validate and say what the README documents:
// every day 07:00–22:00 in the facility's zone, 15-minute calls, no gap, no quota, the
// allowed list only, 5 wrong PINs lock for 15 minutes.
func TestDefaultRules(t *testing.T) {
	r := DefaultRules("cnty", "America/Chicago")
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	for d, ws := range r.Hours {
		if len(ws) != 1 || ws[0].String() != "07:00-22:00" {
			t.Errorf("day %d: %v", d, ws)
		}
	}
	if r.MaxCallLength != 15*time.Minute || r.MinGap != 0 || r.MonthlyQuota != 0 || r.MaxConcurrent != 0 ||
		r.OpenDialing || r.Lockdown || r.PINMaxFailures != 5 || r.PINLockout != 15*time.Minute || r.Timezone != "America/Chicago" {
		t.Errorf("defaults %+v", r)
	}
	// 21:59 Chicago time is inside, 22:00 and 06:59 are not.
	chicago, _ := time.LoadLocation("America/Chicago")
	for _, tc := range []struct {
		at   time.Time
		open bool
	}{
		{time.Date(2026, 11, 23, 21, 59, 0, 0, chicago), true},
		{time.Date(2026, 11, 23, 22, 0, 0, 0, chicago), false},
		{time.Date(2026, 11, 29, 6, 59, 0, 0, chicago), false},
		{time.Date(2026, 11, 29, 7, 0, 0, 0, chicago), true},
	} {
		if open := r.Hours.inHours(tc.at, chicago); open != tc.open {
			t.Errorf("%s: open %t, want %t", tc.at, open, tc.open)
		}
	}
}
