package parley

import (
	"context"
	"time"
)

// SIPPhone is a facility phone that registers to parley with SIP digest authentication.
// Its password is never stored: only the digest hashes HA1 = H(username:realm:password)
// for the realm, which are secrets (they authenticate as the phone) and are stored sealed.
// The username is the phone's device id in call records and logs.
type SIPPhone struct {
	Username   string // unique across facilities; a valid id (ValidateID)
	FacilityID string
	Realm      string
	HA1        string // MD5 digest hash, hex
	HA1SHA256  string // SHA-256 digest hash (RFC 8760), hex
	AddedAt    time.Time
}

// PhoneService stores registering phones.
type PhoneService interface {
	// AddPhone stores a phone. KindInvalid if a field is invalid (both hashes are
	// required), KindNotFound if the facility does not exist, KindConflict if the
	// username is taken (at any facility).
	AddPhone(ctx context.Context, p *SIPPhone) error
	// FindPhone returns the phone with the username, or KindNotFound.
	FindPhone(ctx context.Context, username string) (*SIPPhone, error)
	// ListPhones returns the phones of a facility, or of every facility if facilityID is
	// empty, ordered by facility and username.
	ListPhones(ctx context.Context, facilityID string) ([]*SIPPhone, error)
	// RemovePhone deletes a phone; KindNotFound if there is none with the username.
	RemovePhone(ctx context.Context, username string) error
}
