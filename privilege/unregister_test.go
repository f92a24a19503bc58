package privilege_test

import (
	"context"
	"slices"
	"testing"

	"parley.dev/parley"
)

func selfEntry(holder string) *parley.PrivilegedNumber {
	return &parley.PrivilegedNumber{Number: attorney, Kind: parley.PrivilegeAttorney, Source: parley.SourceSelfRegistration,
		Holder: holder, Name: "Jane Counsel"}
}

// TestUnregisterLastClaimEndsPrivilege: an attorney's own registration ended, the number
// is recorded again from now on; what was destroyed stays destroyed; the audit names the
// entry and the source, never the number or the name.
func TestUnregisterLastClaimEndsPrivilege(t *testing.T) {
	f := newFixture(t)
	f.store.recordings[attorney] = []string{"r1"}
	ctx := parley.NewContextWithActor(context.Background(), "public:acct1")
	p := selfEntry("acct1")
	if _, err := f.reg.Register(ctx, p); err != nil {
		t.Fatal(err)
	}
	removed, err := f.reg.Unregister(ctx, p.ID, parley.PrivilegeClaim{Source: parley.SourceSelfRegistration, Holder: "acct1"})
	if err != nil || !removed {
		t.Fatalf("Unregister: %v %v, want removed", removed, err)
	}
	v, err := f.reg.MayRecord(ctx, parley.CallParties{Number: attorney})
	if err != nil || !v.Record {
		t.Errorf("after the last claim: verdict %+v %v, want record", v, err)
	}
	if !slices.Equal(f.destroyer.got, []string{"r1"}) || len(f.store.recordings[attorney]) != 0 || !f.store.marked[attorney] {
		t.Errorf("earlier destruction undone: destroyed %v, left %v", f.destroyer.got, f.store.recordings[attorney])
	}
	if got := f.auditor.actions(); !slices.Equal(got, []string{"privileged.add", "privileged.release", "privileged.remove"}) {
		t.Fatalf("audit actions = %v", got)
	}
	for _, e := range f.auditor.events[1:] {
		if e.Object != "privileged:"+p.ID || e.Actor != "public:acct1" || e.Outcome != parley.OutcomeOK {
			t.Errorf("event %+v", e)
		}
		assertNoPersonalData(t, e.Object+e.Detail, attorney, "Jane Counsel")
	}
}

// TestUnregisterKeepsOtherClaims: a number staff registered too, or another attorney,
// stays privileged when one attorney gives it up.
func TestUnregisterKeepsOtherClaims(t *testing.T) {
	for name, other := range map[string]*parley.PrivilegedNumber{
		"staff":          {Number: attorney, Kind: parley.PrivilegeAttorney, Source: parley.SourceStaff},
		"directory":      {Number: attorney, Kind: parley.PrivilegeAttorney, Source: parley.SourceDirectoryImport},
		"other attorney": selfEntry("acct2"),
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			p := selfEntry("acct1")
			if _, err := f.reg.Register(ctx, p); err != nil {
				t.Fatal(err)
			}
			if _, err := f.reg.Register(ctx, other); !parley.IsKind(err, parley.KindConflict) {
				t.Fatalf("second registration: %v", err)
			}
			removed, err := f.reg.Unregister(ctx, p.ID, parley.PrivilegeClaim{Source: parley.SourceSelfRegistration, Holder: "acct1"})
			if err != nil || removed {
				t.Fatalf("Unregister: %v %v, want kept", removed, err)
			}
			v, err := f.reg.MayRecord(ctx, parley.CallParties{Number: attorney})
			if err != nil || v.Record {
				t.Errorf("verdict %+v %v, want still privileged", v, err)
			}
			if got := f.auditor.actions(); slices.Contains(got, "privileged.remove") {
				t.Errorf("audit actions = %v", got)
			}
		})
	}
}

// TestRegisterAfterRemovalRegistersAfresh: the number registered again after its removal
// is a new entry, swept again.
func TestRegisterAfterRemovalRegistersAfresh(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := selfEntry("acct1")
	if _, err := f.reg.Register(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := f.reg.Unregister(ctx, p.ID, parley.PrivilegeClaim{Source: parley.SourceSelfRegistration, Holder: "acct1"}); err != nil {
		t.Fatal(err)
	}
	f.store.recordings[attorney] = []string{"after"}
	q := selfEntry("acct1")
	n, err := f.reg.Register(ctx, q)
	if err != nil || n != 1 || q.ID == "" {
		t.Fatalf("register again: %d %v", n, err)
	}
}

func TestUnregisterBadInput(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := selfEntry("acct1")
	if _, err := f.reg.Register(ctx, p); err != nil {
		t.Fatal(err)
	}
	before := len(f.auditor.events)
	for name, tc := range map[string]struct {
		id string
		c  parley.PrivilegeClaim
	}{
		"bad id":            {"../x", parley.PrivilegeClaim{Source: parley.SourceStaff}},
		"unknown source":    {p.ID, parley.PrivilegeClaim{Source: "rumour"}},
		"self no holder":    {p.ID, parley.PrivilegeClaim{Source: parley.SourceSelfRegistration}},
		"staff with holder": {p.ID, parley.PrivilegeClaim{Source: parley.SourceStaff, Holder: "acct1"}},
	} {
		if _, err := f.reg.Unregister(ctx, tc.id, tc.c); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("%s: %v, want KindInvalid", name, err)
		}
	}
	if len(f.auditor.events) != before {
		t.Error("bad input was audited as an attempt")
	}
	// Another attorney's claim that does not exist: not found, audited as an error.
	_, err := f.reg.Unregister(ctx, p.ID, parley.PrivilegeClaim{Source: parley.SourceSelfRegistration, Holder: "acct2"})
	if !parley.IsKind(err, parley.KindNotFound) {
		t.Fatalf("someone else's claim: %v, want KindNotFound", err)
	}
	if last := f.auditor.events[len(f.auditor.events)-1]; last.Outcome != parley.OutcomeError {
		t.Errorf("last event %+v, want an error outcome", last)
	}
	if v, _ := f.reg.MayRecord(ctx, parley.CallParties{Number: attorney}); v.Record {
		t.Error("a refused removal unprotected the number")
	}
}

func TestUnregisterAuditDownRemovesNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := selfEntry("acct1")
	if _, err := f.reg.Register(ctx, p); err != nil {
		t.Fatal(err)
	}
	f.auditor.err = errDown
	if _, err := f.reg.Unregister(ctx, p.ID, parley.PrivilegeClaim{Source: parley.SourceSelfRegistration, Holder: "acct1"}); err == nil {
		t.Fatal("Unregister succeeded without an audit log")
	}
	if v, _ := f.reg.MayRecord(ctx, parley.CallParties{Number: attorney}); v.Record {
		t.Error("the number lost its privilege although the audit failed")
	}
}
