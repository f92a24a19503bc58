package parley

import (
	"context"
	"time"
)

// FacilityType is the kind of correctional facility; rate caps depend on it.
type FacilityType string

// Facility types, as the FCC orders distinguish them.
const (
	FacilityPrison FacilityType = "prison"
	FacilityJail   FacilityType = "jail"
)

// Valid reports whether t is a known facility type.
func (t FacilityType) Valid() bool { return t == FacilityPrison || t == FacilityJail }

// Facility is a prison or jail. Its id and name are not personal data and are stored in clear.
type Facility struct {
	ID       string       // short operator-chosen id, e.g. "cnty-jail"
	Name     string       // display name
	Type     FacilityType // prison or jail
	ADP      int          // average daily population, for jail-size rate tiers
	Timezone string       // IANA zone for calling hours; "UTC" if empty
	// RetentionDays is the default number of days a recording of this facility is kept
	// before it is crypto-shredded; 0 means DefaultRetentionDays.
	RetentionDays int
	// ClassRetentionDays overrides RetentionDays for a record class (e.g. imported
	// recordings kept for a shorter time).
	ClassRetentionDays map[RecordClass]int
	CreatedAt          time.Time
}

// RetentionFor returns the number of days a recording of the class is kept.
func (f *Facility) RetentionFor(class RecordClass) int {
	if d, ok := f.ClassRetentionDays[class]; ok && d > 0 {
		return d
	}
	if f.RetentionDays > 0 {
		return f.RetentionDays
	}
	return DefaultRetentionDays
}

// DefaultRetentionDays is how long recordings are kept when a facility sets no retention.
const DefaultRetentionDays = 365

// Validate checks the facility's fields.
func (f *Facility) Validate() error {
	const op = "facility.Validate"
	if err := ValidateID(f.ID); err != nil {
		return &Error{Op: op, Kind: KindInvalid, Message: "id", Err: err}
	}
	if f.Name == "" || len(f.Name) > 200 {
		return Errorf(op, KindInvalid, "name must be 1 to 200 characters")
	}
	if !f.Type.Valid() {
		return Errorf(op, KindInvalid, "type must be prison or jail")
	}
	if f.ADP < 0 || f.ADP > 1_000_000 {
		return Errorf(op, KindInvalid, "adp must be between 0 and 1000000")
	}
	if f.Timezone != "" {
		if _, err := time.LoadLocation(f.Timezone); err != nil {
			return Errorf(op, KindInvalid, "unknown timezone %q", f.Timezone)
		}
	}
	if f.RetentionDays < 0 || f.RetentionDays > 36500 {
		return Errorf(op, KindInvalid, "retention days must be between 0 and 36500")
	}
	for c, d := range f.ClassRetentionDays {
		if !c.Valid() || d < 1 || d > 36500 {
			return Errorf(op, KindInvalid, "class retention must name a known class and 1 to 36500 days")
		}
	}
	return nil
}

// ValidateID checks an operator-chosen identifier (facility, device, inmate id): 1 to 64
// characters of letters, digits, '-', '_' and '.', not starting with '.'.
func ValidateID(id string) error {
	if id == "" || len(id) > 64 {
		return Errorf("", KindInvalid, "must be 1 to 64 characters")
	}
	if id[0] == '.' {
		return Errorf("", KindInvalid, "must not start with '.'")
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return Errorf("", KindInvalid, "may contain only letters, digits, '-', '_' and '.'")
		}
	}
	return nil
}

// FacilityService stores facilities.
type FacilityService interface {
	// CreateFacility stores a new facility. Returns KindConflict if the id exists and
	// KindInvalid if Validate fails. Sets CreatedAt if zero.
	CreateFacility(ctx context.Context, f *Facility) error
	// FindFacility returns the facility, or KindNotFound.
	FindFacility(ctx context.Context, id string) (*Facility, error)
	// ListFacilities returns all facilities ordered by id.
	ListFacilities(ctx context.Context) ([]*Facility, error)
	// UpdateFacility replaces the mutable fields (name, type, ADP, timezone, retention) of an
	// existing facility. Returns KindNotFound if it does not exist.
	UpdateFacility(ctx context.Context, f *Facility) error
}
