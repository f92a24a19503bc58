package admin_test

import (
	"context"
	"errors"
	"testing"

	"parley.dev/parley"
)

// TestDevicesListedAndRemovedAudited: a facility's devices are listed and one is removed,
// each audited once by the context's actor ("device.list" on the facility, "device.remove"
// on the device, noting a do-not-record device); the removed id is gone from the list.
func TestDevicesListedAndRemovedAudited(t *testing.T) {
	s, ev := newService(t)
	for _, d := range []*parley.Device{{FacilityID: "f1", ID: "pod-a-1", Name: "Pod A"}, {FacilityID: "f1", ID: "booth-2", DoNotRecord: true}} {
		if err := s.AddDevice(ctx(), d); err != nil {
			t.Fatal(err)
		}
	}
	ev.got = nil
	list, err := s.ListDevices(ctx(), "f1")
	if err != nil || len(list) != 2 || list[0].ID != "pod-a-1" || !list[1].DoNotRecord {
		t.Fatalf("ListDevices = %+v, %v", list, err)
	}
	for _, id := range []string{"pod-a-1", "booth-2"} {
		if err := s.RemoveDevice(ctx(), "f1", id); err != nil {
			t.Fatalf("RemoveDevice %s: %v", id, err)
		}
	}
	if list, err := s.ListDevices(ctx(), "f1"); err != nil || len(list) != 0 {
		t.Fatalf("after removal: %+v, %v", list, err)
	}
	want := []parley.AuditEvent{
		{Actor: "user:u1", Action: "device.list", Object: "facility:f1", Outcome: parley.OutcomeOK},
		{Actor: "user:u1", Action: "device.remove", Object: "device:f1/pod-a-1", Outcome: parley.OutcomeOK},
		{Actor: "user:u1", Action: "device.remove", Object: "device:f1/booth-2", Outcome: parley.OutcomeOK, Detail: "was do-not-record"},
		{Actor: "user:u1", Action: "device.list", Object: "facility:f1", Outcome: parley.OutcomeOK},
	}
	if len(ev.got) != len(want) {
		t.Fatalf("events %+v, want %+v", ev.got, want)
	}
	for i, w := range want {
		if g := ev.got[i]; g.Actor != w.Actor || g.Action != w.Action || g.Object != w.Object || g.Outcome != w.Outcome || g.Detail != w.Detail {
			t.Errorf("event %d = %+v, want %+v", i, g, w)
		}
	}
}

// TestDeviceBadInputAuditsNothing: a bad facility or device id, an unknown facility, an
// unknown device and another facility's device are refused before anything is audited or
// written.
func TestDeviceBadInputAuditsNothing(t *testing.T) {
	s, ev := newService(t)
	bg := context.Background()
	if err := s.Store.CreateFacility(bg, &parley.Facility{ID: "f2", Name: "F2", Type: parley.FacilityJail, ADP: 10}); err != nil {
		t.Fatal(err)
	}
	if err := s.Store.CreateDevice(bg, &parley.Device{FacilityID: "f2", ID: "pod-1"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, fac, dev string
		kind           parley.Kind
	}{
		{"bad facility id", "a/b", "pod-1", parley.KindInvalid},
		{"empty facility id", "", "pod-1", parley.KindInvalid},
		{"unknown facility", "f9", "pod-1", parley.KindNotFound},
		{"bad device id", "f1", "../pod-1", parley.KindInvalid},
		{"empty device id", "f1", "", parley.KindInvalid},
		{"unknown device", "f1", "pod-9", parley.KindNotFound},
		{"another facility's device", "f1", "pod-1", parley.KindNotFound},
	} {
		if err := s.RemoveDevice(ctx(), c.fac, c.dev); !parley.IsKind(err, c.kind) {
			t.Errorf("RemoveDevice %s: %v, want %v", c.name, err, c.kind)
		}
	}
	for fac, kind := range map[string]parley.Kind{"f9": parley.KindNotFound, "a/b": parley.KindInvalid, "": parley.KindInvalid} {
		if _, err := s.ListDevices(ctx(), fac); !parley.IsKind(err, kind) {
			t.Errorf("ListDevices(%q): %v, want %v", fac, err, kind)
		}
	}
	if len(ev.got) != 0 {
		t.Fatalf("bad input was audited: %+v", ev.got)
	}
	if _, err := s.Store.FindDevice(bg, "f2", "pod-1"); err != nil {
		t.Fatalf("the other facility's device: %v", err)
	}
}

// TestRemoveDeviceAuditDownRemovesNothing: with the audit log down, removal and listing
// fail (unavailable) and the device stays.
func TestRemoveDeviceAuditDownRemovesNothing(t *testing.T) {
	s, ev := newService(t)
	if err := s.AddDevice(ctx(), &parley.Device{FacilityID: "f1", ID: "pod-1"}); err != nil {
		t.Fatal(err)
	}
	ev.err = errors.New("audit log down")
	if err := s.RemoveDevice(ctx(), "f1", "pod-1"); !parley.IsKind(err, parley.KindUnavailable) {
		t.Fatalf("RemoveDevice with audit down: %v", err)
	}
	if _, err := s.ListDevices(ctx(), "f1"); !parley.IsKind(err, parley.KindUnavailable) {
		t.Fatalf("ListDevices with audit down: %v", err)
	}
	if _, err := s.Store.FindDevice(context.Background(), "f1", "pod-1"); err != nil {
		t.Fatalf("device removed although the audit log was down: %v", err)
	}
}
