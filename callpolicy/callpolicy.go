// Package callpolicy decides call attempts: it identifies the inmate by PIN, gathers the
// facts the pure policy engine needs from the store (the facility's rules, the inmate's
// allowed list and PIN state, blocks, called-party self-blocks, minutes used this month,
// the end of the last call) and asks policy.Evaluate. It records wrong PINs.
//
// # PINs
//
// The IVR collects only a PIN, so a PIN is unique within its facility: the store finds the
// inmate by a keyed blind index of facility and PIN (parley.ContactService.FindInmateByPIN),
// and one argon2id verification of the inmate's hash confirms it. Checking a PIN against
// every inmate's hash would cost one argon2 run per inmate per attempt. The index reveals
// nothing without the index key, which lives in the key directory, never in the database.
//
// A PIN that matches no inmate cannot be charged to an inmate, so wrong PINs are counted
// per device (the phone) as well as per inmate, with the facility's PINMaxFailures and
// PINLockout: a locked device refuses every PIN with pin_locked until the lockout ends. A
// correct PIN does not clear the device's count (an inmate could otherwise interleave their
// own PIN with guesses); it clears only that inmate's count. Facilities should use PINs
// of 6 to 8 digits: with unique PINs, a random guess hits some inmate with probability
// (inmates ÷ 10^digits).
package callpolicy

import (
	"context"
	"log/slog"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/phone"
	"parley.dev/parley/pin"
	"parley.dev/parley/policy"
)

// Store is what the service reads and writes: contacts, PINs and usage
// (parley.ContactService) and the facility's call rules (sqldb.DB has CallRules).
type Store interface {
	parley.ContactService
	// CallRules returns the facility's complete rules (time zone and blocks included), or
	// KindNotFound if the facility has none.
	CallRules(ctx context.Context, facilityID string) (policy.Rules, error)
}

// ActiveCalls counts calls in progress; the SIP layer, which carries them, implements it.
type ActiveCalls interface {
	ActiveCalls(facilityID, inmateID string) (facility, inmate int)
}

// InmateRef identifies the inmate whose PIN was verified. It is personal data: never log it.
type InmateRef struct {
	FacilityID  string
	ID          string
	Name        string
	DoNotRecord bool
}

// Service decides call attempts. The zero value is not usable: set Store.
type Service struct {
	Store Store
	// Active counts calls in progress; nil counts none (an operator's dry run).
	Active ActiveCalls
	// Region is the default region for dialed numbers without '+', e.g. "US" (the default).
	Region string
	// Logger receives decisions (facility, device and reason only); nil discards.
	Logger *slog.Logger
}

// Decide decides whether the call attempt from deviceID at facilityID, with the entered PIN
// and the dialed digits, may go through at now, and for how long. The InmateRef is set when
// the PIN was verified (even if the call is refused for another reason). An error means the
// facts could not be gathered (no rules, a database failure): the caller refuses the call.
func (s *Service) Decide(ctx context.Context, facilityID, deviceID, pinCode, dialedRaw string, now time.Time) (policy.Decision, InmateRef, error) {
	const op = "callpolicy.Decide"
	fail := func(err error) (policy.Decision, InmateRef, error) {
		return policy.Decision{Reason: policy.ReasonInvalidInput, Prompt: policy.ReasonInvalidInput.Prompt()},
			InmateRef{}, parley.WrapError(op, parley.KindInternal, err)
	}
	rules, err := s.Store.CallRules(ctx, facilityID)
	if err != nil {
		return fail(err)
	}
	facts := policy.Facts{Now: now, Rules: rules}
	if rules.Lockdown && (rules.LockdownUntil.IsZero() || now.Before(rules.LockdownUntil)) {
		return s.decide(facilityID, deviceID, facts), InmateRef{}, nil // before any PIN is looked at
	}
	device := parley.PINSubject{DeviceID: deviceID}
	var dev parley.PINState
	if deviceID != "" {
		if dev, err = s.Store.PINState(ctx, facilityID, device); err != nil {
			return fail(err)
		}
		if now.Before(dev.LockedUntil) {
			facts.Inmate = &policy.Inmate{LockedUntil: dev.LockedUntil}
			return s.decide(facilityID, deviceID, facts), InmateRef{}, nil
		}
	}
	var in *parley.Inmate
	if pin.Validate(pinCode) == nil {
		in, err = s.Store.FindInmateByPIN(ctx, facilityID, pinCode)
		if err != nil && !parley.IsKind(err, parley.KindNotFound) {
			return fail(err)
		}
	}
	if in == nil {
		if err := s.deviceFailure(ctx, facilityID, device, dev, now, rules); err != nil {
			return fail(err)
		}
		return s.decide(facilityID, deviceID, facts), InmateRef{}, nil
	}

	subject := parley.PINSubject{InmateID: in.ID}
	st, err := s.Store.PINState(ctx, facilityID, subject)
	if err != nil {
		return fail(err)
	}
	state := policy.Inmate{ID: in.ID, PINFailures: st.Failures, LockedUntil: st.LockedUntil}
	if state.Locked(now) {
		facts.Inmate = &state
		return s.decide(facilityID, deviceID, facts), InmateRef{}, nil
	}
	verified, err := pin.Verify(in.PINHash, pinCode)
	if err != nil {
		return fail(err)
	}
	if !verified {
		state, _ = policy.RegisterPINFailure(state, now, rules)
		if err := s.Store.SavePINState(ctx, facilityID, subject, parley.PINState{Failures: state.PINFailures, LockedUntil: state.LockedUntil}); err != nil {
			return fail(err)
		}
		if err := s.deviceFailure(ctx, facilityID, device, dev, now, rules); err != nil {
			return fail(err)
		}
		facts.Inmate = &state
		return s.decide(facilityID, deviceID, facts), InmateRef{}, nil
	}
	if state.PINFailures > 0 || !state.LockedUntil.IsZero() {
		state = policy.ResetPINFailures(state)
		if err := s.Store.SavePINState(ctx, facilityID, subject, parley.PINState{}); err != nil {
			return fail(err)
		}
	}
	ref := InmateRef{FacilityID: facilityID, ID: in.ID, Name: in.Name, DoNotRecord: in.DoNotRecord}
	if err := s.gather(ctx, &facts, &state, dialedRaw); err != nil {
		return fail(err)
	}
	facts.Inmate, facts.PINVerified = &state, true
	return s.decide(facilityID, deviceID, facts), ref, nil
}

// Number returns the dialed digits as Decide reads them: E.164 with the service's default
// region, or false if they are not a valid number. The SIP layer dials this number.
func (s *Service) Number(dialedRaw string) (parley.Number, bool) {
	region := s.Region
	if region == "" {
		region = "US"
	}
	n, err := phone.Normalize(dialedRaw, region)
	return n, err == nil
}

// gather fills the facts of a verified inmate: the dialed number, the allowed list, the
// called party's self-blocks, this month's minutes, the last call's end and active calls.
func (s *Service) gather(ctx context.Context, f *policy.Facts, state *policy.Inmate, dialedRaw string) error {
	facilityID, now := f.Rules.FacilityID, f.Now
	f.Dialed, _ = s.Number(dialedRaw) // empty if not a number: not_allowed
	allowed, err := s.Store.ListAllowedNumbers(ctx, facilityID, state.ID)
	if err != nil {
		return err
	}
	for _, a := range allowed {
		state.Allowed = append(state.Allowed, policy.AllowedNumber{Number: a.Number, MaxCallLength: a.MaxCallLength})
	}
	if f.Dialed != "" {
		blocks, err := s.Store.FindSelfBlocks(ctx, f.Dialed)
		if err != nil {
			return err
		}
		for _, b := range blocks {
			f.SelfBlocks = append(f.SelfBlocks, policy.SelfBlock{Number: b.Number, FacilityID: b.FacilityID})
		}
	}
	start, end, err := policy.MonthBounds(now, f.Rules.Timezone)
	if err != nil {
		return err
	}
	// A call that started before since ended before now minus MinGap: it cannot make this
	// one too soon.
	since := now.Add(-f.Rules.MinGap - policy.MaxCallCeiling)
	usage, err := s.Store.InmateCallUsage(ctx, facilityID, state.ID, start, end, since)
	if err != nil {
		return err
	}
	f.UsedThisMonth, f.LastCallEnd = usage.Used, usage.LastEnd
	if s.Active != nil {
		f.FacilityActive, f.InmateActive = s.Active.ActiveCalls(facilityID, state.ID)
	}
	return nil
}

// deviceFailure counts a wrong PIN against the device, if one is named.
func (s *Service) deviceFailure(ctx context.Context, facilityID string, device parley.PINSubject, st parley.PINState, now time.Time, rules policy.Rules) error {
	if device.DeviceID == "" {
		return nil
	}
	next, _ := policy.RegisterPINFailure(policy.Inmate{PINFailures: st.Failures, LockedUntil: st.LockedUntil}, now, rules)
	return s.Store.SavePINState(ctx, facilityID, device, parley.PINState{Failures: next.PINFailures, LockedUntil: next.LockedUntil})
}

// decide evaluates the facts and logs the outcome without personal data.
func (s *Service) decide(facilityID, deviceID string, f policy.Facts) policy.Decision {
	d := policy.Evaluate(f)
	if s.Logger != nil {
		s.Logger.Debug("call policy decision", "facility", facilityID, "device", deviceID,
			"allow", d.Allow, "reason", string(d.Reason), "limit", string(d.Limit))
	}
	return d
}
