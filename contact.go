package parley

import (
	"context"
	"time"
)

// AllowedNumber is an entry of an inmate's allowed-number list. The number is personal data:
// stores keep it sealed and find it by blind index.
type AllowedNumber struct {
	FacilityID string
	InmateID   string
	Number     Number
	// MaxCallLength caps calls to this number; 0 means no cap of its own.
	MaxCallLength time.Duration
	AddedAt       time.Time
}

// FacilityBlocks are the numbers and prefixes a facility refuses to connect. Numbers are
// personal data (sealed in the store); prefixes such as "+1900" are not.
type FacilityBlocks struct {
	Numbers  []Number
	Prefixes []string
}

// SelfBlock is a called party's request not to receive calls: from one facility, or from
// every facility when FacilityID is empty.
type SelfBlock struct {
	Number     Number
	FacilityID string
	AddedAt    time.Time
}

// PINSubject names whose wrong PINs are counted: an inmate (the PIN matched their entry
// but did not verify) or a device (the PIN matched no inmate). Exactly one is set.
type PINSubject struct {
	InmateID string
	DeviceID string
}

// PINState is the wrong-PIN count of a subject and when its lockout ends.
type PINState struct {
	Failures    int
	LockedUntil time.Time
}

// Gateway is a trusted SIP gateway address (an IP address, not personal data) and the
// facility its calls come from.
type Gateway struct {
	Addr       string
	FacilityID string
	AddedAt    time.Time
}

// CallUsage sums an inmate's calls for the call-policy engine.
type CallUsage struct {
	// Used is the total duration of the inmate's calls started in the asked interval.
	Used time.Duration
	// LastEnd is the latest end (start plus duration) of the inmate's connected calls
	// (duration above zero) started since the asked time; zero if none. Refused and
	// unanswered attempts do not count: a mistyped number must not start the minimum gap.
	LastEnd time.Time
}

// ContactService stores what call policy needs besides the rules: allowed numbers, blocks,
// called-party self-blocks, PIN lookup and failure counts, trusted gateways and call usage.
// Numbers are validated E.164 (KindInvalid otherwise) and never stored in clear.
type ContactService interface {
	// AddAllowedNumber puts a number on an inmate's list. KindNotFound if the inmate does
	// not exist, KindConflict if the number is listed already.
	AddAllowedNumber(ctx context.Context, a *AllowedNumber) error
	// RemoveAllowedNumber takes a number off the list; KindNotFound if it is not listed.
	RemoveAllowedNumber(ctx context.Context, facilityID, inmateID string, n Number) error
	// ListAllowedNumbers returns the inmate's list, oldest first.
	ListAllowedNumbers(ctx context.Context, facilityID, inmateID string) ([]*AllowedNumber, error)

	// AddBlockedNumber blocks a number at a facility. KindNotFound if the facility does not
	// exist, KindConflict if it is blocked already.
	AddBlockedNumber(ctx context.Context, facilityID string, n Number) error
	// RemoveBlockedNumber unblocks a number; KindNotFound if it was not blocked.
	RemoveBlockedNumber(ctx context.Context, facilityID string, n Number) error
	// AddBlockedPrefix blocks an E.164 prefix ("+" and 1 to 15 digits, not starting with 0).
	AddBlockedPrefix(ctx context.Context, facilityID, prefix string) error
	// RemoveBlockedPrefix unblocks a prefix; KindNotFound if it was not blocked.
	RemoveBlockedPrefix(ctx context.Context, facilityID, prefix string) error
	// FacilityBlocks returns the facility's blocked numbers and prefixes.
	FacilityBlocks(ctx context.Context, facilityID string) (*FacilityBlocks, error)

	// AddSelfBlock records a called party's block. KindConflict if it exists.
	AddSelfBlock(ctx context.Context, b *SelfBlock) error
	// RemoveSelfBlock removes one; KindNotFound if it does not exist.
	RemoveSelfBlock(ctx context.Context, n Number, facilityID string) error
	// FindSelfBlocks returns every self-block on file for the number (all scopes).
	FindSelfBlocks(ctx context.Context, n Number) ([]*SelfBlock, error)
	// ListSelfBlocks returns the self-blocks that apply to a facility (its own and those
	// from every facility), newest first, for staff to review.
	ListSelfBlocks(ctx context.Context, facilityID string) ([]*SelfBlock, error)

	// CreateInmateWithPIN stores a new inmate (as CreateInmate) together with the lookup
	// index of its PIN, in one transaction: KindConflict (message PINUnavailable), and
	// nothing stored, if another inmate of the facility has that PIN.
	CreateInmateWithPIN(ctx context.Context, in *Inmate, pin string) error
	// SetInmatePIN replaces an inmate's PIN hash and its lookup index (a keyed blind index
	// of facility and PIN; PINs are unique within a facility). KindNotFound if the inmate
	// does not exist, KindConflict with the message PINUnavailable (and nothing else) if
	// another inmate of the facility has that PIN.
	SetInmatePIN(ctx context.Context, facilityID, inmateID, pinHash, pin string) error
	// FindInmateByPIN returns the inmate whose PIN index matches, or KindNotFound. The
	// caller still verifies the PIN against the inmate's hash.
	FindInmateByPIN(ctx context.Context, facilityID, pin string) (*Inmate, error)
	// PINState returns the subject's wrong-PIN state; the zero state if none is stored.
	PINState(ctx context.Context, facilityID string, s PINSubject) (PINState, error)
	// SavePINState stores the subject's wrong-PIN state.
	SavePINState(ctx context.Context, facilityID string, s PINSubject, st PINState) error

	// AddGateway trusts a gateway address for a facility. KindInvalid if addr is not an
	// IP address, KindConflict if the address is trusted already (for any facility).
	AddGateway(ctx context.Context, g *Gateway) error
	// RemoveGateway stops trusting an address; KindNotFound if it was not trusted.
	RemoveGateway(ctx context.Context, addr string) error
	// ListGateways returns the gateways of a facility, or of every facility if facilityID
	// is empty, ordered by facility and address.
	ListGateways(ctx context.Context, facilityID string) ([]*Gateway, error)

	// InmateCallUsage returns the duration of the inmate's calls started in [from, to) and
	// the latest end of those started at or after since.
	InmateCallUsage(ctx context.Context, facilityID, inmateID string, from, to, since time.Time) (CallUsage, error)
}
