package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/policy"
)

// RulesStore is what a store that keeps facilities' call rules offers besides parley.Store
// (sqldb.DB does). The rules test skips stores without it.
type RulesStore interface {
	SetCallRules(ctx context.Context, r policy.Rules) error
	CallRules(ctx context.Context, facilityID string) (policy.Rules, error)
}

func mustInmate(t *testing.T, s parley.Store, facilityID, id string) {
	t.Helper()
	ok(t, "CreateInmate", s.CreateInmate(ctx(t), &parley.Inmate{FacilityID: facilityID, ID: id, Name: "N " + id,
		PINHash: "hash-" + id, CreatedAt: base}))
}

func testAllowedNumbers(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	mustInmate(t, s, "f1", "A-1")
	mustInmate(t, s, "f1", "A-2")
	a := &parley.AllowedNumber{FacilityID: "f1", InmateID: "A-1", Number: "+15551230001", MaxCallLength: 10 * time.Minute, AddedAt: base}
	ok(t, "add", s.AddAllowedNumber(ctx(t), a))
	ok(t, "add second", s.AddAllowedNumber(ctx(t), &parley.AllowedNumber{FacilityID: "f1", InmateID: "A-1",
		Number: "+15551230002", AddedAt: base.Add(time.Second)}))
	ok(t, "same number for another inmate", s.AddAllowedNumber(ctx(t), &parley.AllowedNumber{FacilityID: "f1",
		InmateID: "A-2", Number: "+15551230001"}))
	wantKind(t, "duplicate", s.AddAllowedNumber(ctx(t), &parley.AllowedNumber{FacilityID: "f1", InmateID: "A-1",
		Number: "+15551230001"}), parley.KindConflict)
	wantKind(t, "unknown inmate", s.AddAllowedNumber(ctx(t), &parley.AllowedNumber{FacilityID: "f1", InmateID: "Z-9",
		Number: "+15551230001"}), parley.KindNotFound)
	wantKind(t, "bad number", s.AddAllowedNumber(ctx(t), &parley.AllowedNumber{FacilityID: "f1", InmateID: "A-1",
		Number: "5551230001"}), parley.KindInvalid)
	wantKind(t, "negative max", s.AddAllowedNumber(ctx(t), &parley.AllowedNumber{FacilityID: "f1", InmateID: "A-1",
		Number: "+15551230003", MaxCallLength: -time.Second}), parley.KindInvalid)

	got, err := s.ListAllowedNumbers(ctx(t), "f1", "A-1")
	ok(t, "list", err)
	want := []*parley.AllowedNumber{
		{FacilityID: "f1", InmateID: "A-1", Number: "+15551230001", MaxCallLength: 10 * time.Minute, AddedAt: us(base)},
		{FacilityID: "f1", InmateID: "A-1", Number: "+15551230002", AddedAt: us(base.Add(time.Second))},
	}
	equal(t, "list", got, want)
	ok(t, "remove", s.RemoveAllowedNumber(ctx(t), "f1", "A-1", "+15551230001"))
	wantKind(t, "remove again", s.RemoveAllowedNumber(ctx(t), "f1", "A-1", "+15551230001"), parley.KindNotFound)
	got, err = s.ListAllowedNumbers(ctx(t), "f1", "A-1")
	ok(t, "list after remove", err)
	equal(t, "list after remove", len(got), 1)
	other, err := s.ListAllowedNumbers(ctx(t), "f1", "A-2")
	ok(t, "other inmate", err)
	equal(t, "other inmate keeps the number", len(other), 1)
}

func testBlocks(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	mustFacility(t, s, "f2")
	ok(t, "block", s.AddBlockedNumber(ctx(t), "f1", "+15559990001"))
	ok(t, "block second", s.AddBlockedNumber(ctx(t), "f1", "+15559990002"))
	ok(t, "block at f2", s.AddBlockedNumber(ctx(t), "f2", "+15559990001"))
	wantKind(t, "block twice", s.AddBlockedNumber(ctx(t), "f1", "+15559990001"), parley.KindConflict)
	wantKind(t, "bad number", s.AddBlockedNumber(ctx(t), "f1", "not-a-number"), parley.KindInvalid)
	wantKind(t, "unknown facility", s.AddBlockedNumber(ctx(t), "nope", "+15559990001"), parley.KindNotFound)
	ok(t, "prefix", s.AddBlockedPrefix(ctx(t), "f1", "+1900"))
	ok(t, "prefix 2", s.AddBlockedPrefix(ctx(t), "f1", "+1976"))
	wantKind(t, "prefix twice", s.AddBlockedPrefix(ctx(t), "f1", "+1900"), parley.KindConflict)
	for _, p := range []string{"1900", "+0900", "+", "+19a"} {
		wantKind(t, "bad prefix "+p, s.AddBlockedPrefix(ctx(t), "f1", p), parley.KindInvalid)
	}
	wantKind(t, "prefix at unknown facility", s.AddBlockedPrefix(ctx(t), "nope", "+1900"), parley.KindNotFound)

	b, err := s.FacilityBlocks(ctx(t), "f1")
	ok(t, "blocks", err)
	equal(t, "numbers", len(b.Numbers), 2)
	has := map[parley.Number]bool{b.Numbers[0]: true, b.Numbers[1]: true}
	if !has["+15559990001"] || !has["+15559990002"] {
		t.Fatalf("blocked numbers = %v", b.Numbers)
	}
	equal(t, "prefixes", b.Prefixes, []string{"+1900", "+1976"})
	ok(t, "unblock", s.RemoveBlockedNumber(ctx(t), "f1", "+15559990001"))
	wantKind(t, "unblock again", s.RemoveBlockedNumber(ctx(t), "f1", "+15559990001"), parley.KindNotFound)
	ok(t, "unblock prefix", s.RemoveBlockedPrefix(ctx(t), "f1", "+1976"))
	wantKind(t, "unblock prefix again", s.RemoveBlockedPrefix(ctx(t), "f1", "+1976"), parley.KindNotFound)
	b, err = s.FacilityBlocks(ctx(t), "f1")
	ok(t, "blocks after", err)
	equal(t, "after", b, &parley.FacilityBlocks{Numbers: []parley.Number{"+15559990002"}, Prefixes: []string{"+1900"}})
	b, err = s.FacilityBlocks(ctx(t), "f2")
	ok(t, "f2 blocks", err)
	equal(t, "f2 untouched", b, &parley.FacilityBlocks{Numbers: []parley.Number{"+15559990001"}})
}

func testSelfBlocks(t *testing.T, s parley.Store) {
	n := parley.Number("+15557770001")
	ok(t, "all facilities", s.AddSelfBlock(ctx(t), &parley.SelfBlock{Number: n, AddedAt: base}))
	ok(t, "one facility", s.AddSelfBlock(ctx(t), &parley.SelfBlock{Number: n, FacilityID: "f1", AddedAt: base}))
	wantKind(t, "twice", s.AddSelfBlock(ctx(t), &parley.SelfBlock{Number: n}), parley.KindConflict)
	wantKind(t, "bad number", s.AddSelfBlock(ctx(t), &parley.SelfBlock{Number: "+0"}), parley.KindInvalid)
	got, err := s.FindSelfBlocks(ctx(t), n)
	ok(t, "find", err)
	equal(t, "find", got, []*parley.SelfBlock{{Number: n, AddedAt: us(base)}, {Number: n, FacilityID: "f1", AddedAt: us(base)}})
	none, err := s.FindSelfBlocks(ctx(t), "+15557770002")
	ok(t, "find other", err)
	equal(t, "other number", len(none), 0)
	ok(t, "remove", s.RemoveSelfBlock(ctx(t), n, ""))
	wantKind(t, "remove again", s.RemoveSelfBlock(ctx(t), n, ""), parley.KindNotFound)
	got, err = s.FindSelfBlocks(ctx(t), n)
	ok(t, "find after", err)
	equal(t, "after", len(got), 1)

	// Staff see the blocks that apply to their facility: its own and the global ones.
	m := parley.Number("+15557770003")
	ok(t, "global", s.AddSelfBlock(ctx(t), &parley.SelfBlock{Number: m, AddedAt: base.Add(time.Hour)}))
	ok(t, "other facility", s.AddSelfBlock(ctx(t), &parley.SelfBlock{Number: m, FacilityID: "f2", AddedAt: base.Add(2 * time.Hour)}))
	list, err := s.ListSelfBlocks(ctx(t), "f1")
	ok(t, "list", err)
	equal(t, "list f1", list, []*parley.SelfBlock{{Number: m, AddedAt: us(base.Add(time.Hour))},
		{Number: n, FacilityID: "f1", AddedAt: us(base)}})
	list, err = s.ListSelfBlocks(ctx(t), "f3")
	ok(t, "list f3", err)
	equal(t, "list f3", list, []*parley.SelfBlock{{Number: m, AddedAt: us(base.Add(time.Hour))}})
	_, err = s.ListSelfBlocks(ctx(t), "")
	wantKind(t, "no facility", err, parley.KindInvalid)
}

// wantPINUnavailable: a clashing PIN is KindConflict with parley.PINUnavailable as its
// whole message, naming neither the inmate who holds it nor the one refused.
func wantPINUnavailable(t *testing.T, what string, err error) {
	t.Helper()
	wantKind(t, what, err, parley.KindConflict)
	var pe *parley.Error
	if errors.As(err, &pe); pe.Message != parley.PINUnavailable || pe.Err != nil {
		t.Fatalf("%s: message %q (cause %v), want only %q", what, pe.Message, pe.Err, parley.PINUnavailable)
	}
	for _, id := range []string{"A-1", "A-2", "A-3", "A-4"} {
		if strings.Contains(err.Error(), id) {
			t.Fatalf("%s: %q names inmate %s", what, err, id)
		}
	}
}

func testInmatePIN(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	mustFacility(t, s, "f2")
	mustInmate(t, s, "f1", "A-1")
	mustInmate(t, s, "f1", "A-2")
	mustInmate(t, s, "f2", "B-1")
	ok(t, "set", s.SetInmatePIN(ctx(t), "f1", "A-1", "new-hash", "123456"))
	in, err := s.FindInmateByPIN(ctx(t), "f1", "123456")
	ok(t, "find", err)
	if in.ID != "A-1" || in.PINHash != "new-hash" || in.Name != "N A-1" {
		t.Fatalf("found %+v", in)
	}
	wantPINUnavailable(t, "same PIN, other inmate", s.SetInmatePIN(ctx(t), "f1", "A-2", "h2", "123456"))
	ok(t, "same PIN, other facility", s.SetInmatePIN(ctx(t), "f2", "B-1", "h3", "123456"))
	wantKind(t, "unknown inmate", s.SetInmatePIN(ctx(t), "f1", "Z-9", "h", "999999"), parley.KindNotFound)
	_, err = s.FindInmateByPIN(ctx(t), "f1", "654321")
	wantKind(t, "wrong PIN", err, parley.KindNotFound)
	ok(t, "change", s.SetInmatePIN(ctx(t), "f1", "A-1", "newer-hash", "777777"))
	_, err = s.FindInmateByPIN(ctx(t), "f1", "123456")
	wantKind(t, "old PIN gone", err, parley.KindNotFound)
	ok(t, "old PIN free again", s.SetInmatePIN(ctx(t), "f1", "A-2", "h2", "123456"))
	in, err = s.FindInmateByPIN(ctx(t), "f2", "123456")
	ok(t, "f2", err)
	equal(t, "f2 inmate", in.ID, "B-1")

	// Creating an inmate with its PIN is all or nothing: a PIN taken at the facility stores
	// neither the inmate nor the index.
	ok(t, "create with PIN", s.CreateInmateWithPIN(ctx(t), &parley.Inmate{FacilityID: "f1", ID: "A-3", Name: "N A-3", PINHash: "h4"}, "24681357"))
	in, err = s.FindInmateByPIN(ctx(t), "f1", "24681357")
	ok(t, "find created", err)
	equal(t, "created inmate", in.ID, "A-3")
	wantPINUnavailable(t, "create with taken PIN", s.CreateInmateWithPIN(ctx(t), &parley.Inmate{FacilityID: "f1", ID: "A-4", Name: "N A-4", PINHash: "h5"}, "24681357"))
	_, err = s.FindInmate(ctx(t), "f1", "A-4")
	wantKind(t, "no half-written inmate", err, parley.KindNotFound)
	wantKind(t, "create with empty PIN", s.CreateInmateWithPIN(ctx(t), &parley.Inmate{FacilityID: "f1", ID: "A-5", PINHash: "h"}, ""), parley.KindInvalid)

	inmate, device := parley.PINSubject{InmateID: "A-1"}, parley.PINSubject{DeviceID: "pod-1"}
	st, err := s.PINState(ctx(t), "f1", inmate)
	ok(t, "state none", err)
	equal(t, "zero", st, parley.PINState{})
	ok(t, "save", s.SavePINState(ctx(t), "f1", inmate, parley.PINState{Failures: 2}))
	ok(t, "save device", s.SavePINState(ctx(t), "f1", device, parley.PINState{LockedUntil: base}))
	ok(t, "overwrite", s.SavePINState(ctx(t), "f1", inmate, parley.PINState{Failures: 0, LockedUntil: base}))
	st, err = s.PINState(ctx(t), "f1", inmate)
	ok(t, "state", err)
	equal(t, "inmate", st, parley.PINState{LockedUntil: us(base)})
	st, err = s.PINState(ctx(t), "f1", device)
	ok(t, "device state", err)
	equal(t, "device", st, parley.PINState{LockedUntil: us(base)})
	st, err = s.PINState(ctx(t), "f2", inmate)
	ok(t, "other facility", err)
	equal(t, "other facility", st, parley.PINState{})
	_, err = s.PINState(ctx(t), "f1", parley.PINSubject{InmateID: "A-1", DeviceID: "pod-1"})
	wantKind(t, "two subjects", err, parley.KindInvalid)
	wantKind(t, "no subject", s.SavePINState(ctx(t), "f1", parley.PINSubject{}, parley.PINState{}), parley.KindInvalid)
	wantKind(t, "unknown facility", s.SavePINState(ctx(t), "nope", device, parley.PINState{}), parley.KindNotFound)
}

func testGateways(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	mustFacility(t, s, "f2")
	ok(t, "add", s.AddGateway(ctx(t), &parley.Gateway{Addr: "10.0.0.5", FacilityID: "f1", AddedAt: base}))
	g := &parley.Gateway{Addr: "::ffff:10.0.0.6", FacilityID: "f2", AddedAt: base}
	ok(t, "add mapped", s.AddGateway(ctx(t), g))
	equal(t, "canonical", g.Addr, "10.0.0.6")
	ok(t, "add v6", s.AddGateway(ctx(t), &parley.Gateway{Addr: "2001:db8::1", FacilityID: "f1", AddedAt: base}))
	wantKind(t, "twice", s.AddGateway(ctx(t), &parley.Gateway{Addr: "10.0.0.5", FacilityID: "f2"}), parley.KindConflict)
	wantKind(t, "bad addr", s.AddGateway(ctx(t), &parley.Gateway{Addr: "gw.example", FacilityID: "f1"}), parley.KindInvalid)
	wantKind(t, "unknown facility", s.AddGateway(ctx(t), &parley.Gateway{Addr: "10.0.0.9", FacilityID: "nope"}), parley.KindNotFound)
	got, err := s.ListGateways(ctx(t), "f1")
	ok(t, "list", err)
	equal(t, "list", got, []*parley.Gateway{{Addr: "10.0.0.5", FacilityID: "f1", AddedAt: us(base)},
		{Addr: "2001:db8::1", FacilityID: "f1", AddedAt: us(base)}})
	all, err := s.ListGateways(ctx(t), "")
	ok(t, "list all", err)
	equal(t, "all", len(all), 3)
	ok(t, "remove", s.RemoveGateway(ctx(t), "10.0.0.5"))
	wantKind(t, "remove again", s.RemoveGateway(ctx(t), "10.0.0.5"), parley.KindNotFound)
}

func testCallUsage(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	month := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	next := month.AddDate(0, 1, 0)
	for i, c := range []struct {
		inmate string
		at     time.Time
		d      time.Duration
	}{
		{"A-1", month.Add(-time.Hour), 30 * time.Minute}, // last month
		{"A-1", month.Add(time.Hour), 10 * time.Minute},
		{"A-1", month.Add(48 * time.Hour), 5 * time.Minute},
		{"A-2", month.Add(2 * time.Hour), 20 * time.Minute},
	} {
		r := call("f1", c.inmate, parley.Number("+1555444000"+string(rune('0'+i))), c.at)
		r.Duration = c.d
		mustCall(t, s, r)
	}
	// A refused attempt after the last call neither adds time nor moves the last end.
	refused := call("f1", "A-1", "+15554440009", month.Add(72*time.Hour))
	refused.Duration, refused.Status, refused.Reason = 0, parley.CallRefused, "not_allowed"
	mustCall(t, s, refused)
	u, err := s.InmateCallUsage(ctx(t), "f1", "A-1", month, next, month.Add(-24*time.Hour))
	ok(t, "usage", err)
	equal(t, "usage", u, parley.CallUsage{Used: 15 * time.Minute, LastEnd: month.Add(48*time.Hour + 5*time.Minute)})
	u, err = s.InmateCallUsage(ctx(t), "f1", "B-9", month, next, month)
	ok(t, "no calls", err)
	equal(t, "no calls", u, parley.CallUsage{})
	_, err = s.InmateCallUsage(ctx(t), "f1", "A-1", next, month, month)
	wantKind(t, "reversed", err, parley.KindInvalid)
}

func testCallRules(t *testing.T, s parley.Store) {
	rs, isRules := s.(RulesStore)
	if !isRules {
		t.Skip("the store keeps no call rules")
	}
	mustFacility(t, s, "f1")
	_, err := rs.CallRules(ctx(t), "f1")
	wantKind(t, "none yet", err, parley.KindNotFound)
	r := policy.Rules{FacilityID: "f1", MaxCallLength: 15 * time.Minute, MinGap: 5 * time.Minute,
		MonthlyQuota: 600 * time.Minute, MaxConcurrent: 4, OpenDialing: true, PINMaxFailures: 3,
		PINLockout: 30 * time.Minute, Lockdown: true, LockdownUntil: base,
		Timezone: "Europe/Paris", BlockedPrefixes: []string{"+1976"}} // ignored: the facility's zone, the table's blocks
	for d := time.Monday; d <= time.Friday; d++ {
		r.Hours[d] = []policy.Window{{Start: 8 * 60, End: 12 * 60}, {Start: 13 * 60, End: 22 * 60}}
	}
	r.Hours[time.Saturday] = []policy.Window{{Start: 22 * 60, End: 2 * 60}}
	ok(t, "set", rs.SetCallRules(ctx(t), r))
	ok(t, "prefix", s.AddBlockedPrefix(ctx(t), "f1", "+1900"))
	ok(t, "number", s.AddBlockedNumber(ctx(t), "f1", "+15559990001"))
	got, err := rs.CallRules(ctx(t), "f1")
	ok(t, "get", err)
	want := r
	want.Timezone, want.LockdownUntil = "America/Chicago", us(base)
	want.BlockedPrefixes, want.BlockedNumbers = []string{"+1900"}, []parley.Number{"+15559990001"}
	equal(t, "round trip", got, want)

	r.Lockdown, r.OpenDialing = false, false
	ok(t, "replace", rs.SetCallRules(ctx(t), r))
	got, err = rs.CallRules(ctx(t), "f1")
	ok(t, "get replaced", err)
	if got.Lockdown || got.OpenDialing {
		t.Fatalf("replace did not replace: %+v", got)
	}
	bad := r
	bad.Hours[time.Monday] = []policy.Window{{Start: 8 * 60, End: 12 * 60}, {Start: 11 * 60, End: 13 * 60}}
	wantKind(t, "overlapping windows", rs.SetCallRules(ctx(t), bad), parley.KindInvalid)
	bad = r
	bad.MaxCallLength = 0
	wantKind(t, "no max call", rs.SetCallRules(ctx(t), bad), parley.KindInvalid)
	bad = r
	bad.FacilityID = "nope"
	wantKind(t, "unknown facility", rs.SetCallRules(ctx(t), bad), parley.KindNotFound)
	got, err = rs.CallRules(ctx(t), "f1")
	ok(t, "unchanged after refusals", err)
	equal(t, "max call kept", got.MaxCallLength, 15*time.Minute)
}

// testContactRowBinding checks that a sealed number of the call-policy tables is bound to
// its row: copied onto another row (of the same table), it fails to open with
// KindIntegrity. Stores without a SQL handle skip it.
func testContactRowBinding(t *testing.T, s parley.Store) {
	rs, isSQL := s.(rawSQL)
	if !isSQL {
		t.Skip("the store has no SQL handle")
	}
	db := rs.SQL()
	// Rows are told apart by added_at, stored in clear; literals keep the statement free of
	// placeholders, which differ between databases.
	move := func(table string, from, to time.Time) {
		t.Helper()
		res, err := db.ExecContext(ctx(t), `UPDATE `+table+` SET pii = (SELECT pii FROM `+table+` WHERE added_at = `+
			itoa(us(from).UnixMicro())+`) WHERE added_at = `+itoa(us(to).UnixMicro()))
		ok(t, "move "+table, err)
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			t.Fatalf("move %s: %d rows changed, %v", table, n, err)
		}
	}
	mustFacility(t, s, "f1")
	mustInmate(t, s, "f1", "A-1")
	for i, n := range []parley.Number{"+15551230001", "+15551230002"} {
		at := base.Add(time.Duration(i) * time.Hour)
		ok(t, "allow", s.AddAllowedNumber(ctx(t), &parley.AllowedNumber{FacilityID: "f1", InmateID: "A-1", Number: n, AddedAt: at}))
		ok(t, "self-block", s.AddSelfBlock(ctx(t), &parley.SelfBlock{Number: n, AddedAt: at}))
	}
	move("allowed_numbers", base, base.Add(time.Hour))
	_, err := s.ListAllowedNumbers(ctx(t), "f1", "A-1")
	wantKind(t, "list allowed with moved pii", err, parley.KindIntegrity)
	move("self_blocks", base, base.Add(time.Hour))
	_, err = s.FindSelfBlocks(ctx(t), "+15551230002")
	wantKind(t, "self-blocks with moved pii", err, parley.KindIntegrity)
	got, err := s.FindSelfBlocks(ctx(t), "+15551230001")
	ok(t, "source self-block", err)
	equal(t, "source self-block", got[0].Number, parley.Number("+15551230001"))
}
