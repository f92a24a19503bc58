// Package admin holds the audited administrative operations of parley — call rules and
// lockdown, inmates and PINs, allowed numbers, blocks, rates under the FCC caps, retention
// and legal holds, gateways and devices, grants — shared by the CLI (cmd/parley) and the
// staff web pages (package web), so both validate, audit and write exactly alike. Each
// operation validates everything first, then audits (an audit failure stops it), then
// writes; bad input writes nothing. If the write then fails, an error event follows the
// audited attempt, so "ok" is never the log's last word on a failure; a duplicate found
// before writing is audited once as refused. The acting account comes from the context
// (parley.ActorFromContext). Audit objects never name a number or an inmate in clear: they
// use a short keyed digest (Service.Digest).
package admin

import (
	"context"
	"encoding/hex"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/billing"
	"parley.dev/parley/policy"
	"parley.dev/parley/rates"
)

// RulesStore reads and writes a facility's call rules (sqldb.DB).
type RulesStore interface {
	// CallRules returns the facility's complete rules, or KindNotFound if none are set.
	CallRules(ctx context.Context, facilityID string) (policy.Rules, error)
	// SetCallRules stores the configurable fields of a facility's rules.
	SetCallRules(ctx context.Context, r policy.Rules) error
}

// Service runs the operations over one store and audit log.
type Service struct {
	Store parley.Store
	Rules RulesStore
	Rates billing.RateStore
	Caps  *rates.Caps // the FCC caps in force (rates.Default or a file)
	Audit parley.Auditor
	// Digest is the keyed blind index (fieldcrypt.Cipher.BlindIndex) used to name numbers
	// and inmates in audit events without showing them.
	Digest func(purpose string, data []byte) []byte
	Now    func() time.Time
	// PhoneHash makes a registering phone's digest hashes (sip.HA1, sip.HA1SHA256).
	PhoneHash  PhoneHasher
	PhoneRealm string // the SIP server's digest realm
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// NumberObject names a number in an audit event by a short keyed digest, never in clear.
func (s *Service) NumberObject(n parley.Number) string {
	return "number:#" + shortDigest(s.Digest("number", []byte(n)))
}

// InmateObject names an inmate in an audit event by a short keyed digest of facility and id.
func (s *Service) InmateObject(facilityID, inmateID string) string {
	return "inmate:#" + shortDigest(s.Digest("inmate_id", []byte(facilityID+"\x00"+inmateID)))
}

func shortDigest(d []byte) string {
	if len(d) > 8 {
		d = d[:8]
	}
	return hex.EncodeToString(d)
}

// act runs an audited operation by the context's actor: the event (outcome ok) comes
// first, so do never runs when the audit log cannot take it; if do fails, an error event
// ("failed: <kind>") follows, so the log's last word on the operation is the truth. The
// same convention as audit.Attempt, which this package does not import.
func (s *Service) act(ctx context.Context, action, object, detail string, do func() error) error {
	return s.actAs(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: action, Object: object,
		Detail: detail}, do)
}

// actAs is act for a complete event (outcome set to ok).
func (s *Service) actAs(ctx context.Context, ev parley.AuditEvent, do func() error) error {
	ev.Outcome = parley.OutcomeOK
	if err := s.Audit.Audit(ctx, ev); err != nil {
		return &parley.Error{Op: "admin." + ev.Action, Kind: parley.KindUnavailable, Message: "audit failed; nothing changed", Err: err}
	}
	err := do()
	if err != nil {
		ev.Outcome, ev.Detail = parley.OutcomeError, joinDetail(ev.Detail, "failed: "+parley.ErrorKind(err).String())
		_ = s.Audit.Audit(ctx, ev) // best effort: the operation did not happen either way
	}
	return err
}

// refuse audits an operation refused before it started (outcome error, "refused: <kind>")
// and returns err. The refusal stands even if the audit log cannot take it.
func (s *Service) refuse(ctx context.Context, action, object string, err error) error {
	_ = s.Audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: action, Object: object,
		Outcome: parley.OutcomeError, Detail: "refused: " + parley.ErrorKind(err).String()})
	return err
}

func joinDetail(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// facility returns an existing facility (KindNotFound otherwise) after checking its id.
func (s *Service) facility(ctx context.Context, id string) (*parley.Facility, error) {
	if err := parley.ValidateID(id); err != nil {
		return nil, &parley.Error{Op: "admin.facility", Kind: parley.KindInvalid, Message: "facility id", Err: err}
	}
	return s.Store.FindFacility(ctx, id)
}
