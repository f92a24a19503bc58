package policy

import (
	"slices"
	"testing"
	"time"

	"parley.dev/parley"
)

var fuzzZones = []string{"", "UTC", "America/Chicago", "Europe/London", "Australia/Lord_Howe",
	"Asia/Kolkata", "America/Santiago", "Pacific/Chatham", "Nowhere/Special"}

// Flags of FuzzEvaluate.
const (
	fzLockdown = 1 << iota
	fzLockdownEnded
	fzPINVerified
	fzNoInmate
	fzPINLocked
	fzOpenDialing
	fzListed
	fzBlocked
	fzSelfBlockAll
	fzSelfBlockHere
	fzSelfBlockElsewhere
)

var fuzzBase = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// fuzzDur turns fuzz seconds into a duration that may be negative or beyond the ceilings
// but never overflows.
func fuzzDur(sec int64) time.Duration { return time.Duration(sec%(40*24*3600)) * time.Second }

// fuzzHours reads 5-byte windows: weekday, start and end (big-endian, mod 1500 so some are
// out of range).
func fuzzHours(b []byte) Week {
	var wk Week
	for ; len(b) >= 5; b = b[5:] {
		d := int(b[0]) % 7
		start := Clock((int(b[1])<<8 | int(b[2])) % 1500)
		end := Clock((int(b[3])<<8 | int(b[4])) % 1500)
		wk[d] = append(wk[d], Window{Start: start, End: end})
	}
	return wk
}

// FuzzEvaluate checks Evaluate's invariants on arbitrary facts: it never panics; it
// refuses invalid facts with invalid_input; a refusal has a known reason and a prompt and
// no duration; an allowed call has 0 < MaxDuration <= every configured limit, and the
// calling hours are open throughout it.
func FuzzEvaluate(f *testing.F) {
	f.Add(int64(836_000_000*time.Second), uint8(2), []byte{0, 0, 0, 5, 160}, int64(1800), int64(0), int64(0),
		int64(600), int64(18000), int64(0), int64(3600), int64(7200), 5, 0, 0, uint16(fzPINVerified|fzListed),
		"+15551234567", "+1900")
	f.Fuzz(func(t *testing.T, now int64, zone uint8, hours []byte, maxLen, inmateMax, numberMax,
		gap, quota, inmateQuota, used, lastAgo int64, concurrent, facActive, inmActive int,
		flags uint16, dialedS, prefix string) {
		dialed := parley.Number(dialedS)
		if now < 0 {
			now = -(now + 1)
		}
		fx := Facts{
			Now: fuzzBase.Add(time.Duration(now % int64(100*365*24*time.Hour))),
			Rules: Rules{
				FacilityID: "fac-1", Timezone: fuzzZones[int(zone)%len(fuzzZones)], Hours: fuzzHours(hours),
				MaxCallLength: fuzzDur(maxLen), MinGap: fuzzDur(gap), MonthlyQuota: fuzzDur(quota),
				Lockdown: flags&fzLockdown != 0, MaxConcurrent: concurrent, OpenDialing: flags&fzOpenDialing != 0,
				PINMaxFailures: 3, PINLockout: time.Minute, BlockedPrefixes: []string{prefix},
			},
			PINVerified:    flags&fzPINVerified != 0,
			Dialed:         dialed,
			UsedThisMonth:  fuzzDur(used),
			FacilityActive: facActive,
			InmateActive:   inmActive,
		}
		if flags&fzLockdownEnded != 0 {
			fx.Rules.LockdownUntil = fx.Now.Add(-time.Second)
		}
		if lastAgo != 0 {
			fx.LastCallEnd = fx.Now.Add(-fuzzDur(lastAgo))
		}
		if flags&fzNoInmate == 0 {
			fx.Inmate = &Inmate{ID: "inm-1", MaxCallLength: fuzzDur(inmateMax), MonthlyQuota: fuzzDur(inmateQuota)}
			if flags&fzPINLocked != 0 {
				fx.Inmate.LockedUntil = fx.Now.Add(time.Second)
			}
			if flags&fzListed != 0 {
				fx.Inmate.Allowed = []AllowedNumber{{Number: dialed, MaxCallLength: fuzzDur(numberMax)}}
			}
		}
		if flags&fzBlocked != 0 {
			fx.Rules.BlockedNumbers = []parley.Number{dialed}
		}
		for bit, scope := range map[uint16]string{fzSelfBlockAll: "", fzSelfBlockHere: "fac-1", fzSelfBlockElsewhere: "fac-2"} {
			if flags&bit != 0 {
				fx.SelfBlocks = append(fx.SelfBlocks, SelfBlock{Number: dialed, FacilityID: scope})
			}
		}

		d := Evaluate(fx)
		if again := Evaluate(fx); again != d {
			t.Fatalf("not deterministic: %+v then %+v", d, again)
		}
		if invalid := fx.Validate() != nil; invalid != (d.Reason == ReasonInvalidInput) {
			t.Fatalf("Validate() failed = %v but decision %+v", invalid, d)
		}
		if !d.Allow {
			if !slices.Contains(precedence, d.Reason) || d.Prompt != d.Reason.Prompt() || d.Prompt == "" ||
				d.MaxDuration != 0 || d.Limit != "" {
				t.Fatalf("bad refusal %+v", d)
			}
			return
		}
		checkAllowed(t, fx, d)
	})
}

// checkAllowed asserts an allowed decision respects every configured limit.
func checkAllowed(t *testing.T, fx Facts, d Decision) {
	t.Helper()
	r, in := &fx.Rules, fx.Inmate
	if d.Reason != ReasonNone || d.Prompt != "" || d.Limit == "" {
		t.Fatalf("allowed with reason, prompt or no limit: %+v", d)
	}
	if d.MaxDuration <= 0 || d.MaxDuration > r.MaxCallLength {
		t.Fatalf("MaxDuration %s outside (0, facility %s]", d.MaxDuration, r.MaxCallLength)
	}
	if in.MaxCallLength > 0 && d.MaxDuration > in.MaxCallLength {
		t.Fatalf("MaxDuration %s > inmate %s", d.MaxDuration, in.MaxCallLength)
	}
	if a, ok := in.allowed(fx.Dialed); ok && a.MaxCallLength > 0 && d.MaxDuration > a.MaxCallLength {
		t.Fatalf("MaxDuration %s > number %s", d.MaxDuration, a.MaxCallLength)
	} else if !ok && !r.OpenDialing {
		t.Fatal("allowed an unlisted number without open dialing")
	}
	quota := r.MonthlyQuota
	if in.MonthlyQuota > 0 {
		quota = in.MonthlyQuota
	}
	if quota > 0 && d.MaxDuration > quota-fx.UsedThisMonth {
		t.Fatalf("MaxDuration %s > quota left %s", d.MaxDuration, quota-fx.UsedThisMonth)
	}
	loc, _ := location(r.Timezone)
	for off := time.Duration(0); off < d.MaxDuration; off += time.Minute {
		if !r.Hours.inHours(fx.Now.Add(off), loc) {
			t.Fatalf("hours closed %s into a call of %s", off, d.MaxDuration)
		}
	}
	if !r.Hours.inHours(fx.Now.Add(d.MaxDuration-1), loc) {
		t.Fatalf("hours closed just before the end of a call of %s", d.MaxDuration)
	}
	if d.Limit == LimitHours && r.Hours.inHours(fx.Now.Add(d.MaxDuration), loc) {
		t.Fatalf("limited by hours but still open at %s", d.MaxDuration)
	}
	if !fx.PINVerified || in.Locked(fx.Now) || fx.InmateActive > 0 ||
		r.Lockdown && (r.LockdownUntil.IsZero() || fx.Now.Before(r.LockdownUntil)) {
		t.Fatalf("allowed despite PIN, lockdown or a call in progress: %+v", d)
	}
}
