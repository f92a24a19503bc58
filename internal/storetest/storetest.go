// Package storetest is the conformance suite every parley.Store passes: Run checks the
// contracts of every method (round trips, error kinds, atomicity, concurrency), RunBreach
// checks that a raw dump of the database shows no personal data, and the Bench helpers
// measure the cost of field encryption against a plain table.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"parley.dev/parley"
)

// Opener returns a new, empty store for one test. It registers its own cleanup.
type Opener func(t *testing.T) parley.Store

// Run runs the conformance suite, one subtest per area, each on a fresh store from open.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s parley.Store)
	}{
		{"Facilities", testFacilities},
		{"FacilityInvalid", testFacilityInvalid},
		{"Inmates", testInmates},
		{"Devices", testDevices},
		{"ListDevices", testListDevices},
		{"RemoveDevice", testRemoveDevice},
		{"Privileged", testPrivileged},
		{"PrivilegedClaims", testPrivilegedClaims},
		{"PrivilegedClaimsConcurrent", testPrivilegedClaimsConcurrent},
		{"CallRoundTrip", testCallRoundTrip},
		{"CallInvalid", testCallInvalid},
		{"CallImportKey", testCallImportKey},
		{"CallPartiesLater", testCallPartiesLater},
		{"CreateCallsBulk", testCreateCallsBulk},
		{"DropStaleCalls", testDropStaleCalls},
		{"FindCalls", testFindCalls},
		{"FindCallsLimit", testFindCallsLimit},
		{"MarkCallsPrivileged", testMarkCallsPrivileged},
		{"SealedRowBinding", testSealedRowBinding},
		{"RecordingLifecycle", testRecordingLifecycle},
		{"RecordingGeneration", testRecordingGeneration},
		{"ShredPeriod", testShredPeriod},
		{"ShredPeriodConflicts", testShredPeriodConflicts},
		{"FindRecordingsByNumber", testFindRecordingsByNumber},
		{"FindExpiredRecordings", testFindExpired},
		{"FindStaleWriting", testFindStaleWriting},
		{"FindOrphanRecordings", testFindOrphanRecordings},
		{"Audit", testAudit},
		{"AuditConcurrent", testAuditConcurrent},
		{"ConcurrentWriters", testConcurrentWriters},
		{"AllowedNumbers", testAllowedNumbers},
		{"Blocks", testBlocks},
		{"SelfBlocks", testSelfBlocks},
		{"InmatePIN", testInmatePIN},
		{"Gateways", testGateways},
		{"Phones", testPhones},
		{"CallUsage", testCallUsage},
		{"CallRules", testCallRules},
		{"ContactRowBinding", testContactRowBinding},
		{"Users", testUsers},
		{"Sessions", testSessions},
		{"GrantsAndAlerts", testGrantsAndAlerts},
		{"WebAuthnCredentials", testWebAuthnCredentials},
		{"PublicAccounts", testPublicAccounts},
		{"PublicNumbers", testPublicNumbers},
		{"DeletePublicNumber", testDeletePublicNumber},
		{"Binding", testBinding},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			tc.fn(t, s)
		})
	}
}

// base is a fixed time with sub-microsecond digits, so truncation is exercised.
var base = time.Date(2026, 11, 23, 10, 0, 0, 123456789, time.UTC)

// us truncates like the stores do.
func us(t time.Time) time.Time { return t.Truncate(time.Microsecond).UTC() }

func wantKind(t *testing.T, what string, err error, kind parley.Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got no error, want %v", what, kind)
	}
	if got := parley.ErrorKind(err); got != kind {
		t.Fatalf("%s: got kind %v (%v), want %v", what, got, err, kind)
	}
	var pe *parley.Error
	if !errors.As(err, &pe) || pe.Op == "" {
		t.Fatalf("%s: error %v is not a *parley.Error with an Op", what, err)
	}
}

func ok(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func ctx(t *testing.T) context.Context { return t.Context() }

func facility(id string) *parley.Facility {
	return &parley.Facility{ID: id, Name: "Facility " + id, Type: parley.FacilityJail, ADP: 120,
		Timezone: "America/Chicago", RetentionDays: 90, CreatedAt: base}
}

func mustFacility(t *testing.T, s parley.Store, id string) *parley.Facility {
	t.Helper()
	f := facility(id)
	ok(t, "CreateFacility", s.CreateFacility(ctx(t), f))
	return f
}

func testFacilities(t *testing.T, s parley.Store) {
	f := facility("cnty-jail")
	f.ClassRetentionDays = map[parley.RecordClass]int{parley.ClassImported: 30, parley.ClassVideo: 7}
	ok(t, "create", s.CreateFacility(ctx(t), f))
	got, err := s.FindFacility(ctx(t), "cnty-jail")
	ok(t, "find", err)
	want := *f
	want.CreatedAt = us(base)
	equal(t, "round trip", got, &want)

	wantKind(t, "duplicate", s.CreateFacility(ctx(t), facility("cnty-jail")), parley.KindConflict)
	_, err = s.FindFacility(ctx(t), "nope")
	wantKind(t, "find missing", err, parley.KindNotFound)

	g := &parley.Facility{ID: "a-prison", Name: "A", Type: parley.FacilityPrison}
	ok(t, "create without time", s.CreateFacility(ctx(t), g))
	if g.CreatedAt.IsZero() {
		t.Fatal("CreatedAt not set")
	}
	list, err := s.ListFacilities(ctx(t))
	ok(t, "list", err)
	if len(list) != 2 || list[0].ID != "a-prison" || list[1].ID != "cnty-jail" {
		t.Fatalf("list not ordered by id: %+v", list)
	}
	if len(list[0].ClassRetentionDays) != 0 {
		t.Fatalf("unexpected class retention %v", list[0].ClassRetentionDays)
	}

	u := *f
	u.Name, u.Type, u.ADP, u.Timezone, u.RetentionDays = "Renamed", parley.FacilityPrison, 7, "UTC", 400
	u.ClassRetentionDays = map[parley.RecordClass]int{parley.ClassCall: 10}
	u.CreatedAt = base.Add(time.Hour) // not mutable
	ok(t, "update", s.UpdateFacility(ctx(t), &u))
	got, err = s.FindFacility(ctx(t), f.ID)
	ok(t, "find updated", err)
	u.CreatedAt = us(base)
	equal(t, "updated", got, &u)
	missing := facility("missing")
	wantKind(t, "update missing", s.UpdateFacility(ctx(t), missing), parley.KindNotFound)
	bad := u
	bad.Type = "zoo"
	wantKind(t, "update invalid", s.UpdateFacility(ctx(t), &bad), parley.KindInvalid)
}

func testFacilityInvalid(t *testing.T, s parley.Store) {
	bad := []*parley.Facility{
		{ID: "", Name: "x", Type: parley.FacilityJail},
		{ID: ".hidden", Name: "x", Type: parley.FacilityJail},
		{ID: "ok", Name: "", Type: parley.FacilityJail},
		{ID: "ok", Name: "x", Type: "zoo"},
		{ID: "ok", Name: "x", Type: parley.FacilityJail, Timezone: "Mars/Olympus"},
		{ID: "ok", Name: "x", Type: parley.FacilityJail, ClassRetentionDays: map[parley.RecordClass]int{"bogus": 3}},
	}
	for i, f := range bad {
		wantKind(t, fmt.Sprintf("invalid facility %d", i), s.CreateFacility(ctx(t), f), parley.KindInvalid)
	}
	list, err := s.ListFacilities(ctx(t))
	ok(t, "list", err)
	if len(list) != 0 {
		t.Fatalf("invalid facilities were stored: %d", len(list))
	}
}

func testInmates(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	mustFacility(t, s, "f2")
	in := &parley.Inmate{FacilityID: "f1", ID: "B-1001", Name: "Ada Example", PINHash: "$argon2id$v=19$x", CreatedAt: base}
	ok(t, "create", s.CreateInmate(ctx(t), in))
	got, err := s.FindInmate(ctx(t), "f1", "B-1001")
	ok(t, "find", err)
	want := *in
	want.CreatedAt = us(base)
	equal(t, "round trip", got, &want)

	wantKind(t, "duplicate", s.CreateInmate(ctx(t), &parley.Inmate{FacilityID: "f1", ID: "B-1001", Name: "Other"}), parley.KindConflict)
	// The same id at another facility is another inmate.
	ok(t, "same id other facility", s.CreateInmate(ctx(t), &parley.Inmate{FacilityID: "f2", ID: "B-1001", Name: "Bo"}))
	wantKind(t, "missing facility", s.CreateInmate(ctx(t), &parley.Inmate{FacilityID: "f9", ID: "B-1"}), parley.KindNotFound)
	wantKind(t, "bad id", s.CreateInmate(ctx(t), &parley.Inmate{FacilityID: "f1", ID: "has space"}), parley.KindInvalid)
	wantKind(t, "empty id", s.CreateInmate(ctx(t), &parley.Inmate{FacilityID: "f1"}), parley.KindInvalid)
	_, err = s.FindInmate(ctx(t), "f1", "B-9999")
	wantKind(t, "find missing", err, parley.KindNotFound)
	_, err = s.FindInmate(ctx(t), "f3", "B-1001")
	wantKind(t, "find other facility", err, parley.KindNotFound)

	ok(t, "second", s.CreateInmate(ctx(t), &parley.Inmate{FacilityID: "f1", ID: "B-1002", Name: "Cy"}))
	list, err := s.ListInmates(ctx(t), "f1")
	ok(t, "list", err)
	if len(list) != 2 {
		t.Fatalf("list: %d inmates, want 2", len(list))
	}
	ids := map[string]string{}
	for _, x := range list {
		ids[x.ID] = x.Name
	}
	equal(t, "listed", ids, map[string]string{"B-1001": "Ada Example", "B-1002": "Cy"})

	ok(t, "set dnr", s.SetInmateDoNotRecord(ctx(t), "f1", "B-1001", true))
	got, err = s.FindInmate(ctx(t), "f1", "B-1001")
	ok(t, "find", err)
	if !got.DoNotRecord {
		t.Fatal("do-not-record not set")
	}
	ok(t, "clear dnr", s.SetInmateDoNotRecord(ctx(t), "f1", "B-1001", false))
	got, _ = s.FindInmate(ctx(t), "f1", "B-1001")
	if got.DoNotRecord {
		t.Fatal("do-not-record not cleared")
	}
	wantKind(t, "dnr missing", s.SetInmateDoNotRecord(ctx(t), "f1", "nobody", true), parley.KindNotFound)
}

func testDevices(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	d := &parley.Device{FacilityID: "f1", ID: "pod-a-1", Name: "Pod A phone 1", CreatedAt: base}
	ok(t, "create", s.CreateDevice(ctx(t), d))
	got, err := s.FindDevice(ctx(t), "f1", "pod-a-1")
	ok(t, "find", err)
	want := *d
	want.CreatedAt = us(base)
	equal(t, "round trip", got, &want)
	wantKind(t, "duplicate", s.CreateDevice(ctx(t), &parley.Device{FacilityID: "f1", ID: "pod-a-1"}), parley.KindConflict)
	wantKind(t, "missing facility", s.CreateDevice(ctx(t), &parley.Device{FacilityID: "f9", ID: "x"}), parley.KindNotFound)
	wantKind(t, "bad id", s.CreateDevice(ctx(t), &parley.Device{FacilityID: "f1", ID: "a/b"}), parley.KindInvalid)
	_, err = s.FindDevice(ctx(t), "f1", "x")
	wantKind(t, "find missing", err, parley.KindNotFound)
	ok(t, "dnr", s.SetDeviceDoNotRecord(ctx(t), "f1", "pod-a-1", true))
	got, _ = s.FindDevice(ctx(t), "f1", "pod-a-1")
	if !got.DoNotRecord {
		t.Fatal("do-not-record not set")
	}
	wantKind(t, "dnr missing", s.SetDeviceDoNotRecord(ctx(t), "f1", "x", true), parley.KindNotFound)
}

func testPrivileged(t *testing.T, s parley.Store) {
	p := &parley.PrivilegedNumber{Number: "+15551230001", Kind: parley.PrivilegeAttorney, Source: parley.SourceStaff,
		Name: "Dana Counsel", BarNumber: "IL-445566", AddedBy: "cli:operator", AddedAt: base}
	ok(t, "create", s.CreatePrivileged(ctx(t), p))
	if p.ID == "" {
		t.Fatal("ID not set")
	}
	got, err := s.FindPrivileged(ctx(t), "+15551230001")
	ok(t, "find", err)
	want := *p
	want.AddedAt = us(base)
	equal(t, "round trip", got, &want)

	dup := &parley.PrivilegedNumber{Number: "+15551230001", Kind: parley.PrivilegeCourt, Source: parley.SourceDirectoryImport}
	wantKind(t, "duplicate", s.CreatePrivileged(ctx(t), dup), parley.KindConflict)
	for i, bad := range []*parley.PrivilegedNumber{
		{Number: "5551230002", Kind: parley.PrivilegeAttorney, Source: parley.SourceStaff},
		{Number: "+15551230002", Kind: "friend", Source: parley.SourceStaff},
		{Number: "+15551230002", Kind: parley.PrivilegeAttorney, Source: "rumour"},
	} {
		wantKind(t, fmt.Sprintf("invalid %d", i), s.CreatePrivileged(ctx(t), bad), parley.KindInvalid)
	}
	_, err = s.FindPrivileged(ctx(t), "+15551230002")
	wantKind(t, "find missing", err, parley.KindNotFound)

	q := &parley.PrivilegedNumber{Number: "+442071234567", Kind: parley.PrivilegeConsulate, Source: parley.SourceSelfRegistration,
		Holder: "acct-q", AddedAt: base.Add(time.Hour)}
	ok(t, "create second", s.CreatePrivileged(ctx(t), q))
	r := &parley.PrivilegedNumber{Number: "+15551230003", Kind: parley.PrivilegeClergy, Source: parley.SourceStaff,
		AddedAt: base.Add(-time.Hour)}
	ok(t, "create third", s.CreatePrivileged(ctx(t), r))
	list, err := s.ListPrivileged(ctx(t))
	ok(t, "list", err)
	if len(list) != 3 || list[0].Number != r.Number || list[1].Number != p.Number || list[2].Number != q.Number {
		t.Fatalf("list not oldest first: %d entries", len(list))
	}
	if list[2].Name != "" || list[2].BarNumber != "" {
		t.Fatal("empty optional fields did not round trip")
	}
}
