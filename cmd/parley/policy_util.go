package main

import (
	"time"

	"parley.dev/parley"
	"parley.dev/parley/admin"
	"parley.dev/parley/policy"
	"parley.dev/parley/rates"
)

// admin returns the audited administrative operations over this environment (caps may be
// nil for operations that do not touch rates).
func (e *env) admin(caps *rates.Caps) *admin.Service {
	return &admin.Service{Store: e.store, Rules: e.db, Rates: e.db, Caps: caps, Audit: e.audit,
		Digest: e.cipher.BlindIndex, Now: e.clock, PhoneHash: phoneHashes, PhoneRealm: sipRealm}
}

// numberObject names a number in an audit event by a short keyed digest, never in clear.
func (e *env) numberObject(n parley.Number) string { return e.admin(nil).NumberObject(n) }

// inmateObject names an inmate in an audit event by a short keyed digest of facility and id.
func (e *env) inmateObject(facilityID, inmateID string) string {
	return e.admin(nil).InmateObject(facilityID, inmateID)
}

// parseHours parses calling hours (admin.ParseHours) as the --hours flag.
func parseHours(s string) (policy.Week, error) {
	wk, err := admin.ParseHours(s)
	if err != nil {
		return wk, flagError("--hours", err)
	}
	return wk, nil
}

var dayNames = admin.DayNames

// rulesView is the --json form of a facility's call rules. Durations are Go durations
// ("15m0s") and whole seconds.
type rulesView struct {
	Facility        string              `json:"facility"`
	Timezone        string              `json:"timezone"`
	Hours           map[string][]string `json:"hours"`
	MaxCall         string              `json:"max_call"`
	MaxCallSeconds  int64               `json:"max_call_seconds"`
	MinGap          string              `json:"min_gap"`
	MonthlyQuota    string              `json:"monthly_quota"`
	MaxConcurrent   int                 `json:"max_concurrent"`
	OpenDialing     bool                `json:"open_dialing"`
	Lockdown        bool                `json:"lockdown"`
	LockdownUntil   *time.Time          `json:"lockdown_until,omitempty"`
	PINMaxFailures  int                 `json:"pin_max_failures"`
	PINLockout      string              `json:"pin_lockout"`
	BlockedNumbers  int                 `json:"blocked_numbers"` // a count: numbers are personal data
	BlockedPrefixes []string            `json:"blocked_prefixes"`
}

func viewRules(r policy.Rules) rulesView {
	v := rulesView{Facility: r.FacilityID, Timezone: r.Timezone, Hours: map[string][]string{},
		MaxCall: r.MaxCallLength.String(), MaxCallSeconds: int64(r.MaxCallLength / time.Second),
		MinGap: r.MinGap.String(), MonthlyQuota: r.MonthlyQuota.String(), MaxConcurrent: r.MaxConcurrent,
		OpenDialing: r.OpenDialing, Lockdown: r.Lockdown, PINMaxFailures: r.PINMaxFailures,
		PINLockout: r.PINLockout.String(), BlockedNumbers: len(r.BlockedNumbers), BlockedPrefixes: r.BlockedPrefixes}
	if v.BlockedPrefixes == nil {
		v.BlockedPrefixes = []string{}
	}
	if !r.LockdownUntil.IsZero() {
		t := r.LockdownUntil
		v.LockdownUntil = &t
	}
	for d, ws := range r.Hours {
		for _, w := range ws {
			v.Hours[dayNames[d]] = append(v.Hours[dayNames[d]], w.String())
		}
	}
	return v
}

// flagError is a bad flag value: the person reads "--number: <why>" (the flag is the
// message, since parley.ErrorMessage never shows an Op).
func flagError(flag string, err error) error {
	return &parley.Error{Op: flag, Kind: parley.KindInvalid, Message: flag, Err: err}
}
