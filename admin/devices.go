package admin

import (
	"context"

	"parley.dev/parley"
)

// AddDevice stores a facility phone or kiosk, audited as "device.add".
func (s *Service) AddDevice(ctx context.Context, d *parley.Device) error {
	const op = "admin.AddDevice"
	if err := parley.ValidateID(d.ID); err != nil {
		return &parley.Error{Op: op, Kind: parley.KindInvalid, Message: "device id", Err: err}
	}
	if len(d.Name) > 200 || !printable(d.Name) {
		return parley.Errorf(op, parley.KindInvalid, "device name must be at most 200 printable characters")
	}
	return s.act(ctx, "device.add", "device:"+d.FacilityID+"/"+d.ID, "", func() error {
		return s.Store.CreateDevice(ctx, d)
	})
}

// ListDevices returns a facility's devices behind its gateways, oldest first; reading
// them is audited ("device.list" on the facility) like every other administrative read.
// An unknown facility is KindNotFound and audits nothing.
func (s *Service) ListDevices(ctx context.Context, facilityID string) ([]*parley.Device, error) {
	if _, err := s.facility(ctx, facilityID); err != nil {
		return nil, err
	}
	var out []*parley.Device
	err := s.act(ctx, "device.list", "facility:"+facilityID, "", func() (err error) {
		out, err = s.Store.ListDevices(ctx, facilityID)
		return err
	})
	return out, err
}

// RemoveDevice retires a device of the facility (a phone torn out of a pod), audited as
// "device.remove" on the device. Call records keep its id; the id may be added again.
// A bad id is KindInvalid, an unknown facility or a device it does not have KindNotFound,
// all before anything is audited or written. Removing a do-not-record device says so in
// the event's detail: calls under that id are recorded again from then on.
func (s *Service) RemoveDevice(ctx context.Context, facilityID, deviceID string) error {
	const op = "admin.RemoveDevice"
	if _, err := s.facility(ctx, facilityID); err != nil {
		return err
	}
	if err := parley.ValidateID(deviceID); err != nil {
		return &parley.Error{Op: op, Kind: parley.KindInvalid, Message: "device id", Err: err}
	}
	d, err := s.Store.FindDevice(ctx, facilityID, deviceID)
	if err != nil {
		return err
	}
	detail := ""
	if d.DoNotRecord {
		detail = "was do-not-record"
	}
	return s.act(ctx, "device.remove", "device:"+facilityID+"/"+deviceID, detail, func() error {
		return s.Store.RemoveDevice(ctx, facilityID, deviceID)
	})
}
