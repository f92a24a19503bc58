package parley

import (
	"context"
	"strings"
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
	// Digest is the algorithms the phone is challenged with, canonical (ParseDigest):
	// "sha256", "md5" or "sha256,md5". It holds exactly the hashes it names.
	Digest    string
	HA1       string // MD5 digest hash, hex; only when Digest includes md5
	HA1SHA256 string // SHA-256 digest hash (RFC 8760), hex; only when Digest includes sha256
	AddedAt   time.Time
}

// Digest algorithm names (RFC 8760 calls them "SHA-256" and "MD5"), as Digest lists them.
const (
	DigestSHA256 = "sha256"
	DigestMD5    = "md5"
	// DigestDefault is what a new phone gets: SHA-256 alone (no MD5 hash of its password
	// is stored, and it works in FIPS-only mode).
	DigestDefault = DigestSHA256
)

// ParseDigest returns the canonical form of a list of digest algorithms ("sha256",
// "md5", or both in any order: "sha256,md5", SHA-256 always offered first), or
// KindInvalid for an empty list, an unknown name or a repeated one.
func ParseDigest(s string) (string, error) {
	const op = "parley.ParseDigest"
	var sha, md bool
	for _, a := range strings.Split(s, ",") {
		switch strings.ToLower(strings.TrimSpace(a)) {
		case DigestSHA256:
			if sha {
				return "", Errorf(op, KindInvalid, "digest algorithm sha256 is named twice")
			}
			sha = true
		case DigestMD5:
			if md {
				return "", Errorf(op, KindInvalid, "digest algorithm md5 is named twice")
			}
			md = true
		default:
			return "", Errorf(op, KindInvalid, "digest algorithms are sha256, md5 or sha256,md5")
		}
	}
	switch {
	case sha && md:
		return DigestSHA256 + "," + DigestMD5, nil
	case md:
		return DigestMD5, nil
	default:
		return DigestSHA256, nil
	}
}

// DigestHas reports whether a canonical Digest list names the algorithm.
func DigestHas(digest, alg string) bool {
	for _, a := range strings.Split(digest, ",") {
		if a == alg {
			return true
		}
	}
	return false
}

// PhoneService stores registering phones.
type PhoneService interface {
	// AddPhone stores a phone. KindInvalid if a field is invalid (Digest must be
	// canonical, with each hash it names and none it does not), KindNotFound if the
	// facility does not exist, KindConflict if the username is taken (at any facility).
	AddPhone(ctx context.Context, p *SIPPhone) error
	// UpdatePhoneDigest replaces a phone's realm, Digest and hashes (a new password, or
	// other algorithms: an HA1 cannot be derived from another, so both come from the
	// password), validated as AddPhone does; the facility and AddedAt stay.
	// KindNotFound if there is no phone with p.Username.
	UpdatePhoneDigest(ctx context.Context, p *SIPPhone) error
	// FindPhone returns the phone with the username, or KindNotFound.
	FindPhone(ctx context.Context, username string) (*SIPPhone, error)
	// ListPhones returns the phones of a facility, or of every facility if facilityID is
	// empty, ordered by facility and username.
	ListPhones(ctx context.Context, facilityID string) ([]*SIPPhone, error)
	// RemovePhone deletes a phone; KindNotFound if there is none with the username.
	RemovePhone(ctx context.Context, username string) error
}
