package callpolicy_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/callpolicy"
	"parley.dev/parley/fieldcrypt"
	"parley.dev/parley/pin"
	"parley.dev/parley/policy"
	"parley.dev/parley/sqldb"
	"parley.dev/parley/sqlite"
)

const (
	fac     = "cnty"
	dev     = "pod-a-1"
	goodPIN = "7391548"
	friend  = parley.Number("+12015550123") // on the allowed list, 10-minute cap
	other   = parley.Number("+12015550124") // not on the list
)

// monday noon in Chicago, inside the calling hours.
var monday = time.Date(2026, 11, 23, 12, 0, 0, 0, mustLoc("America/Chicago"))

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

type active struct{ facility, inmate int }

func (a *active) ActiveCalls(string, string) (int, int) { return a.facility, a.inmate }

type fixture struct {
	db     *sqldb.DB
	svc    *callpolicy.Service
	rules  policy.Rules
	active *active
	logs   *bytes.Buffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	k1, k2 := make([]byte, 32), make([]byte, 32)
	rand.Read(k1)
	rand.Read(k2)
	fc, err := fieldcrypt.New(k1, k2)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"), fc, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	must(t, db.CreateFacility(ctx, &parley.Facility{ID: fac, Name: "County", Type: parley.FacilityJail, Timezone: "America/Chicago"}))
	must(t, db.CreateInmate(ctx, &parley.Inmate{FacilityID: fac, ID: "A1001", Name: "Marisol Quintanilla"}))
	hash, err := pin.Hash(goodPIN)
	must(t, err)
	must(t, db.SetInmatePIN(ctx, fac, "A1001", hash, goodPIN))
	must(t, db.AddAllowedNumber(ctx, &parley.AllowedNumber{FacilityID: fac, InmateID: "A1001", Number: friend, MaxCallLength: 10 * time.Minute}))
	r := policy.Rules{FacilityID: fac, MaxCallLength: 15 * time.Minute, MinGap: 5 * time.Minute,
		MonthlyQuota: 600 * time.Minute, PINMaxFailures: 3, PINLockout: 30 * time.Minute}
	for d := range r.Hours {
		r.Hours[d] = []policy.Window{{Start: 8 * 60, End: 22 * 60}}
	}
	must(t, db.SetCallRules(ctx, r))
	f := &fixture{db: db, rules: r, active: &active{}, logs: &bytes.Buffer{}}
	f.svc = &callpolicy.Service{Store: db, Active: f.active,
		Logger: slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug,
			// The timestamp is dropped: a short wrong PIN such as "12" would
			// otherwise match the clock and fail the personal-data check by chance.
			ReplaceAttr: dropTime}))}
	return f
}

func dropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) decide(t *testing.T, pinCode, dialed string, now time.Time) (policy.Decision, callpolicy.InmateRef) {
	t.Helper()
	d, ref, err := f.svc.Decide(context.Background(), fac, dev, pinCode, dialed, now)
	if err != nil {
		t.Fatalf("Decide: %v", err)
	}
	if strings.Contains(f.logs.String(), "555") || strings.Contains(f.logs.String(), pinCode) && pinCode != "" {
		t.Fatalf("the log carries a number or a PIN: %s", f.logs.String())
	}
	return d, ref
}

func wantReason(t *testing.T, what string, d policy.Decision, r policy.Reason) {
	t.Helper()
	if d.Reason != r || d.Allow != (r == policy.ReasonNone) {
		t.Fatalf("%s: decision %+v, want reason %q", what, d, r)
	}
}

func TestAllowedCall(t *testing.T) {
	f := newFixture(t)
	d, ref := f.decide(t, goodPIN, "(201) 555-0123", monday)
	wantReason(t, "allowed", d, policy.ReasonNone)
	if d.MaxDuration != 10*time.Minute || d.Limit != policy.LimitNumber {
		t.Fatalf("limit = %v %s, want the number's 10m", d.MaxDuration, d.Limit)
	}
	if ref.ID != "A1001" || ref.Name != "Marisol Quintanilla" || ref.FacilityID != fac {
		t.Fatalf("ref = %+v", ref)
	}
	if n, ok := f.svc.Number("(201) 555-0123"); !ok || n != friend {
		t.Fatalf("Number = %v %t", n, ok)
	}
	if _, ok := f.svc.Number("12"); ok {
		t.Fatal("Number accepted 12")
	}
	d, _ = f.decide(t, goodPIN, string(other), monday)
	wantReason(t, "not on list", d, policy.ReasonNotAllowed)
	d, _ = f.decide(t, goodPIN, "12", monday)
	wantReason(t, "not a number", d, policy.ReasonNotAllowed)
	d, _ = f.decide(t, goodPIN, string(friend), monday.Add(11*time.Hour))
	wantReason(t, "23:00", d, policy.ReasonOutsideHours)

	f.rules.OpenDialing = true
	must(t, f.db.SetCallRules(context.Background(), f.rules))
	d, _ = f.decide(t, goodPIN, string(other), monday)
	wantReason(t, "open dialing", d, policy.ReasonNone)
	if d.Limit != policy.LimitFacility {
		t.Fatalf("open dialing limit = %s, want facility", d.Limit)
	}
}

func TestBlocks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	must(t, f.db.AddSelfBlock(ctx, &parley.SelfBlock{Number: friend, FacilityID: "elsewhere"}))
	d, _ := f.decide(t, goodPIN, string(friend), monday)
	wantReason(t, "self-block for another facility", d, policy.ReasonNone)
	must(t, f.db.AddSelfBlock(ctx, &parley.SelfBlock{Number: friend}))
	d, _ = f.decide(t, goodPIN, string(friend), monday)
	wantReason(t, "self-block", d, policy.ReasonBlockedByCalledParty)
	must(t, f.db.AddBlockedNumber(ctx, fac, friend))
	d, _ = f.decide(t, goodPIN, string(friend), monday)
	wantReason(t, "facility block", d, policy.ReasonBlockedFacility)
	must(t, f.db.AddBlockedPrefix(ctx, fac, "+1201"))
	d, _ = f.decide(t, goodPIN, string(friend), monday)
	wantReason(t, "prefix", d, policy.ReasonBlockedPrefix)
}

func TestWrongPINsLockTheDevice(t *testing.T) {
	f := newFixture(t)
	for i, p := range []string{"1111111", "12", "2222222"} {
		d, ref := f.decide(t, p, string(friend), monday.Add(time.Duration(i)*time.Second))
		if ref != (callpolicy.InmateRef{}) {
			t.Fatalf("wrong PIN gave an inmate")
		}
		wantReason(t, "wrong PIN", d, policy.ReasonPINInvalid)
	}
	d, _ := f.decide(t, goodPIN, string(friend), monday.Add(time.Minute))
	wantReason(t, "right PIN on a locked device", d, policy.ReasonPINLocked)
	d, _ = f.decide(t, goodPIN, string(friend), monday.Add(31*time.Minute))
	wantReason(t, "after the lockout", d, policy.ReasonNone)
	// Another device is not locked.
	dd, _, err := f.svc.Decide(context.Background(), fac, "pod-b-1", goodPIN, string(friend), monday.Add(time.Minute))
	must(t, err)
	wantReason(t, "other device", dd, policy.ReasonNone)
}

func TestWrongPINsLockTheInmate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// The index says this PIN is A1001's, but the hash is another PIN's: the verification
	// fails and the failure is charged to the inmate.
	hash, err := pin.Hash("5555555")
	must(t, err)
	must(t, f.db.SetInmatePIN(ctx, fac, "A1001", hash, goodPIN))
	for i := range 3 {
		d, _, err := f.svc.Decide(ctx, fac, "pod-"+string(rune('c'+i)), goodPIN, string(friend), monday)
		must(t, err)
		if d.Allow {
			t.Fatalf("attempt %d allowed", i)
		}
	}
	st, err := f.db.PINState(ctx, fac, parley.PINSubject{InmateID: "A1001"})
	must(t, err)
	if !monday.Before(st.LockedUntil) {
		t.Fatalf("inmate not locked: %+v", st)
	}
	must(t, f.db.SetInmatePIN(ctx, fac, "A1001", hash, "5555555"))
	d, _, err := f.svc.Decide(ctx, fac, "pod-z", "5555555", string(friend), monday.Add(time.Minute))
	must(t, err)
	wantReason(t, "locked inmate", d, policy.ReasonPINLocked)
	d, _, err = f.svc.Decide(ctx, fac, "pod-z", "5555555", string(friend), monday.Add(31*time.Minute))
	must(t, err)
	wantReason(t, "after the lockout", d, policy.ReasonNone)
	st, err = f.db.PINState(ctx, fac, parley.PINSubject{InmateID: "A1001"})
	must(t, err)
	if st != (parley.PINState{}) {
		t.Fatalf("a right PIN did not clear the inmate's state: %+v", st)
	}
}

func TestUsageGapAndActive(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	addCall := func(at time.Time, d time.Duration) {
		must(t, f.db.CreateCall(ctx, &parley.CallRecord{FacilityID: fac, InmateID: "A1001", DeviceID: dev, Number: friend,
			StartedAt: at, Duration: d, Status: parley.CallCompleted, Recording: parley.RecordingNone, Source: "sip"}))
	}
	early := time.Date(2026, 11, 3, 10, 0, 0, 0, monday.Location())
	addCall(early, 594*time.Minute) // earlier this month, 6 minutes left
	d, _ := f.decide(t, goodPIN, string(friend), monday)
	wantReason(t, "quota nearly spent", d, policy.ReasonNone)
	if d.Limit != policy.LimitQuota || d.MaxDuration != 6*time.Minute {
		t.Fatalf("limit = %s %v, want the quota's 6m", d.Limit, d.MaxDuration)
	}
	d, _ = f.decide(t, goodPIN, string(friend), early.Add(596*time.Minute))
	wantReason(t, "last call ended 2 minutes ago", d, policy.ReasonTooSoon)
	addCall(monday.Add(time.Hour), 6*time.Minute)
	d, _ = f.decide(t, goodPIN, string(friend), monday.Add(2*time.Hour))
	wantReason(t, "quota spent", d, policy.ReasonQuotaExceeded)
	d, _ = f.decide(t, goodPIN, string(friend), time.Date(2026, 12, 1, 12, 0, 0, 0, monday.Location()))
	wantReason(t, "new month", d, policy.ReasonNone)

	f.active.inmate = 1
	d, _ = f.decide(t, goodPIN, string(friend), time.Date(2026, 12, 1, 12, 0, 0, 0, monday.Location()))
	wantReason(t, "inmate busy", d, policy.ReasonInmateBusy)
	f.active.inmate, f.active.facility = 0, 2
	f.rules.MaxConcurrent = 2
	must(t, f.db.SetCallRules(ctx, f.rules))
	d, _ = f.decide(t, goodPIN, string(friend), time.Date(2026, 12, 1, 12, 0, 0, 0, monday.Location()))
	wantReason(t, "facility busy", d, policy.ReasonFacilityBusy)
}

func TestLockdownAndMissingRules(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.rules.Lockdown = true
	must(t, f.db.SetCallRules(ctx, f.rules))
	d, _ := f.decide(t, "0000", string(friend), monday)
	wantReason(t, "lockdown", d, policy.ReasonLockdown)
	st, err := f.db.PINState(ctx, fac, parley.PINSubject{DeviceID: dev})
	must(t, err)
	if st.Failures != 0 {
		t.Fatal("a PIN was looked at during lockdown")
	}
	d, _, err = f.svc.Decide(ctx, "nowhere", dev, goodPIN, string(friend), monday)
	if !parley.IsKind(err, parley.KindNotFound) || d.Allow {
		t.Fatalf("unknown facility: %+v, %v", d, err)
	}
}
