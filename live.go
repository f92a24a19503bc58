package parley

import (
	"context"
	"time"
)

// LiveCall is a call in progress as staff see it: no number and no name, ever. A
// privileged call is listed (an officer may end it) but flagged: it is never monitored.
type LiveCall struct {
	ID         string    `json:"id"`
	FacilityID string    `json:"facility_id"`
	DeviceID   string    `json:"device_id,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	State      string    `json:"state"` // e.g. "ivr", "ringing", "connected"
	Privileged bool      `json:"privileged"`
}

// LiveCalls is the call server's view of its calls in progress (the SIP server implements
// it).
type LiveCalls interface {
	// ListLive returns the calls in progress at the given facilities, oldest first.
	ListLive(ctx context.Context, facilityIDs []string) ([]LiveCall, error)
	// Hangup ends a call in progress, for the reason given (no personal data). KindNotFound
	// if no such call is in progress.
	Hangup(ctx context.Context, callID, reason string) error
}
