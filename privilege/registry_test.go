package privilege_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"parley.dev/parley"
	"parley.dev/parley/privilege"
)

const (
	attorney parley.Number = "+12015550123"
	family   parley.Number = "+14155552671"
)

func TestMayRecordVerdicts(t *testing.T) {
	f := newFixture(t)
	f.store.privileged[attorney] = &parley.PrivilegedNumber{ID: "p1", Number: attorney}
	f.store.inmates["jail/A1"] = &parley.Inmate{FacilityID: "jail", ID: "A1"}
	f.store.inmates["jail/DNR"] = &parley.Inmate{FacilityID: "jail", ID: "DNR", DoNotRecord: true}
	f.store.devices["jail/booth"] = &parley.Device{FacilityID: "jail", ID: "booth", DoNotRecord: true}
	f.store.devices["jail/hall"] = &parley.Device{FacilityID: "jail", ID: "hall"}

	tests := []struct {
		name   string
		p      parley.CallParties
		record bool
		reason string
	}{
		{"plain call", parley.CallParties{FacilityID: "jail", InmateID: "A1", DeviceID: "hall", Number: family}, true, ""},
		{"number only", parley.CallParties{Number: family}, true, ""},
		{"privileged number", parley.CallParties{FacilityID: "jail", InmateID: "A1", DeviceID: "hall", Number: attorney}, false, "privileged_number"},
		{"inmate do-not-record", parley.CallParties{FacilityID: "jail", InmateID: "DNR", DeviceID: "hall", Number: family}, false, "inmate_do_not_record"},
		{"device do-not-record", parley.CallParties{FacilityID: "jail", InmateID: "A1", DeviceID: "booth", Number: family}, false, "device_do_not_record"},
		{"privileged wins over everything", parley.CallParties{FacilityID: "jail", InmateID: "DNR", DeviceID: "booth", Number: attorney}, false, "privileged_number"},
		{"unknown inmate and device", parley.CallParties{FacilityID: "jail", InmateID: "nobody", DeviceID: "nothing", Number: family}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := f.reg.MayRecord(context.Background(), tt.p)
			if err != nil {
				t.Fatal(err)
			}
			if v.Record != tt.record || v.Reason != tt.reason {
				t.Errorf("verdict = %+v, want record=%v reason=%q", v, tt.record, tt.reason)
			}
		})
	}
}

func TestMayRecordFailsClosed(t *testing.T) {
	parties := parley.CallParties{FacilityID: "jail", InmateID: "A1", DeviceID: "hall", Number: family}
	tests := []struct {
		name  string
		setup func(*fakeStore)
		p     parley.CallParties
	}{
		{"privilege lookup fails", func(s *fakeStore) { s.errFindPrivileged = errDown }, parties},
		{"inmate lookup fails", func(s *fakeStore) { s.errFindInmate = errDown }, parties},
		{"device lookup fails", func(s *fakeStore) { s.errFindDevice = errDown }, parties},
		{"empty number", func(*fakeStore) {}, parley.CallParties{FacilityID: "jail"}},
		{"not E.164", func(*fakeStore) {}, parley.CallParties{Number: "2015550123"}},
		{"not canonical", func(*fakeStore) {}, parley.CallParties{Number: "+4402079460958"}},
		{"not a real number", func(*fakeStore) {}, parley.CallParties{Number: "+15551234567"}},
		{"inmate without facility", func(*fakeStore) {}, parley.CallParties{InmateID: "A1", Number: family}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.setup(f.store)
			v, err := f.reg.MayRecord(context.Background(), tt.p)
			if err == nil {
				t.Fatalf("verdict %+v without error, want an error", v)
			}
			if v.Record {
				t.Error("Record is true alongside an error")
			}
			if strings.Contains(err.Error(), string(family)) {
				t.Errorf("error %q contains the number", err)
			}
		})
	}
}

func TestRegisterDestroysEarlierRecordings(t *testing.T) {
	f := newFixture(t)
	f.store.calls[attorney] = 3
	f.store.recordings[attorney] = []string{"r1", "r2", "r3"}
	f.store.recordings[family] = []string{"r9"}
	ctx := parley.NewContextWithActor(context.Background(), "user:staff1")

	p := &parley.PrivilegedNumber{Number: attorney, Kind: parley.PrivilegeAttorney, Source: parley.SourceStaff, Name: "Jane Counsel"}
	n, err := f.reg.Register(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("destroyed = %d, want 3", n)
	}
	if !slices.Equal(f.destroyer.got, []string{"r1", "r2", "r3"}) {
		t.Errorf("destroyer got %v, want exactly r1 r2 r3", f.destroyer.got)
	}
	if !f.store.marked[attorney] || f.store.marked[family] {
		t.Error("calls to the number were not marked privileged (or others were)")
	}
	if p.ID == "" || p.AddedAt.IsZero() || p.AddedBy != "user:staff1" {
		t.Errorf("entry not completed: %+v", p)
	}
	if _, ok := f.store.privileged[attorney]; !ok {
		t.Fatal("entry not stored")
	}
	if got := f.auditor.actions(); !slices.Equal(got, []string{"privileged.add"}) {
		t.Fatalf("audit actions = %v", got)
	}
	e := f.auditor.events[0]
	if e.Object != "privileged:"+p.ID || e.Actor != "user:staff1" || e.Outcome != parley.OutcomeOK {
		t.Errorf("audit event = %+v", e)
	}
	assertNoPersonalData(t, e.Object+e.Detail, attorney, "Jane Counsel")

	// The vault re-asks the gate: the number is now off.
	v, err := f.reg.MayRecord(ctx, parley.CallParties{Number: attorney})
	if err != nil || v.Record {
		t.Errorf("after Register: verdict %+v, %v", v, err)
	}
}

func TestRegisterAuditFailureStoresNothing(t *testing.T) {
	f := newFixture(t)
	f.store.recordings[attorney] = []string{"r1"}
	f.auditor.err = errDown
	_, err := f.reg.Register(context.Background(), &parley.PrivilegedNumber{Number: attorney, Kind: parley.PrivilegeAttorney, Source: parley.SourceStaff})
	if err == nil {
		t.Fatal("Register succeeded without an audit log")
	}
	if len(f.store.privileged) != 0 || len(f.destroyer.got) != 0 || f.store.marked[attorney] {
		t.Error("something was stored or destroyed although the audit failed")
	}
}

func TestRegisterAgainSweepsAndConflicts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	entry := func() *parley.PrivilegedNumber {
		return &parley.PrivilegedNumber{Number: attorney, Kind: parley.PrivilegeAttorney, Source: parley.SourceSelfRegistration, Holder: "acct1"}
	}
	first := entry()
	if _, err := f.reg.Register(ctx, first); err != nil {
		t.Fatal(err)
	}
	// A recording that slipped in (say a registration crashed before its sweep).
	f.store.recordings[attorney] = []string{"late"}
	again := entry()
	n, err := f.reg.Register(ctx, again)
	if !parley.IsKind(err, parley.KindConflict) {
		t.Fatalf("second Register: %v, want KindConflict", err)
	}
	if n != 1 || !slices.Equal(f.destroyer.got, []string{"late"}) {
		t.Errorf("re-registration destroyed %d %v, want the late recording", n, f.destroyer.got)
	}
	if again.ID != "" {
		t.Error("the conflicting entry was modified")
	}
	if strings.Contains(err.Error(), string(attorney)) {
		t.Errorf("error %q contains the number", err)
	}
	if got := f.auditor.actions(); !slices.Equal(got, []string{"privileged.add", "privileged.sweep"}) {
		t.Errorf("audit actions = %v", got)
	}
	if f.auditor.events[1].Object != "privileged:"+first.ID {
		t.Errorf("sweep audited against %q, want the existing entry", f.auditor.events[1].Object)
	}
}

func TestRegisterValidates(t *testing.T) {
	tests := map[string]*parley.PrivilegedNumber{
		"nil":           nil,
		"no number":     {Kind: parley.PrivilegeAttorney, Source: parley.SourceStaff},
		"not E.164":     {Number: "2015550123", Kind: parley.PrivilegeAttorney, Source: parley.SourceStaff},
		"invalid plan":  {Number: "+15551234567", Kind: parley.PrivilegeAttorney, Source: parley.SourceStaff},
		"bad kind":      {Number: attorney, Kind: "friend", Source: parley.SourceStaff},
		"bad source":    {Number: attorney, Kind: parley.PrivilegeCourt, Source: "web"},
		"name too long": {Number: attorney, Kind: parley.PrivilegeCourt, Source: parley.SourceStaff, Name: strings.Repeat("x", 201)},
		"control chars": {Number: attorney, Kind: parley.PrivilegeCourt, Source: parley.SourceStaff, BarNumber: "12\n34"},
	}
	for name, p := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.reg.Register(context.Background(), p)
			if !parley.IsKind(err, parley.KindInvalid) {
				t.Fatalf("err = %v, want KindInvalid", err)
			}
			if len(f.store.privileged) != 0 || len(f.auditor.events) != 0 {
				t.Error("invalid entry was audited or stored")
			}
		})
	}
}

func TestRegisterDestroyFailureIsReported(t *testing.T) {
	f := newFixture(t)
	f.store.recordings[attorney] = []string{"r1"}
	f.destroyer.err = errDown
	_, err := f.reg.Register(context.Background(), &parley.PrivilegedNumber{Number: attorney, Kind: parley.PrivilegeAttorney, Source: parley.SourceStaff})
	if err == nil {
		t.Fatal("a failed destruction was not reported")
	}
	// Re-registering once the vault is back finishes the sweep.
	f.destroyer.err = nil
	n, err := f.reg.Register(context.Background(), &parley.PrivilegedNumber{Number: attorney, Kind: parley.PrivilegeAttorney, Source: parley.SourceStaff})
	if !parley.IsKind(err, parley.KindConflict) || n != 1 {
		t.Errorf("re-register = %d, %v; want 1, conflict", n, err)
	}
}

// assertNoPersonalData fails if s contains any of the given values.
func assertNoPersonalData(t *testing.T, s string, n parley.Number, names ...string) {
	t.Helper()
	for _, v := range append(names, string(n), string(n)[2:]) {
		if v != "" && strings.Contains(s, v) {
			t.Errorf("%q contains personal data %q", s, v)
		}
	}
}

func TestDestroyerFuncAndMissingDestroyer(t *testing.T) {
	s := newFakeStore()
	var got []string
	reg := privilege.New(s, privilege.DestroyerFunc(func(ctx context.Context, ids []string, reason string) (int, error) {
		got = append(got, ids...)
		return len(ids), nil
	}), &fakeAuditor{}, nil)
	s.recordings[attorney] = []string{"r1"}
	if n, err := reg.Register(context.Background(), &parley.PrivilegedNumber{Number: attorney, Kind: parley.PrivilegeCourt, Source: parley.SourceStaff}); err != nil || n != 1 || len(got) != 1 {
		t.Errorf("Register via DestroyerFunc = %d, %v, %v", n, err, got)
	}
	bare := privilege.New(newFakeStore(), nil, &fakeAuditor{}, nil)
	if _, err := bare.Register(context.Background(), &parley.PrivilegedNumber{Number: attorney, Kind: parley.PrivilegeCourt, Source: parley.SourceStaff}); !parley.IsKind(err, parley.KindInternal) {
		t.Errorf("Register without destroyer: %v", err)
	}
}
