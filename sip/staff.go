package sip

import (
	"context"
	"slices"
	"time"

	"parley.dev/parley"
)

// Staff's view of the calls in progress (parley.LiveCalls): what an officer's page lists
// and the "end call" button. The view holds no number and no name, only the call's id,
// facility, phone, start, state and whether it is privileged; it is kept under Server.mu
// because the call's own record belongs to the call's goroutine.

// reasonStaff is the end reason of a call an officer ended; the officer's own words go
// to the audit log (package web), never to the call record or the logs.
const reasonStaff = "ended_by_staff"

// Call states staff see.
const (
	stateIVR        = "ivr"        // PIN, number, policy, dialling out
	stateAnnouncing = "announcing" // the called party hears the notice and the accept menu
	stateConnected  = "connected"  // bridged
)

// staffView is a call as staff may see it, guarded by Server.mu.
type staffView struct {
	id, facilityID, deviceID string
	started                  time.Time
	state                    string
	privileged               bool
	ended                    bool // the call is over; it only tidies up (recording, record, BYEs)
}

// over reports whether a call has ended, even if its goroutine still finishes it: its
// context is done (a hang-up, an officer, a failure) or the bridge ended it (the limit).
// Guarded by Server.mu.
func (c *call) over() bool { return c.view.ended || c.ctx.Err() != nil }

// setView updates the call's staff view.
func (c *call) setView(f func(v *staffView)) {
	c.srv.mu.Lock()
	f(&c.view)
	c.srv.mu.Unlock()
}

// ListLive returns the calls in progress at the given facilities, oldest first
// (parley.LiveCalls). A call shows once its record exists, and no longer once it has ended:
// the recording's flush, the record and the BYEs that follow can take seconds, during which
// the call is no longer in progress.
func (s *Server) ListLive(ctx context.Context, facilityIDs []string) ([]parley.LiveCall, error) {
	s.mu.Lock()
	out := []parley.LiveCall{}
	for c := range s.calls {
		v := c.view
		if v.id == "" || c.over() || !slices.Contains(facilityIDs, v.facilityID) {
			continue
		}
		out = append(out, parley.LiveCall{ID: v.id, FacilityID: v.facilityID, DeviceID: v.deviceID,
			StartedAt: v.started, State: v.state, Privileged: v.privileged})
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b parley.LiveCall) int {
		if d := a.StartedAt.Compare(b.StartedAt); d != 0 {
			return d
		}
		return compareStrings(a.ID, b.ID)
	})
	return out, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Hangup ends a call in progress (parley.LiveCalls): both sides are hung up and its record
// ends as dropped with reason "ended_by_staff". The reason given is for the caller's audit
// event only. KindNotFound if no such call is in progress.
func (s *Server) Hangup(ctx context.Context, callID, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.calls {
		if c.view.id != "" && c.view.id == callID && !c.over() {
			c.hangup(reasonStaff)
			return nil
		}
	}
	return parley.Errorf("sip.Hangup", parley.KindNotFound, "no such call in progress")
}
