package sip

import "sync"

// Live calls: a call counts toward its facility's and its inmate's concurrent calls from
// the moment the policy allows it until it ends. The policy reads the counts through
// LiveCalls while it decides; decisions of one facility are serialised (decideLock) so two
// simultaneous attempts cannot both see room for one more call.

// liveState is a call's entry in the live counts, guarded by Server.mu.
type liveState struct {
	on         bool
	facilityID string
	inmateID   string
}

// LiveCalls returns how many allowed calls are in progress at the facility, and how many
// of them are the inmate's (0 when inmateID is empty). A call being decided is not counted.
func (s *Server) LiveCalls(facilityID, inmateID string) (facility, inmate int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.calls {
		if !c.live.on || c.live.facilityID != facilityID {
			continue
		}
		facility++
		if inmateID != "" && c.live.inmateID == inmateID {
			inmate++
		}
	}
	return facility, inmate
}

// decideLock returns the lock that serialises the policy decisions of a facility.
func (s *Server) decideLock(facilityID string) *sync.Mutex {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deciding == nil {
		s.deciding = map[string]*sync.Mutex{}
	}
	m, ok := s.deciding[facilityID]
	if !ok {
		m = &sync.Mutex{}
		s.deciding[facilityID] = m
	}
	return m
}

// setLive adds the call to the live counts (on) or removes it.
func (c *call) setLive(on bool, facilityID, inmateID string) {
	c.srv.mu.Lock()
	c.live = liveState{on: on, facilityID: facilityID, inmateID: inmateID}
	c.srv.mu.Unlock()
}
