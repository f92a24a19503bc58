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
	// Holder is, for a self-registration, the attorney's public account id: with Source it
	// names the entry's first claim. Stores keep it in the claim, not in the entry.
	Holder string
}

// PrivilegeClaim is one reason an entry of the registry stands: its source and, for a
// self-registration, the attorney (public account id) who holds the number. Staff and
// directory claims have no holder. A number stays privileged while any claim remains, so
// an attorney giving up a number also registered by staff does not unprotect it.
type PrivilegeClaim struct {
	Source PrivilegeSource
	Holder string
}

// PrivilegeService stores the privilege registry. An entry is deleted only when its last
// claim ends (RemovePrivilegedClaim); what it caused (calls marked privileged, recordings
// destroyed) stays.
type PrivilegeService interface {
	// CreatePrivileged stores a new entry with its first claim (Source, Holder), setting
	// ID and AddedAt if empty. Returns KindConflict (and leaves the store unchanged) if the
	// number is already registered.
	CreatePrivileged(ctx context.Context, p *PrivilegedNumber) error
	// AddPrivilegedClaim adds a claim to an entry by actor at t and reports whether it is
	// new (false: the entry had that claim already). KindNotFound if no entry has the id.
	AddPrivilegedClaim(ctx context.Context, entryID string, c PrivilegeClaim, actor string, at time.Time) (bool, error)
	// RemovePrivilegedClaim ends a claim and, atomically, deletes the entry if no claim is
	// left, reporting whether it did. KindNotFound if the entry has no such claim.
	RemovePrivilegedClaim(ctx context.Context, entryID string, c PrivilegeClaim) (entryRemoved bool, err error)
	// ListPrivilegedClaims returns an entry's claims, oldest first (none if no entry).
	ListPrivilegedClaims(ctx context.Context, entryID string) ([]PrivilegeClaim, error)
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
