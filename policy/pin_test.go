package policy

import (
	"testing"
	"time"
)

func TestRegisterPINFailure(t *testing.T) {
	rules := Rules{PINMaxFailures: 3, PINLockout: 15 * time.Minute}
	now := t0
	var s Inmate
	for i := 1; i <= 2; i++ {
		var locked bool
		if s, locked = RegisterPINFailure(s, now, rules); locked || s.PINFailures != i {
			t.Fatalf("failure %d: locked=%v failures=%d", i, locked, s.PINFailures)
		}
	}
	s, locked := RegisterPINFailure(s, now, rules)
	if !locked || s.PINFailures != 0 || !s.LockedUntil.Equal(now.Add(15*time.Minute)) {
		t.Fatalf("third failure: locked=%v state=%+v", locked, s)
	}
	// A failure during the lockout neither counts nor extends it.
	during, locked := RegisterPINFailure(s, now.Add(10*time.Minute), rules)
	if !locked || during.PINFailures != s.PINFailures || !during.LockedUntil.Equal(s.LockedUntil) {
		t.Errorf("failure while locked: %+v, %v; want unchanged", during, locked)
	}
	if !s.Locked(now.Add(15*time.Minute-time.Nanosecond)) || s.Locked(now.Add(15*time.Minute)) {
		t.Error("lockout does not end exactly at LockedUntil")
	}
	// After expiry the inmate has the full number of tries again.
	later := now.Add(time.Hour)
	s, locked = RegisterPINFailure(s, later, rules)
	if locked || s.PINFailures != 1 {
		t.Errorf("first failure after expiry: locked=%v failures=%d", locked, s.PINFailures)
	}
	s = ResetPINFailures(Inmate{ID: "x", PINFailures: 2, LockedUntil: later})
	if s.PINFailures != 0 || !s.LockedUntil.IsZero() || s.ID != "x" || s.Locked(later.Add(-time.Hour)) {
		t.Errorf("ResetPINFailures = %+v", s)
	}
}

func TestRegisterPINFailureNeverLocks(t *testing.T) {
	var s Inmate
	for range 2 * MaxPINFailures {
		var locked bool
		if s, locked = RegisterPINFailure(s, t0, Rules{}); locked {
			t.Fatal("locked with PINMaxFailures 0")
		}
	}
	if s.PINFailures != MaxPINFailures {
		t.Errorf("failures = %d, want the count to stop at %d", s.PINFailures, MaxPINFailures)
	}
}

func TestRegisterPINFailureThresholdOne(t *testing.T) {
	s, locked := RegisterPINFailure(Inmate{}, t0, Rules{PINMaxFailures: 1, PINLockout: time.Minute})
	if !locked || !s.Locked(t0) {
		t.Errorf("threshold 1: %+v, %v", s, locked)
	}
}
