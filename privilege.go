package parley

import (
	"context"
	"time"
)

// PrivilegeKind says why a number is privileged.
type PrivilegeKind string

// Kinds of privileged number.
const (
	PrivilegeAttorney       PrivilegeKind = "attorney"
	PrivilegePublicDefender PrivilegeKind = "public_defender"
	PrivilegeCourt          PrivilegeKind = "court"
	PrivilegeConsulate      PrivilegeKind = "consulate"
	PrivilegeClergy         PrivilegeKind = "clergy"
	PrivilegeMedical        PrivilegeKind = "medical"
	PrivilegeOther          PrivilegeKind = "other"
)

// Valid reports whether k is a known kind.
func (k PrivilegeKind) Valid() bool {
	switch k {
	case PrivilegeAttorney, PrivilegePublicDefender, PrivilegeCourt, PrivilegeConsulate,
		PrivilegeClergy, PrivilegeMedical, PrivilegeOther:
		return true
	}
	return false
}

// PrivilegeSource says how a number entered the registry.
type PrivilegeSource string

// Sources of privileged numbers.
const (
	SourceSelfRegistration PrivilegeSource = "self"
	SourceStaff            PrivilegeSource = "staff"
	SourceDirectoryImport  PrivilegeSource = "directory"
)

// Valid reports whether s is a known source.
func (s PrivilegeSource) Valid() bool {
	return s == SourceSelfRegistration || s == SourceStaff || s == SourceDirectoryImport
}

// PrivilegedNumber is an entry of the privilege registry: calls to it are never recorded.
// Number and Name are personal data, stored encrypted with a blind index on Number.
type PrivilegedNumber struct {
	ID        string // stable random id, safe to put in audit events
	Number    Number
	Kind      PrivilegeKind
	Source    PrivilegeSource
	Name      string // holder's name (attorney, office), optional
	BarNumber string // optional
	AddedBy   string // actor id
	AddedAt   time.Time
}

// PrivilegeService stores the privilege registry. Entries are never deleted by this
// contract: removing privilege is a staff decision outside this issue.
type PrivilegeService interface {
	// CreatePrivileged stores a new entry, setting ID and AddedAt if empty. Returns
	// KindConflict (and leaves the store unchanged) if the number is already registered.
	CreatePrivileged(ctx context.Context, p *PrivilegedNumber) error
	// FindPrivileged returns the entry for a number, or KindNotFound.
	FindPrivileged(ctx context.Context, n Number) (*PrivilegedNumber, error)
	// ListPrivileged returns every entry, oldest first.
	ListPrivileged(ctx context.Context) ([]*PrivilegedNumber, error)
}

// CallParties names who is on a call, for the one question "may it be recorded?".
type CallParties struct {
	FacilityID string
	InmateID   string // may be empty (unknown inmate, e.g. an imported record without one)
	DeviceID   string // may be empty
	Number     Number // the outside party
}

// RecordVerdict is the answer to "may this call be recorded?". Any "off" wins.
type RecordVerdict struct {
	Record bool
	// Reason says why not, when Record is false: "privileged_number", "inmate_do_not_record"
	// or "device_do_not_record". It never contains the number.
	Reason string
}

// RecordGate answers the one question "may this call be recorded?". The vault asks it
// before it hands out a recorder and again before it creates the recording, so no code path
// can obtain a recorder for a privileged call.
type RecordGate interface {
	MayRecord(ctx context.Context, p CallParties) (RecordVerdict, error)
}
