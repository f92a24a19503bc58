package storetest

import (
	"testing"
	"time"

	"parley.dev/parley"
)

// testListDevices: a facility's devices, oldest first and ties by id, never another
// facility's; an empty facility lists none, an unknown one is KindNotFound.
func testListDevices(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	mustFacility(t, s, "f2")
	mustFacility(t, s, "f3")
	for _, d := range []*parley.Device{
		{FacilityID: "f1", ID: "pod-b", Name: "Pod B", CreatedAt: base.Add(time.Hour)},
		{FacilityID: "f1", ID: "pod-c", DoNotRecord: true, Name: "Attorney booth", CreatedAt: base},
		{FacilityID: "f1", ID: "pod-a", CreatedAt: base.Add(time.Hour)},
		{FacilityID: "f2", ID: "pod-a", CreatedAt: base},
	} {
		ok(t, "create "+d.FacilityID+"/"+d.ID, s.CreateDevice(ctx(t), d))
	}
	got, err := s.ListDevices(ctx(t), "f1")
	ok(t, "list", err)
	equal(t, "list", got, []*parley.Device{
		{FacilityID: "f1", ID: "pod-c", Name: "Attorney booth", DoNotRecord: true, CreatedAt: us(base)},
		{FacilityID: "f1", ID: "pod-a", CreatedAt: us(base.Add(time.Hour))},
		{FacilityID: "f1", ID: "pod-b", Name: "Pod B", CreatedAt: us(base.Add(time.Hour))},
	})
	got, err = s.ListDevices(ctx(t), "f2")
	ok(t, "list f2", err)
	if len(got) != 1 || got[0].FacilityID != "f2" || got[0].ID != "pod-a" {
		t.Fatalf("list f2: %+v", got)
	}
	got, err = s.ListDevices(ctx(t), "f3")
	ok(t, "list empty", err)
	if len(got) != 0 {
		t.Fatalf("empty facility lists %+v", got)
	}
	for _, fac := range []string{"f9", "", "a/b"} {
		_, err = s.ListDevices(ctx(t), fac)
		wantKind(t, "unknown facility "+fac, err, parley.KindNotFound)
	}
}

// testRemoveDevice: removal deletes the device of that facility only, keeps the call
// records that name it, clears its wrong-PIN state, and frees the id to be added again.
func testRemoveDevice(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	mustFacility(t, s, "f2")
	ok(t, "create", s.CreateDevice(ctx(t), &parley.Device{FacilityID: "f1", ID: "pod-1", Name: "Pod 1", DoNotRecord: true, CreatedAt: base}))
	ok(t, "create other", s.CreateDevice(ctx(t), &parley.Device{FacilityID: "f2", ID: "pod-1", CreatedAt: base}))
	c := mustCall(t, s, call("f1", "B-1", "+15551110000", base)) // from device pod-1
	dev := parley.PINSubject{DeviceID: "pod-1"}
	ok(t, "lock", s.SavePINState(ctx(t), "f1", dev, parley.PINState{Failures: 3, LockedUntil: base.Add(time.Hour)}))
	ok(t, "lock other", s.SavePINState(ctx(t), "f2", dev, parley.PINState{Failures: 2}))

	wantKind(t, "unknown device", s.RemoveDevice(ctx(t), "f1", "pod-9"), parley.KindNotFound)
	wantKind(t, "unknown facility", s.RemoveDevice(ctx(t), "f9", "pod-1"), parley.KindNotFound)
	wantKind(t, "bad id", s.RemoveDevice(ctx(t), "f1", "../pod-1"), parley.KindNotFound)
	ok(t, "remove", s.RemoveDevice(ctx(t), "f1", "pod-1"))
	_, err := s.FindDevice(ctx(t), "f1", "pod-1")
	wantKind(t, "removed", err, parley.KindNotFound)
	wantKind(t, "remove again", s.RemoveDevice(ctx(t), "f1", "pod-1"), parley.KindNotFound)
	list, err := s.ListDevices(ctx(t), "f1")
	ok(t, "list", err)
	if len(list) != 0 {
		t.Fatalf("after remove: %+v", list)
	}

	// The other facility's device of the same id and its PIN state are untouched.
	other, err := s.FindDevice(ctx(t), "f2", "pod-1")
	ok(t, "other facility", err)
	equal(t, "other facility", other.FacilityID, "f2")
	st, err := s.PINState(ctx(t), "f2", dev)
	ok(t, "other PIN state", err)
	equal(t, "other PIN state", st.Failures, 2)

	// History stays: the call still names the device.
	got, err := s.FindCall(ctx(t), c.ID)
	ok(t, "call", err)
	equal(t, "call device", got.DeviceID, "pod-1")

	// The wrong-PIN state went with the device.
	st, err = s.PINState(ctx(t), "f1", dev)
	ok(t, "PIN state", err)
	equal(t, "PIN state", st, parley.PINState{})

	// The id may be added again, as a new device.
	ok(t, "add again", s.CreateDevice(ctx(t), &parley.Device{FacilityID: "f1", ID: "pod-1", CreatedAt: base.Add(time.Hour)}))
	again, err := s.FindDevice(ctx(t), "f1", "pod-1")
	ok(t, "find again", err)
	if again.DoNotRecord || again.Name != "" || !again.CreatedAt.Equal(us(base.Add(time.Hour))) {
		t.Fatalf("re-added device carries the old one's state: %+v", again)
	}
}
