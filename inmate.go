package parley

import (
	"context"
	"time"
)

// Inmate is an incarcerated person at a facility. The id (a booking or DOC number) and name
// are personal data: stores keep them encrypted, and find inmates by a blind index of the id.
type Inmate struct {
	FacilityID string
	ID         string // booking / DOC number, unique within the facility
	Name       string
	// PINHash is the encoded argon2id hash of the inmate's PIN (see the pin package); the
	// PIN itself is never stored.
	PINHash string
	// DoNotRecord marks every call of this inmate as never to be recorded or monitored.
	DoNotRecord bool
	CreatedAt   time.Time
}

// PINUnavailable is the one message for a PIN another inmate of the facility holds. It
// says neither who holds it nor that anyone does (it reads like any other refused PIN),
// so setting PINs is no oracle for naming the inmate behind one.
const PINUnavailable = "that PIN is not available; choose another"

// InmateService stores inmates.
type InmateService interface {
	// CreateInmate stores a new inmate. Returns KindNotFound if the facility does not exist
	// and KindConflict if the inmate id exists at that facility.
	CreateInmate(ctx context.Context, in *Inmate) error
	// FindInmate returns the inmate, or KindNotFound.
	FindInmate(ctx context.Context, facilityID, inmateID string) (*Inmate, error)
	// ListInmates returns the inmates of a facility (order unspecified: ids are encrypted).
	ListInmates(ctx context.Context, facilityID string) ([]*Inmate, error)
	// SetInmateDoNotRecord sets or clears the inmate's do-not-record flag.
	SetInmateDoNotRecord(ctx context.Context, facilityID, inmateID string, dnr bool) error
}

// Device is a facility phone, kiosk or gateway port. A device flagged do-not-record (a phone
// in an attorney booth, say) is never recorded.
type Device struct {
	FacilityID  string
	ID          string
	Name        string
	DoNotRecord bool
	CreatedAt   time.Time
}

// DeviceService stores devices.
type DeviceService interface {
	// CreateDevice stores a new device. KindNotFound if the facility does not exist,
	// KindConflict if the id exists at that facility.
	CreateDevice(ctx context.Context, d *Device) error
	// FindDevice returns the device, or KindNotFound.
	FindDevice(ctx context.Context, facilityID, deviceID string) (*Device, error)
	// SetDeviceDoNotRecord sets or clears the device's do-not-record flag.
	SetDeviceDoNotRecord(ctx context.Context, facilityID, deviceID string, dnr bool) error
	// ListDevices returns the devices of a facility, oldest first (ties by id), or an empty
	// list; KindNotFound if the facility does not exist.
	ListDevices(ctx context.Context, facilityID string) ([]*Device, error)
	// RemoveDevice deletes a device (a phone torn out of a pod); KindNotFound if the
	// facility has no such device. Call records keep the device id: they are history, and
	// no table refers to devices by key. The device's wrong-PIN state goes with it, so the
	// same id may be added again later as a new device, with a clean slate.
	RemoveDevice(ctx context.Context, facilityID, deviceID string) error
}
