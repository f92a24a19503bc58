package parley

import (
	"context"
	"time"
)

// Public (non-staff) roles: people outside the facilities who sign themselves up. They are
// not in Roles: a public account never holds a staff role, and its sessions live apart
// from staff sessions.
const (
	RoleAttorney Role = "attorney" // registers office and cell numbers as privileged, once verified
	RoleFamily   Role = "family"   // one phone number: rates, deposits, statements, call history, self-blocks
)

// PublicRoles lists the public roles.
var PublicRoles = []Role{RoleAttorney, RoleFamily}

// AttorneyStatus is where an attorney's bar number stands.
type AttorneyStatus string

// Attorney statuses: pending until an admin checks the bar number.
const (
	AttorneyPending  AttorneyStatus = "pending"
	AttorneyVerified AttorneyStatus = "verified"
)

// PublicAccount is an attorney's or a family member's account. Name, the secrets and the
// attorney's full name, bar number and state are personal data: stores seal them and find
// accounts by a blind index of the name.
type PublicAccount struct {
	ID           string
	Role         Role   // RoleAttorney or RoleFamily
	Name         string // sign-in name
	PasswordHash string // argon2id
	// TOTPSecret is the optional second factor; empty when the account has none.
	TOTPSecret    string
	FactorVersion int
	FailedSignIns int
	LockedUntil   time.Time
	LastTOTPStep  int64
	// Attorneys only.
	FullName   string
	BarNumber  string
	BarState   string // two-letter US state or territory code
	Status     AttorneyStatus
	VerifiedBy string // the admin's actor id
	VerifiedAt time.Time
	CreatedAt  time.Time
}

// Validate checks the account's fields (not the secrets).
func (a *PublicAccount) Validate() error {
	const op = "public.Validate"
	if a.Name == "" || len(a.Name) > 100 || !printableText(a.Name) {
		return Errorf(op, KindInvalid, "name must be 1 to 100 printable characters")
	}
	switch a.Role {
	case RoleFamily:
		if a.FullName != "" || a.BarNumber != "" || a.BarState != "" || a.Status != "" {
			return Errorf(op, KindInvalid, "a family account has no bar details")
		}
	case RoleAttorney:
		if a.FullName == "" || len(a.FullName) > 200 || !printableText(a.FullName) {
			return Errorf(op, KindInvalid, "full name must be 1 to 200 printable characters")
		}
		if !validBarNumber(a.BarNumber) {
			return Errorf(op, KindInvalid, "bar number must be 1 to 20 letters, digits or '-'")
		}
		if len(a.BarState) != 2 || a.BarState[0] < 'A' || a.BarState[0] > 'Z' || a.BarState[1] < 'A' || a.BarState[1] > 'Z' {
			return Errorf(op, KindInvalid, "state must be a two-letter code such as NY")
		}
		if a.Status != AttorneyPending && a.Status != AttorneyVerified {
			return Errorf(op, KindInvalid, "status must be pending or verified")
		}
	default:
		return Errorf(op, KindInvalid, "a public account is an attorney or a family account")
	}
	return nil
}

func validBarNumber(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-') {
			return false
		}
	}
	return true
}

func printableText(s string) bool {
	for _, c := range s {
		if c < ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// NumberState is where a public account's phone number stands.
type NumberState string

// Number states: a code was sent (pending), the code was entered (verified), and for an
// attorney, the number is in the privilege registry (registered).
const (
	NumberPending    NumberState = "pending"
	NumberVerified   NumberState = "verified"
	NumberRegistered NumberState = "registered"
)

// Number labels.
const (
	LabelOffice = "office" // an attorney's office
	LabelCell   = "cell"   // an attorney's cell
	LabelHome   = "home"   // a family account's one number
)

// PublicNumber is a phone number a public account claims. Number is personal data (sealed,
// found by blind index).
type PublicNumber struct {
	ID           string
	AccountID    string
	Number       Number
	Label        string
	State        NumberState
	PrivilegedID string // the registry entry, once registered
	CreatedAt    time.Time
	VerifiedAt   time.Time
}

// CodeResult is the outcome of checking a verification code.
type CodeResult int

// Code results. CodeOK spends the code: the same code never passes twice.
const (
	CodeOK        CodeResult = iota
	CodeWrong                // a try was counted
	CodeExpired              // no code, or past its expiry (spent codes are gone)
	CodeExhausted            // too many tries: ask for a new code
)

// CodeSender delivers a verification code to a phone number: a call that speaks the
// digits, or a text message. Implementations never log the code or the number.
type CodeSender interface {
	// SendCode delivers code (6 digits) to n. KindUnavailable if it cannot be delivered now.
	SendCode(ctx context.Context, n Number, code string) error
}

// PublicService stores public accounts, their sessions, numbers and verification codes.
type PublicService interface {
	// CreatePublicAccount stores a new account, setting ID and CreatedAt if empty.
	// KindConflict if the name is taken.
	CreatePublicAccount(ctx context.Context, a *PublicAccount) error
	// FindPublicAccount returns an account by id, or KindNotFound.
	FindPublicAccount(ctx context.Context, id string) (*PublicAccount, error)
	// FindPublicAccountByName returns an account by sign-in name, or KindNotFound.
	FindPublicAccountByName(ctx context.Context, name string) (*PublicAccount, error)
	// UpdatePublicAuth rewrites the secrets and sign-in state (password hash, TOTP secret,
	// factor version, failures, lock, last TOTP step — never lowering the stored step).
	UpdatePublicAuth(ctx context.Context, a *PublicAccount) error
	// AdvancePublicTOTPStep sets LastTOTPStep to step if it is lower, atomically, and
	// reports whether it did (as UserService.AdvanceTOTPStep).
	AdvancePublicTOTPStep(ctx context.Context, id string, step int64) (bool, error)
	// ListPublicAccounts returns the accounts of a role (all if role is ""), oldest first.
	ListPublicAccounts(ctx context.Context, role Role) ([]*PublicAccount, error)
	// VerifyAttorney marks a pending attorney verified by actor at t. KindNotFound if no
	// attorney has the id, KindConflict if already verified.
	VerifyAttorney(ctx context.Context, id, actor string, at time.Time) error

	// CreatePublicSession, FindPublicSession, TouchPublicSession, DeletePublicSession and
	// DeletePublicAccountSessions are the UserService session methods for public accounts
	// (Session.UserID is the public account's id).
	CreatePublicSession(ctx context.Context, s *Session) error
	FindPublicSession(ctx context.Context, tokenHash []byte) (*Session, error)
	TouchPublicSession(ctx context.Context, tokenHash []byte, at time.Time) error
	DeletePublicSession(ctx context.Context, tokenHash []byte) error
	DeletePublicAccountSessions(ctx context.Context, accountID string) (int, error)

	// AddPublicNumber stores a number claimed by an account, setting ID and CreatedAt if
	// empty. KindNotFound if the account does not exist, KindConflict if it claims the
	// number already.
	AddPublicNumber(ctx context.Context, n *PublicNumber) error
	// FindPublicNumber returns a claimed number by id, or KindNotFound.
	FindPublicNumber(ctx context.Context, id string) (*PublicNumber, error)
	// ListPublicNumbers returns an account's numbers, oldest first.
	ListPublicNumbers(ctx context.Context, accountID string) ([]*PublicNumber, error)
	// UpdatePublicNumber stores a number's State, PrivilegedID and VerifiedAt.
	// KindNotFound if it does not exist.
	UpdatePublicNumber(ctx context.Context, n *PublicNumber) error
	// DeletePublicNumber ends an account's claim on a number (its code goes with it).
	// KindNotFound if the account has no number with that id.
	DeletePublicNumber(ctx context.Context, accountID, id string) error
	// SetVerificationCode replaces a number's code (stored only as a keyed hash), with no
	// tries used. KindNotFound if the number does not exist.
	SetVerificationCode(ctx context.Context, numberID, code string, expires time.Time) error
	// CheckVerificationCode counts one try of code at now, atomically: CodeExhausted once
	// maxTries tries were counted, CodeExpired without a live code, CodeOK (and the code
	// is spent) if it matches.
	CheckVerificationCode(ctx context.Context, numberID, code string, now time.Time, maxTries int) (CodeResult, error)
	// RecordCodeSend notes that a code was sent to n for an account at t, and
	// CountCodeSends counts the sends since a time for the account and for the number
	// (whatever account asked).
	RecordCodeSend(ctx context.Context, accountID string, n Number, at time.Time) error
	CountCodeSends(ctx context.Context, accountID string, n Number, since time.Time) (byAccount, byNumber int, err error)
	// CountRecordingsToNumber counts the recordings of calls to n by state: stored
	// (audio still in the vault) and destroyed.
	CountRecordingsToNumber(ctx context.Context, n Number) (stored, destroyed int, err error)
}
