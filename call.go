package parley

import (
	"context"
	"time"
)

// CallStatus is the state of a call; a call record is rewritten at every change.
type CallStatus string

// Call statuses.
const (
	CallAttempted CallStatus = "attempted" // the inmate started the call
	CallRefused   CallStatus = "refused"   // policy refused it (Reason says why)
	CallDialing   CallStatus = "dialing"
	CallAccepted  CallStatus = "accepted"  // the called party pressed 1; bridged
	CallDeclined  CallStatus = "declined"  // the called party refused, blocked or did not answer
	CallCompleted CallStatus = "completed" // ended normally
	CallDropped   CallStatus = "dropped"   // ended by a fault (Reason says which side and why)
	CallImported  CallStatus = "imported"  // a record brought from a previous vendor
)

// RecordingState says what happened to a call's audio. Search results show it so an
// investigator, or an attorney checking on their calls, can see why there is no audio.
type RecordingState string

// Recording states of a call.
const (
	RecordingNone       RecordingState = "none"       // no audio was ever captured (not connected)
	RecordingStored     RecordingState = "stored"     // encrypted audio is in the vault
	RecordingPrivileged RecordingState = "privileged" // privileged: never recorded, never stored
	RecordingDestroyed  RecordingState = "destroyed"  // was stored, then crypto-shredded
)

// CallRecord is a call detail record (CDR). InmateID, InmateName and Number are personal data
// and are stored encrypted; stores find records by blind indexes of InmateID and Number.
type CallRecord struct {
	ID          string // random id
	FacilityID  string
	InmateID    string
	InmateName  string // snapshot at call time (imports carry the old vendor's name)
	DeviceID    string
	Number      Number // the outside party
	StartedAt   time.Time
	Duration    time.Duration
	Status      CallStatus
	Reason      string // refusal or drop reason, never personal data
	Privileged  bool
	Recording   RecordingState
	RecordingID string // set when Recording is stored or destroyed
	// Source is "sip" or "import"; ImportKey makes imports idempotent: a record with the
	// same non-empty key is not stored twice.
	Source    string
	ImportKey string
	UpdatedAt time.Time
	// ChargeCents is what the call cost the paying account, after any credit.
	ChargeCents int64
	// CreditReason says why a charge was credited back (empty if none); never personal data.
	CreditReason string
	// PayingAccount is the ledger account that paid (an account id, never personal data).
	PayingAccount string
}

// CallFilter selects call records. At least one of Number, InmateID or FacilityID must be
// set. Limit is capped by the store at MaxCallResults.
type CallFilter struct {
	Number     Number
	FacilityID string
	InmateID   string    // requires FacilityID
	From, To   time.Time // StartedAt in [From, To); zero means unbounded
	Limit      int
}

// MaxCallResults caps one search: no single request pulls the whole database.
const MaxCallResults = 1000

// CallService stores call records.
type CallService interface {
	// CreateCall stores a new record, setting ID if empty. The parties (InmateID,
	// InmateName, Number) may be empty: a call is stored the moment it starts, before the
	// inmate has typed a PIN or a number, so a crash never loses an attempt. A non-empty
	// Number must be E.164. If ImportKey is non-empty and a record with that key exists, it
	// returns KindConflict and changes nothing.
	CreateCall(ctx context.Context, c *CallRecord) error
	// UpdateCall rewrites a record's mutable fields (status, reason, duration, recording
	// state and id, privileged, charge, credit reason, paying account). If the stored
	// record has no parties yet (no inmate and no number) and c names some, they are
	// stored with it, sealed and indexed like at creation; once a record has parties they
	// never change (later values are ignored). KindNotFound if it does not exist.
	UpdateCall(ctx context.Context, c *CallRecord) error
	// FindCall returns one record, or KindNotFound.
	FindCall(ctx context.Context, id string) (*CallRecord, error)
	// FindCalls returns records matching the filter, newest first, at most
	// min(Limit, MaxCallResults) (MaxCallResults when Limit is 0).
	FindCalls(ctx context.Context, f CallFilter) ([]*CallRecord, error)
	// MarkCallsPrivileged sets Privileged on every record to the number and returns how
	// many changed.
	MarkCallsPrivileged(ctx context.Context, n Number) (int, error)
	// DropStaleCalls ends the records a crashed server left unfinished (attempted, dialing
	// or accepted) that started before the cutoff: status dropped with the reason. It
	// returns how many it changed.
	DropStaleCalls(ctx context.Context, before time.Time, reason string) (int, error)
}
