package admin_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/admin"
	"parley.dev/parley/fieldcrypt"
	"parley.dev/parley/rates"
	"parley.dev/parley/sqlite"
)

// events is an in-memory parley.Auditor (unit tests only). With err set it is down: it
// takes nothing and returns err.
type events struct {
	got []parley.AuditEvent
	err error
}

func (e *events) Audit(ctx context.Context, ev parley.AuditEvent) error {
	if e.err != nil {
		return e.err
	}
	e.got = append(e.got, ev)
	return nil
}

func newService(t *testing.T) (*admin.Service, *events) {
	t.Helper()
	fc, err := fieldcrypt.New(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"), fc, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.CreateFacility(context.Background(), &parley.Facility{ID: "f1", Name: "F1", Type: parley.FacilityJail, ADP: 250}); err != nil {
		t.Fatal(err)
	}
	caps, err := rates.Default()
	if err != nil {
		t.Fatal(err)
	}
	ev := &events{}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	return &admin.Service{Store: db, Rules: db, Rates: db, Caps: caps, Audit: ev, Digest: fc.BlindIndex,
		Now: func() time.Time { return now }}, ev
}

func ctx() context.Context { return parley.NewContextWithActor(context.Background(), "user:u1") }

func TestParseHours(t *testing.T) {
	wk, err := admin.ParseHours("mon-fri 08:00-22:00, sat-sun 09:00-21:00")
	if err != nil {
		t.Fatal(err)
	}
	if got := admin.FormatHours(wk); got != "sun 09:00-21:00,mon 08:00-22:00,tue 08:00-22:00,wed 08:00-22:00,thu 08:00-22:00,fri 08:00-22:00,sat 09:00-21:00" {
		t.Fatalf("FormatHours = %q", got)
	}
	if wk, err := admin.ParseHours("fri-mon 10:00-11:00"); err != nil || len(wk[6]) != 1 || len(wk[2]) != 0 {
		t.Fatalf("a wrapping range: %v %v", wk, err)
	}
	for _, bad := range []string{"", "monday 08:00-22:00", "mon-fri 8-22", "mon 08:00-25:00", "mon", "daily 08:00-09:00 x"} {
		if _, err := admin.ParseHours(bad); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("ParseHours(%q) = %v, want invalid", bad, err)
		}
	}
}

func TestValidBlockPrefix(t *testing.T) {
	for p, want := range map[string]bool{"+1900": true, "+4": true, "+123456789012345": true, "+1234567890123456": false,
		"+0900": false, "1900": false, "+": false, "+19a0": false, "": false} {
		if admin.ValidBlockPrefix(p) != want {
			t.Errorf("ValidBlockPrefix(%q) != %v", p, want)
		}
	}
}

// TestRefusalsWriteAndAuditNothing: a rate above the cap, rules that do not validate and
// a block of a bad prefix are refused before anything is audited or written.
func TestRefusalsWriteAndAuditNothing(t *testing.T) {
	s, ev := newService(t)
	if _, _, err := s.SetRates(ctx(), admin.RateRequest{FacilityID: "f1", Audio: "0.50"}); !parley.IsKind(err, parley.KindForbidden) || !strings.Contains(err.Error(), "cap") {
		t.Fatalf("above the cap: %v", err)
	}
	if _, err := s.Rates.FacilityRate(context.Background(), "f1", rates.Audio, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)); !parley.IsKind(err, parley.KindNotFound) {
		t.Fatalf("a refused rate was stored: %v", err)
	}
	long := 48 * time.Hour
	wk, _ := admin.ParseHours("daily 08:00-22:00")
	if _, err := s.SetRules(ctx(), "f1", admin.RulesChange{Hours: &wk, MaxCall: &long}); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("rules with a 48h call: %v", err)
	}
	if _, err := s.SetRules(ctx(), "f1", admin.RulesChange{MaxCall: &long}); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("first rules without hours: %v", err)
	}
	if err := s.SetBlock(ctx(), admin.Block{FacilityID: "f1", Prefix: "+0"}, true); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("bad prefix: %v", err)
	}
	if err := s.SetRetention(ctx(), "f1", "bogus", 10); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("bad class: %v", err)
	}
	if len(ev.got) != 0 {
		t.Fatalf("refusals were audited: %+v", ev.got)
	}
}

// TestChangesAuditedWithoutPersonalData: a block and an allowed number are audited once
// each by the context's actor, the number by its keyed digest only.
func TestChangesAuditedWithoutPersonalData(t *testing.T) {
	s, ev := newService(t)
	in := &parley.Inmate{FacilityID: "f1", ID: "A1", Name: "Zed Quill"}
	if err := s.AddInmate(ctx(), in, "48213579"); err != nil {
		t.Fatal(err)
	}
	if err := s.AllowNumber(ctx(), "f1", "A1", "+14155550142", 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.SetBlock(ctx(), admin.Block{FacilityID: "f1", Number: "+14155550142"}, true); err != nil {
		t.Fatal(err)
	}
	if len(ev.got) != 3 {
		t.Fatalf("%d events, want 3: %+v", len(ev.got), ev.got)
	}
	for _, e := range ev.got {
		if e.Actor != "user:u1" || strings.Contains(e.Object+e.Detail, "4155550142") || strings.Contains(e.Object+e.Detail, "A1") || strings.Contains(e.Object+e.Detail, "Zed") {
			t.Errorf("event %+v", e)
		}
	}
	if ev.got[2].Object != s.NumberObject("+14155550142") || !strings.HasSuffix(ev.got[1].Object, s.NumberObject("+14155550142")) {
		t.Errorf("the number's digest differs between events: %+v", ev.got)
	}
}
