package parley

import (
	"context"
	"time"
)

// Role is what a staff account may do; authz decides every request from the role, the
// account's scope and its grants.
type Role string

// Staff roles.
const (
	RoleAdmin        Role = "admin"        // facilities, staff, grants, the privilege registry
	RoleOfficer      Role = "officer"      // calls in progress, blocks
	RoleInvestigator Role = "investigator" // call search and playback, with case and purpose
	RoleProsecutor   Role = "prosecutor"   // call search and playback, with case and purpose
	RoleAuditor      Role = "auditor"      // the audit log and its verification, alerts
)

// Roles lists every staff role.
var Roles = []Role{RoleAdmin, RoleOfficer, RoleInvestigator, RoleProsecutor, RoleAuditor}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, k := range Roles {
		if r == k {
			return true
		}
	}
	return false
}

// User is a staff account. Name is personal data: stores seal it with the secrets (password
// hash, TOTP secret, enrolment secret hash) and find accounts by a blind index of the name.
// Exactly one of FacilityID and AgencyID is set: the account's scope.
type User struct {
	ID         string // random id, safe in audit events ("user:ID")
	Name       string // sign-in name
	Role       Role
	FacilityID string
	AgencyID   string
	// PasswordHash is an encoded argon2id hash; empty until enrolment.
	PasswordHash string
	// TOTPSecret is the base32 TOTP secret (SHA-256, 6 digits, 30 s); empty until enrolment.
	TOTPSecret string
	// EnrolHash is the SHA-256 (hex) of the one-time enrolment secret; empty once used.
	EnrolHash string
	// FactorVersion grows whenever a factor changes; a session made under an older version
	// is dead.
	FactorVersion int
	// FailedSignIns counts consecutive failures; LockedUntil is set when it reaches the limit.
	FailedSignIns int
	LockedUntil   time.Time
	// LastTOTPStep is the time step of the last accepted TOTP code: a code of that step or
	// an earlier one is refused (no replay).
	LastTOTPStep int64
	CreatedAt    time.Time
}

// Enrolled reports whether the account has both factors.
func (u *User) Enrolled() bool { return u.PasswordHash != "" && u.TOTPSecret != "" }

// Validate checks the account's fields (not the secrets).
func (u *User) Validate() error {
	const op = "user.Validate"
	if u.Name == "" || len(u.Name) > 100 {
		return Errorf(op, KindInvalid, "name must be 1 to 100 characters")
	}
	for _, c := range u.Name {
		if c < ' ' || c == 0x7f {
			return Errorf(op, KindInvalid, "name must not contain control characters")
		}
	}
	if !u.Role.Valid() {
		return Errorf(op, KindInvalid, "role must be admin, officer, investigator, prosecutor or auditor")
	}
	if (u.FacilityID == "") == (u.AgencyID == "") {
		return Errorf(op, KindInvalid, "an account belongs to exactly one facility or one agency")
	}
	id := u.FacilityID + u.AgencyID
	if err := ValidateID(id); err != nil {
		return &Error{Op: op, Kind: KindInvalid, Message: "facility or agency id", Err: err}
	}
	return nil
}

// Agency is a set of facilities under one administration (a county, a state department).
type Agency struct {
	ID         string
	Name       string
	Facilities []string // facility ids, sorted
	CreatedAt  time.Time
}

// Session is a signed-in staff session. The token itself is never stored: TokenHash is its
// SHA-256.
type Session struct {
	TokenHash     []byte
	UserID        string
	CSRFToken     string // sent back with every state-changing request
	FactorVersion int    // the user's FactorVersion when the session began
	CreatedAt     time.Time
	LastSeen      time.Time
}

// Grant lets one account read the calls and recordings of one facility outside its own
// scope until Expires. An admin whose scope holds the facility issues it.
type Grant struct {
	ID         string
	UserID     string // the grantee
	FacilityID string
	IssuedBy   string // the admin's user id
	Reason     string // no personal data
	CreatedAt  time.Time
	Expires    time.Time
}

// Active reports whether the grant is in force at t.
func (g *Grant) Active(t time.Time) bool { return !t.Before(g.CreatedAt) && t.Before(g.Expires) }

// Alert is a notice for an agency's (or facility's) admins and auditors, e.g. an account
// reaching its bulk-read cap.
type Alert struct {
	ID        string
	Scope     string // "facility:ID" or "agency:ID"
	Kind      string // e.g. "bulk_read_cap"
	UserID    string // the account concerned
	Detail    string // no personal data
	CreatedAt time.Time
}

// WebAuthnCredential is a security key registered as an account's second factor. Data is
// the WebAuthn library's record of it (public key, sign counter, flags) as JSON: nothing
// in it is secret.
type WebAuthnCredential struct {
	ID        []byte // the credential id the authenticator chose
	UserID    string
	Data      []byte
	CreatedAt time.Time
}

// UserService stores staff accounts, agencies, sessions, grants and alerts.
type UserService interface {
	// CreateAgency stores a new agency (without facilities). KindConflict if the id exists.
	CreateAgency(ctx context.Context, a *Agency) error
	// FindAgency returns an agency with its facilities, or KindNotFound.
	FindAgency(ctx context.Context, id string) (*Agency, error)
	// AddAgencyFacility puts a facility in an agency. KindNotFound if either is missing,
	// KindConflict if the facility already belongs to an agency.
	AddAgencyFacility(ctx context.Context, agencyID, facilityID string) error
	// FacilityAgency returns the agency a facility belongs to, or "" if none.
	FacilityAgency(ctx context.Context, facilityID string) (string, error)

	// CreateUser stores a new account, setting ID and CreatedAt if empty. KindConflict if
	// the name is taken, KindNotFound if its facility or agency does not exist.
	CreateUser(ctx context.Context, u *User) error
	// FindUser returns an account by id, or KindNotFound.
	FindUser(ctx context.Context, id string) (*User, error)
	// FindUserByName returns an account by sign-in name, or KindNotFound.
	FindUserByName(ctx context.Context, name string) (*User, error)
	// UpdateUserAuth rewrites the secrets and sign-in state (password hash, TOTP secret,
	// enrolment hash, factor version, failures, lock, last TOTP step — never lowering the
	// stored step). KindNotFound if the account does not exist.
	UpdateUserAuth(ctx context.Context, u *User) error
	// AdvanceTOTPStep sets an account's LastTOTPStep to step if it is lower, atomically, and
	// reports whether it did: false means that step (or a later one) was used already, so
	// two concurrent sign-ins with one code cannot both pass. UpdateUserAuth never lowers
	// LastTOTPStep either. KindNotFound if the account does not exist.
	AdvanceTOTPStep(ctx context.Context, userID string, step int64) (bool, error)
	// ListUsers returns every account, ordered by id.
	ListUsers(ctx context.Context) ([]*User, error)

	// AddWebAuthnCredential stores a security key of an account. KindConflict if its id
	// is registered already, KindNotFound if the account does not exist.
	AddWebAuthnCredential(ctx context.Context, c *WebAuthnCredential) error
	// ListWebAuthnCredentials returns an account's security keys, oldest first.
	ListWebAuthnCredentials(ctx context.Context, userID string) ([]*WebAuthnCredential, error)
	// UpdateWebAuthnCredential replaces a key's Data (its sign counter moves on every use).
	// KindNotFound if it does not exist.
	UpdateWebAuthnCredential(ctx context.Context, c *WebAuthnCredential) error

	// CreateSession stores a session. KindConflict if the token hash exists.
	CreateSession(ctx context.Context, s *Session) error
	// FindSession returns the session with the token hash, or KindNotFound.
	FindSession(ctx context.Context, tokenHash []byte) (*Session, error)
	// TouchSession sets a session's LastSeen. KindNotFound if it is gone.
	TouchSession(ctx context.Context, tokenHash []byte, at time.Time) error
	// DeleteSession ends a session; ending a missing one is not an error.
	DeleteSession(ctx context.Context, tokenHash []byte) error
	// DeleteUserSessions ends every session of an account and returns how many ended.
	DeleteUserSessions(ctx context.Context, userID string) (int, error)
	// CountSessions returns how many sessions were seen at or after since.
	CountSessions(ctx context.Context, since time.Time) (int, error)

	// CreateGrant stores a grant, setting ID and CreatedAt if empty. KindNotFound if the
	// user or facility does not exist, KindInvalid if Expires is not after CreatedAt.
	CreateGrant(ctx context.Context, g *Grant) error
	// ListUserGrants returns the grants of an account active at t.
	ListUserGrants(ctx context.Context, userID string, t time.Time) ([]*Grant, error)
	// ListFacilityGrants returns the grants to a facility active at t, ordered by id.
	ListFacilityGrants(ctx context.Context, facilityID string, t time.Time) ([]*Grant, error)
	// EndGrant makes a grant expire at t if it would expire later (a revocation; the row
	// stays as history). KindNotFound if the grant does not exist.
	EndGrant(ctx context.Context, id string, t time.Time) error

	// CreateAlert stores an alert, setting ID and CreatedAt if empty.
	CreateAlert(ctx context.Context, a *Alert) error
	// ListAlerts returns the alerts of the given scopes ("facility:ID", "agency:ID"),
	// newest first, at most limit.
	ListAlerts(ctx context.Context, scopes []string, limit int) ([]*Alert, error)
}
