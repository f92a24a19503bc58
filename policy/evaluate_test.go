package policy

import (
	"fmt"
	"slices"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the machine's zone database

	"parley.dev/parley"
)

const dialed parley.Number = "+15551234567"

// t0 is Wednesday 2026-04-15 12:00 in Chicago (CDT).
var t0 = time.Date(2026, 4, 15, 17, 0, 0, 0, time.UTC)

func allDay() Week {
	var wk Week
	for d := range wk {
		wk[d] = []Window{{Start: 0, End: EndOfDay}}
	}
	return wk
}

// baseFacts is a call every rule allows, with 30m the least limit (the facility's).
func baseFacts() Facts {
	return Facts{
		Now: t0,
		Rules: Rules{
			FacilityID: "fac-1", Timezone: "America/Chicago", Hours: allDay(),
			MaxCallLength: 30 * time.Minute, MinGap: 10 * time.Minute, MonthlyQuota: 300 * time.Minute,
			MaxConcurrent: 5, PINMaxFailures: 3, PINLockout: 15 * time.Minute,
			BlockedNumbers: []parley.Number{"+15550000000"}, BlockedPrefixes: []string{"+1900"},
		},
		Inmate:        &Inmate{ID: "inm-1", Allowed: []AllowedNumber{{Number: dialed}}},
		PINVerified:   true,
		Dialed:        dialed,
		UsedThisMonth: 100 * time.Minute,
		LastCallEnd:   t0.Add(-time.Hour),
		SelfBlocks:    []SelfBlock{{Number: "+15559999999"}},
	}
}

// causes makes exactly one reason apply to baseFacts; they compose.
var causes = map[Reason]func(*Facts){
	ReasonInvalidInput: func(f *Facts) { f.Rules.MaxCallLength = -time.Minute },
	ReasonLockdown:     func(f *Facts) { f.Rules.Lockdown = true },
	ReasonPINLocked:    func(f *Facts) { f.Inmate.LockedUntil = f.Now.Add(time.Minute) },
	ReasonPINInvalid:   func(f *Facts) { f.PINVerified = false },
	ReasonBlockedPrefix: func(f *Facts) {
		f.Rules.BlockedPrefixes = append(f.Rules.BlockedPrefixes, "+1555123")
	},
	ReasonBlockedFacility: func(f *Facts) { f.Rules.BlockedNumbers = append(f.Rules.BlockedNumbers, dialed) },
	ReasonBlockedByCalledParty: func(f *Facts) {
		f.SelfBlocks = append(f.SelfBlocks, SelfBlock{Number: dialed, FacilityID: "fac-1"})
	},
	ReasonNotAllowed:    func(f *Facts) { f.Inmate.Allowed = nil },
	ReasonQuotaExceeded: func(f *Facts) { f.UsedThisMonth = f.Rules.MonthlyQuota },
	ReasonOutsideHours:  func(f *Facts) { f.Rules.Hours = Week{} },
	ReasonInmateBusy:    func(f *Facts) { f.InmateActive = 1 },
	ReasonTooSoon:       func(f *Facts) { f.LastCallEnd = f.Now.Add(-9 * time.Minute) },
	ReasonFacilityBusy:  func(f *Facts) { f.FacilityActive = f.Rules.MaxConcurrent },
}

func TestEvaluateBaseAllows(t *testing.T) {
	d := Evaluate(baseFacts())
	want := Decision{Allow: true, MaxDuration: 30 * time.Minute, Limit: LimitFacility}
	if d != want {
		t.Fatalf("Evaluate(base) = %+v, want %+v", d, want)
	}
}

func TestEvaluateEachReason(t *testing.T) {
	if len(causes) != len(Precedence()) {
		t.Fatalf("%d causes for %d reasons", len(causes), len(Precedence()))
	}
	for _, r := range Precedence() {
		t.Run(string(r), func(t *testing.T) {
			f := baseFacts()
			causes[r](&f)
			d := Evaluate(f)
			want := Decision{Reason: r, Prompt: "refused_" + string(r)}
			if d != want {
				t.Errorf("got %+v, want %+v", d, want)
			}
		})
	}
}

// TestEvaluatePrecedence applies every pair of causes: the earlier reason must win.
func TestEvaluatePrecedence(t *testing.T) {
	p := Precedence()
	for i, first := range p {
		for _, second := range p[i+1:] {
			f := baseFacts()
			causes[second](&f)
			causes[first](&f)
			if d := Evaluate(f); d.Reason != first {
				t.Errorf("%s and %s: refused for %q, want %s", first, second, d.Reason, first)
			}
		}
	}
	want := []Reason{"invalid_input", "lockdown", "pin_locked", "pin_invalid", "blocked_prefix",
		"blocked_facility", "blocked_by_called_party", "not_allowed", "quota_exceeded",
		"outside_hours", "inmate_busy", "too_soon", "facility_busy"}
	if !slices.Equal(p, want) {
		t.Errorf("Precedence() = %v, want the documented %v", p, want)
	}
}

func TestEvaluateFacts(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Facts)
		want   Reason
	}{
		{"lockdown until passed", func(f *Facts) { f.Rules.Lockdown, f.Rules.LockdownUntil = true, f.Now }, ReasonNone},
		{"lockdown until future", func(f *Facts) { f.Rules.Lockdown, f.Rules.LockdownUntil = true, f.Now.Add(time.Nanosecond) }, ReasonLockdown},
		{"no inmate", func(f *Facts) { f.Inmate = nil }, ReasonPINInvalid},
		{"no inmate, PIN flag set", func(f *Facts) { f.Inmate, f.PINVerified = nil, true }, ReasonPINInvalid},
		{"lock expired", func(f *Facts) { f.Inmate.LockedUntil = f.Now }, ReasonNone},
		{"self-block other facility", func(f *Facts) {
			f.SelfBlocks = append(f.SelfBlocks, SelfBlock{Number: dialed, FacilityID: "fac-2"})
		}, ReasonNone},
		{"self-block all facilities", func(f *Facts) { f.SelfBlocks = append(f.SelfBlocks, SelfBlock{Number: dialed}) }, ReasonBlockedByCalledParty},
		{"prefix is whole number", func(f *Facts) { f.Rules.BlockedPrefixes = []string{string(dialed)} }, ReasonBlockedPrefix},
		{"prefix longer than number", func(f *Facts) { f.Rules.BlockedPrefixes = []string{string(dialed) + "1"} }, ReasonNone},
		{"open dialing", func(f *Facts) { f.Inmate.Allowed, f.Rules.OpenDialing = nil, true }, ReasonNone},
		{"open dialing still blocks", func(f *Facts) {
			f.Inmate.Allowed, f.Rules.OpenDialing = nil, true
			f.Rules.BlockedNumbers = []parley.Number{dialed}
		}, ReasonBlockedFacility},
		{"dialed not E.164", func(f *Facts) { f.Dialed, f.Rules.OpenDialing = "5551234567", true }, ReasonNotAllowed},
		{"quota one second left", func(f *Facts) { f.UsedThisMonth = f.Rules.MonthlyQuota - time.Second }, ReasonNone},
		{"quota over", func(f *Facts) { f.UsedThisMonth = 2 * f.Rules.MonthlyQuota }, ReasonQuotaExceeded},
		{"no quota", func(f *Facts) { f.Rules.MonthlyQuota, f.UsedThisMonth = 0, 1000*time.Hour }, ReasonNone},
		{"gap exactly over", func(f *Facts) { f.LastCallEnd = f.Now.Add(-f.Rules.MinGap) }, ReasonNone},
		{"gap one ns short", func(f *Facts) { f.LastCallEnd = f.Now.Add(-f.Rules.MinGap + 1) }, ReasonTooSoon},
		{"no gap, last call just ended", func(f *Facts) { f.Rules.MinGap, f.LastCallEnd = 0, f.Now }, ReasonNone},
		{"last call ends in future", func(f *Facts) { f.Rules.MinGap, f.LastCallEnd = 0, f.Now.Add(time.Second) }, ReasonTooSoon},
		{"never called", func(f *Facts) { f.LastCallEnd = time.Time{} }, ReasonNone},
		{"one line free", func(f *Facts) { f.FacilityActive = f.Rules.MaxConcurrent - 1 }, ReasonNone},
		{"no concurrency limit", func(f *Facts) { f.Rules.MaxConcurrent, f.FacilityActive = 0, 1000 }, ReasonNone},
		{"zero now", func(f *Facts) { f.Now = time.Time{} }, ReasonInvalidInput},
		{"negative used", func(f *Facts) { f.UsedThisMonth = -1 }, ReasonInvalidInput},
		{"negative active", func(f *Facts) { f.FacilityActive = -1 }, ReasonInvalidInput},
		{"bad inmate state", func(f *Facts) { f.Inmate.MaxCallLength = -1 }, ReasonInvalidInput},
		{"bad self-block", func(f *Facts) { f.SelfBlocks = []SelfBlock{{Number: "x"}} }, ReasonInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := baseFacts()
			tt.change(&f)
			if d := Evaluate(f); d.Reason != tt.want || d.Allow != (tt.want == ReasonNone) {
				t.Errorf("got %+v, want reason %q", d, tt.want)
			}
		})
	}
}

func TestEvaluateMaxDuration(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Facts)
		want   time.Duration
		limit  Limit
	}{
		{"facility", func(f *Facts) {}, 30 * time.Minute, LimitFacility},
		{"inmate", func(f *Facts) { f.Inmate.MaxCallLength = 20 * time.Minute }, 20 * time.Minute, LimitInmate},
		{"inmate longer than facility", func(f *Facts) { f.Inmate.MaxCallLength = time.Hour }, 30 * time.Minute, LimitFacility},
		{"number", func(f *Facts) {
			f.Inmate.MaxCallLength = 20 * time.Minute
			f.Inmate.Allowed[0].MaxCallLength = 15 * time.Minute
		}, 15 * time.Minute, LimitNumber},
		{"quota", func(f *Facts) {
			f.Inmate.Allowed[0].MaxCallLength = 15 * time.Minute
			f.UsedThisMonth = f.Rules.MonthlyQuota - 7*time.Minute - 30*time.Second
		}, 7*time.Minute + 30*time.Second, LimitQuota},
		{"inmate quota replaces facility's", func(f *Facts) {
			f.Inmate.MonthlyQuota = 1000 * time.Minute
			f.UsedThisMonth = 990 * time.Minute
		}, 10 * time.Minute, LimitQuota},
		{"hours", func(f *Facts) {
			f.UsedThisMonth = f.Rules.MonthlyQuota - 7*time.Minute
			f.Rules.Hours[time.Wednesday] = []Window{{Start: 11 * 60, End: 12*60 + 5}}
		}, 5 * time.Minute, LimitHours},
		{"hours to the second", func(f *Facts) {
			f.Now = f.Now.Add(4*time.Minute + 59*time.Second + 500*time.Millisecond)
			f.Rules.Hours[time.Wednesday] = []Window{{Start: 11 * 60, End: 12*60 + 5}}
		}, 500 * time.Millisecond, LimitHours},
		{"equal limits name the first", func(f *Facts) {
			f.Inmate.MaxCallLength = 30 * time.Minute
			f.Rules.Hours[time.Wednesday] = []Window{{Start: 11 * 60, End: 12*60 + 30}}
		}, 30 * time.Minute, LimitFacility},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := baseFacts()
			tt.change(&f)
			d := Evaluate(f)
			if !d.Allow || d.MaxDuration != tt.want || d.Limit != tt.limit {
				t.Errorf("got %+v, want allow %s by %s", d, tt.want, tt.limit)
			}
		})
	}
}

func TestReasonPrompt(t *testing.T) {
	if p := ReasonNone.Prompt(); p != "" {
		t.Errorf("ReasonNone.Prompt() = %q", p)
	}
	if p := ReasonOutsideHours.Prompt(); p != "refused_outside_hours" {
		t.Errorf("ReasonOutsideHours.Prompt() = %q", p)
	}
}

func TestEvaluateDoesNotModifyFacts(t *testing.T) {
	f := baseFacts()
	before := fmt.Sprintf("%+v %+v", f, *f.Inmate)
	Evaluate(f)
	if after := fmt.Sprintf("%+v %+v", f, *f.Inmate); after != before {
		t.Errorf("Evaluate changed its facts:\n%s\n%s", before, after)
	}
}
