package admin

import (
	"context"

	"parley.dev/parley"
	"parley.dev/parley/pin"
)

// AddInmate stores a new inmate with its PIN (unique in the facility), audited as
// "inmate.add" on the facility (inmate ids are personal data). An inmate id already taken
// in the facility is refused with KindConflict and audited as refused, before anything is
// written.
func (s *Service) AddInmate(ctx context.Context, in *parley.Inmate, pinCode string) error {
	const op = "admin.AddInmate"
	if err := parley.ValidateID(in.ID); err != nil {
		return &parley.Error{Op: op, Kind: parley.KindInvalid, Message: "inmate id", Err: err}
	}
	if in.Name == "" || len(in.Name) > 200 || !printable(in.Name) {
		return parley.Errorf(op, parley.KindInvalid, "name must be 1 to 200 printable characters")
	}
	if err := pin.Validate(pinCode); err != nil {
		return err
	}
	hash, err := pin.Hash(pinCode)
	if err != nil {
		return err
	}
	in.PINHash = hash
	if _, err := s.facility(ctx, in.FacilityID); err != nil {
		return err
	}
	object := "facility:" + in.FacilityID
	switch _, err := s.Store.FindInmate(ctx, in.FacilityID, in.ID); {
	case err == nil:
		return s.refuse(ctx, "inmate.add", object, parley.Errorf(op, parley.KindConflict, "an inmate with that id exists in facility %s", in.FacilityID))
	case !parley.IsKind(err, parley.KindNotFound):
		return err
	}
	return s.act(ctx, "inmate.add", object, "", func() error {
		return s.Store.CreateInmateWithPIN(ctx, in, pinCode)
	})
}

// SetPIN replaces an inmate's PIN, audited as "inmate.pin".
func (s *Service) SetPIN(ctx context.Context, facilityID, inmateID, pinCode string) error {
	if err := pin.Validate(pinCode); err != nil {
		return err
	}
	hash, err := pin.Hash(pinCode)
	if err != nil {
		return err
	}
	if _, err := s.Store.FindInmate(ctx, facilityID, inmateID); err != nil {
		return err
	}
	return s.act(ctx, "inmate.pin", s.InmateObject(facilityID, inmateID), "facility "+facilityID, func() error {
		return s.Store.SetInmatePIN(ctx, facilityID, inmateID, hash, pinCode)
	})
}

// SetDoNotRecord sets or clears the do-not-record flag of an inmate (what "inmate") or a
// device ("device"), audited as "inmate.do_not_record" on the facility (inmate ids are
// personal data) or "device.do_not_record" on the device.
func (s *Service) SetDoNotRecord(ctx context.Context, what, facilityID, id string, on bool) error {
	object, set := "facility:"+facilityID, s.Store.SetInmateDoNotRecord
	var err error
	switch what {
	case "inmate":
		_, err = s.Store.FindInmate(ctx, facilityID, id)
	case "device":
		object, set = "device:"+facilityID+"/"+id, s.Store.SetDeviceDoNotRecord
		_, err = s.Store.FindDevice(ctx, facilityID, id)
	default:
		return parley.Errorf("admin.SetDoNotRecord", parley.KindInvalid, "do-not-record applies to an inmate or a device")
	}
	if err != nil {
		return err // an unknown inmate or device is bad input: nothing audited, nothing written
	}
	detail := "off"
	if on {
		detail = "on"
	}
	return s.act(ctx, what+".do_not_record", object, detail, func() error {
		return set(ctx, facilityID, id, on)
	})
}

// Inmates lists a facility's inmates; reading names is audited ("inmate.list").
func (s *Service) Inmates(ctx context.Context, facilityID string) ([]*parley.Inmate, error) {
	if _, err := s.facility(ctx, facilityID); err != nil {
		return nil, err
	}
	var out []*parley.Inmate
	err := s.act(ctx, "inmate.list", "facility:"+facilityID, "", func() (err error) {
		out, err = s.Store.ListInmates(ctx, facilityID)
		return err
	})
	return out, err
}

func printable(s string) bool {
	for _, c := range s {
		if c < ' ' || c == 0x7f {
			return false
		}
	}
	return true
}
