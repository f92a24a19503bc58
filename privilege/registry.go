// Package privilege is the privilege registry service and the one gate every recording
// passes: MayRecord answers "may this call be recorded?" for the vault, Register adds a
// privileged number and destroys, at once, every earlier recording to it, Unregister ends
// one claim on a number (which stops being privileged with its last claim), and Import
// loads a bar or business directory from CSV.
//
// The gate fails closed: when MayRecord returns an error its verdict is the zero value,
// Record false, and callers must not record. Any "off" wins: a privileged number, an inmate
// flagged do-not-record or a device flagged do-not-record.
//
// Audit comes before action: Register audits "privileged.add" before storing the entry, and
// if the audit log cannot take the event nothing is stored. Each destruction of a recording
// is audited by the Destroyer (the vault).
package privilege

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/internal/csvimport"
	"parley.dev/parley/phone"
)

// Destroyer crypto-shreds recordings; the vault implements it and audits each destruction.
type Destroyer interface {
	// Destroy destroys the recordings with the given ids and returns how many it destroyed.
	Destroy(ctx context.Context, ids []string, reason string) (int, error)
}

// DestroyerFunc adapts a function to Destroyer. The vault needs the registry as its gate
// and the registry needs the vault as its destroyer; a closure breaks the cycle:
//
//	var vlt *vault.Vault
//	reg := privilege.New(store, privilege.DestroyerFunc(func(ctx context.Context, ids []string, reason string) (int, error) {
//		return vlt.Destroy(ctx, ids, reason)
//	}), auditor, logger)
//	vlt, err := vault.New(vault.Config{Gate: reg, …})
type DestroyerFunc func(ctx context.Context, ids []string, reason string) (int, error)

// Destroy calls f.
func (f DestroyerFunc) Destroy(ctx context.Context, ids []string, reason string) (int, error) {
	return f(ctx, ids, reason)
}

// RegistryStore is the part of parley.Store the registry uses.
type RegistryStore interface {
	parley.PrivilegeService
	FindInmate(ctx context.Context, facilityID, inmateID string) (*parley.Inmate, error)
	FindDevice(ctx context.Context, facilityID, deviceID string) (*parley.Device, error)
	MarkCallsPrivileged(ctx context.Context, n parley.Number) (int, error)
	FindRecordingsByNumber(ctx context.Context, n parley.Number) ([]*parley.Recording, error)
}

// Verdict reasons.
const (
	ReasonPrivilegedNumber = "privileged_number"
	ReasonInmateDNR        = "inmate_do_not_record"
	ReasonDeviceDNR        = "device_do_not_record"
)

// DestroyReason is the reason given to the Destroyer for recordings to a privileged number.
const DestroyReason = "privileged_number"

// Registry is the privilege registry service. It is safe for concurrent use.
type Registry struct {
	store     RegistryStore
	destroyer Destroyer
	auditor   parley.Auditor
	logger    *slog.Logger
}

var _ parley.RecordGate = (*Registry)(nil)

// New returns a Registry. logger may be nil (logs are then discarded).
func New(store RegistryStore, destroyer Destroyer, auditor parley.Auditor, logger *slog.Logger) *Registry {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Registry{store: store, destroyer: destroyer, auditor: auditor,
		logger: logger.With("subsystem", "privilege")}
}

// MayRecord implements parley.RecordGate. p.Number must be canonical, as phone.Normalize
// returns it. MayRecord returns Record false with a reason if the number is privileged or
// the inmate or device is flagged do-not-record; an unknown inmate or device does not block
// by itself. It fails closed: an invalid or non-canonical number, an inmate or device id
// without a facility id, or any store error other than KindNotFound returns an error with
// the zero verdict (Record false), and the caller must not record.
func (r *Registry) MayRecord(ctx context.Context, p parley.CallParties) (parley.RecordVerdict, error) {
	const op = "privilege.MayRecord"
	// Only the canonical form can match the registry: "+4402079460958" is the same line as
	// the registered "+442079460958", so a non-canonical number fails closed.
	if n, err := phone.Normalize(string(p.Number), ""); err != nil || n != p.Number {
		return parley.RecordVerdict{}, parley.Errorf(op, parley.KindInvalid, "number is not a canonical E.164 number")
	}
	if p.FacilityID == "" && (p.InmateID != "" || p.DeviceID != "") {
		return parley.RecordVerdict{}, parley.Errorf(op, parley.KindInvalid, "inmate or device without facility")
	}
	_, err := r.store.FindPrivileged(ctx, p.Number)
	switch {
	case err == nil:
		return parley.RecordVerdict{Reason: ReasonPrivilegedNumber}, nil
	case !parley.IsKind(err, parley.KindNotFound):
		return parley.RecordVerdict{}, parley.WrapError(op, parley.KindUnavailable, err)
	}
	if p.InmateID != "" {
		in, err := r.store.FindInmate(ctx, p.FacilityID, p.InmateID)
		switch {
		case err == nil && in.DoNotRecord:
			return parley.RecordVerdict{Reason: ReasonInmateDNR}, nil
		case err != nil && !parley.IsKind(err, parley.KindNotFound):
			return parley.RecordVerdict{}, parley.WrapError(op, parley.KindUnavailable, err)
		}
	}
	if p.DeviceID != "" {
		d, err := r.store.FindDevice(ctx, p.FacilityID, p.DeviceID)
		switch {
		case err == nil && d.DoNotRecord:
			return parley.RecordVerdict{Reason: ReasonDeviceDNR}, nil
		case err != nil && !parley.IsKind(err, parley.KindNotFound):
			return parley.RecordVerdict{}, parley.WrapError(op, parley.KindUnavailable, err)
		}
	}
	return parley.RecordVerdict{Record: true}, nil
}

// Register adds p to the registry and then, synchronously, marks every earlier call to the
// number privileged and destroys every recording of those calls. It returns how many
// recordings were destroyed.
//
// The number must already be E.164 (see phone.Normalize); Kind and Source must be known.
// Register sets p.ID, p.AddedAt and p.AddedBy (from the context's actor) when empty. It
// audits "privileged.add" (object "privileged:ID") before storing; if that fails nothing is
// stored.
//
// If the number is already registered, Register audits "privileged.sweep" against the
// existing entry, runs the same sweep (so a registration interrupted by a crash is finished,
// and re-registering is a safe way to re-sweep) and returns the count with a KindConflict
// error; p is left unchanged.
func (r *Registry) Register(ctx context.Context, p *parley.PrivilegedNumber) (destroyed int, err error) {
	return r.register(ctx, p, true)
}

// register is Register; retry allows one fresh registration when the existing entry went
// with its last claim between finding it and claiming it.
func (r *Registry) register(ctx context.Context, p *parley.PrivilegedNumber, retry bool) (destroyed int, err error) {
	const op = "privilege.Register"
	if err := validateEntry(p); err != nil {
		return 0, parley.WrapError(op, parley.KindInvalid, err)
	}
	if r.destroyer == nil || r.auditor == nil {
		return 0, parley.Errorf(op, parley.KindInternal, "registry has no destroyer or auditor")
	}
	actor := parley.ActorFromContext(ctx)
	existing, err := r.store.FindPrivileged(ctx, p.Number)
	switch {
	case err == nil:
		if err := r.audit(ctx, "privileged.sweep", existing.ID, parley.OutcomeOK, "re-registration source="+string(p.Source)); err != nil {
			return 0, parley.WrapError(op, parley.KindUnavailable, err)
		}
		// The new source's claim keeps the entry standing should an earlier one end.
		claim := parley.PrivilegeClaim{Source: p.Source, Holder: p.Holder}
		_, cerr := r.store.AddPrivilegedClaim(ctx, existing.ID, claim, actor, time.Now().UTC())
		if parley.IsKind(cerr, parley.KindNotFound) && retry {
			// The entry's last claim ended meanwhile: register afresh.
			return r.register(ctx, p, false)
		}
		destroyed, err := r.sweep(ctx, p.Number, existing.ID)
		if cerr != nil {
			_ = r.audit(ctx, "privileged.sweep", existing.ID, parley.OutcomeError, "claim not stored: "+parley.ErrorKind(cerr).String())
			return destroyed, parley.WrapError(op, parley.KindUnavailable, cerr)
		}
		if err != nil {
			return destroyed, parley.WrapError(op, parley.KindInternal, err)
		}
		return destroyed, parley.Errorf(op, parley.KindConflict, "number is already registered as privileged:%s", existing.ID)
	case !parley.IsKind(err, parley.KindNotFound):
		return 0, parley.WrapError(op, parley.KindUnavailable, err)
	}

	entry := *p
	if entry.ID == "" {
		entry.ID = newID()
	}
	if entry.AddedAt.IsZero() {
		entry.AddedAt = time.Now().UTC()
	}
	if entry.AddedBy == "" {
		entry.AddedBy = actor
	}
	detail := "kind=" + string(entry.Kind) + " source=" + string(entry.Source)
	if err := r.audit(ctx, "privileged.add", entry.ID, parley.OutcomeOK, detail); err != nil {
		return 0, parley.WrapError(op, parley.KindUnavailable, err)
	}
	if err := r.store.CreatePrivileged(ctx, &entry); err != nil {
		// Record that the audited add did not happen; the caller gets the store's error.
		_ = r.audit(ctx, "privileged.add", entry.ID, parley.OutcomeError, "not stored: "+parley.ErrorKind(err).String())
		if parley.IsKind(err, parley.KindConflict) {
			// Registered concurrently: the other registration sweeps too, but sweeping is
			// idempotent and cheap next to a recording surviving.
			destroyed, serr := r.sweep(ctx, p.Number, entry.ID)
			if serr != nil {
				return destroyed, parley.WrapError(op, parley.KindInternal, serr)
			}
			return destroyed, parley.Errorf(op, parley.KindConflict, "number is already registered")
		}
		return 0, parley.WrapError(op, parley.KindUnavailable, err)
	}
	*p = entry
	return r.sweep(ctx, p.Number, entry.ID)
}

// Unregister ends one claim on a registry entry, such as an attorney's self-registration
// when the attorney gives the number up. The entry (and so the number's privilege for
// calls to come) goes only with its last claim: a number also registered by staff, a
// directory or another attorney stays privileged. Nothing comes back: calls marked
// privileged stay so and destroyed recordings stay destroyed.
//
// It audits "privileged.release" (object "privileged:ID", the source in the detail, never
// the number or the holder's name) before acting, an error event if the store fails, and
// "privileged.remove" when the entry went with the claim. It reports whether the entry
// was removed; KindNotFound if the entry has no such claim.
func (r *Registry) Unregister(ctx context.Context, entryID string, c parley.PrivilegeClaim) (removed bool, err error) {
	const op = "privilege.Unregister"
	switch {
	case parley.ValidateID(entryID) != nil:
		return false, parley.Errorf(op, parley.KindInvalid, "not a registry entry id")
	case !c.Source.Valid():
		return false, parley.Errorf(op, parley.KindInvalid, "source: unknown")
	case c.Source == parley.SourceSelfRegistration && parley.ValidateID(c.Holder) != nil:
		return false, parley.Errorf(op, parley.KindInvalid, "a self-registration names its holder")
	case c.Source != parley.SourceSelfRegistration && c.Holder != "":
		return false, parley.Errorf(op, parley.KindInvalid, "only a self-registration has a holder")
	case r.auditor == nil:
		return false, parley.Errorf(op, parley.KindInternal, "registry has no auditor")
	}
	detail := "source=" + string(c.Source)
	if err := r.audit(ctx, "privileged.release", entryID, parley.OutcomeOK, detail); err != nil {
		return false, parley.WrapError(op, parley.KindUnavailable, err)
	}
	removed, err = r.store.RemovePrivilegedClaim(ctx, entryID, c)
	if err != nil {
		_ = r.audit(ctx, "privileged.release", entryID, parley.OutcomeError, detail+"; failed: "+parley.ErrorKind(err).String())
		if parley.IsKind(err, parley.KindNotFound) || parley.IsKind(err, parley.KindInvalid) {
			return false, err
		}
		return false, parley.WrapError(op, parley.KindUnavailable, err)
	}
	if removed {
		r.logger.InfoContext(ctx, "privileged number removed with its last claim", "entry", entryID)
		if err := r.audit(ctx, "privileged.remove", entryID, parley.OutcomeOK,
			"last claim ended: calls from now on may be recorded; earlier destructions stand"); err != nil {
			return true, parley.WrapError(op, parley.KindUnavailable, err)
		}
	}
	return removed, nil
}

// sweep marks the calls to n privileged and destroys their recordings.
func (r *Registry) sweep(ctx context.Context, n parley.Number, entryID string) (int, error) {
	const op = "privilege.sweep"
	marked, err := r.store.MarkCallsPrivileged(ctx, n)
	if err != nil {
		return 0, parley.WrapError(op, parley.KindUnavailable, err)
	}
	recs, err := r.store.FindRecordingsByNumber(ctx, n)
	if err != nil {
		return 0, parley.WrapError(op, parley.KindUnavailable, err)
	}
	destroyed := 0
	if len(recs) > 0 {
		ids := make([]string, len(recs))
		for i, rec := range recs {
			ids[i] = rec.ID
		}
		destroyed, err = r.destroyer.Destroy(ctx, ids, DestroyReason)
		if err != nil {
			r.logger.ErrorContext(ctx, "destroying recordings of a privileged number failed",
				"entry", entryID, "recordings", len(ids), "destroyed", destroyed, "err", err)
			return destroyed, parley.WrapError(op, parley.KindInternal, err)
		}
	}
	r.logger.InfoContext(ctx, "privileged number swept", "entry", entryID,
		"calls_marked", marked, "recordings_destroyed", destroyed)
	return destroyed, nil
}

func (r *Registry) audit(ctx context.Context, action, entryID, outcome, detail string) error {
	return r.auditor.Audit(ctx, parley.AuditEvent{
		Time: time.Now().UTC(), Actor: parley.ActorFromContext(ctx), Action: action,
		Object: "privileged:" + entryID, Outcome: outcome, Detail: detail,
	})
}

// validateEntry checks an entry before registration.
func validateEntry(p *parley.PrivilegedNumber) error {
	const op = "privilege.validate"
	switch {
	case p == nil:
		return parley.Errorf(op, parley.KindInvalid, "no entry")
	case !p.Number.Valid():
		return parley.Errorf(op, parley.KindInvalid, "number: not E.164")
	case !p.Kind.Valid():
		return parley.Errorf(op, parley.KindInvalid, "kind: unknown")
	case !p.Source.Valid():
		return parley.Errorf(op, parley.KindInvalid, "source: unknown")
	case p.Source == parley.SourceSelfRegistration && parley.ValidateID(p.Holder) != nil:
		return parley.Errorf(op, parley.KindInvalid, "holder: a self-registration names the attorney's account")
	case p.Source != parley.SourceSelfRegistration && p.Holder != "":
		return parley.Errorf(op, parley.KindInvalid, "holder: only a self-registration has one")
	case !csvimport.ValidText(p.Name, maxName):
		return parley.Errorf(op, parley.KindInvalid, "name: at most %d characters, no control characters", maxName)
	case !csvimport.ValidText(p.BarNumber, maxBarNumber):
		return parley.Errorf(op, parley.KindInvalid, "bar_number: at most %d characters, no control characters", maxBarNumber)
	}
	if n, err := phone.Normalize(string(p.Number), ""); err != nil || n != p.Number {
		return parley.Errorf(op, parley.KindInvalid, "number: not a valid phone number")
	}
	return nil
}

const (
	maxName      = 200
	maxBarNumber = 64
)

// newID returns a random 128-bit id in hex.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}
