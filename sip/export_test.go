package sip

import (
	"time"

	"parley.dev/parley/media/prompts"
)

// SetPromptHook lets tests observe every prompt played (call id, leg, prompt).
func SetPromptHook(s *Server, f func(callID, leg string, id prompts.ID)) { s.onPrompt = f }

// AdvanceClock moves the server's clock (nonce, lockout and registration expiry) forward.
func AdvanceClock(s *Server, d time.Duration) { s.clockSkew.Add(int64(d)) }

// SetTrunkRetry sets the first back-off of the trunk registration until the test ends.
func SetTrunkRetry(t interface{ Cleanup(func()) }, d time.Duration) {
	old := regBackoffMin
	regBackoffMin = d
	t.Cleanup(func() { regBackoffMin = old })
}

// SetMD5Allowed stands in for FIPS mode (allowed false) in the digest authenticator.
func SetMD5Allowed(s *Server, allowed bool) { s.auth.md5Off.Store(!allowed) }
