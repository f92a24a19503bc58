package main

import (
	"context"
	"net/netip"
	"sync/atomic"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/callpolicy"
	"parley.dev/parley/media/prompts"
	"parley.dev/parley/policy"
	"parley.dev/parley/sip"
	"parley.dev/parley/vault"
)

// sipPolicy answers the SIP server's call attempts with the call-policy service. The
// record keeps the policy's precise reason (pin_locked, blocked_prefix…); the inmate hears
// the prompt for it (sipPrompt).
type sipPolicy struct {
	svc *callpolicy.Service
	now func() time.Time
}

func (p sipPolicy) Authorize(ctx context.Context, a sip.Attempt) (sip.Decision, error) {
	d, ref, err := p.svc.Decide(ctx, a.FacilityID, a.DeviceID, a.PIN, a.Dialed, p.now())
	if err != nil {
		return sip.Decision{}, err
	}
	out := sip.Decision{Allow: d.Allow, InmateID: ref.ID, InmateName: ref.Name}
	if d.Allow {
		out.MaxDuration = d.MaxDuration
	} else {
		out.Reason, out.Prompt = string(d.Reason), sipPrompt(d.Reason)
	}
	if n, ok := p.svc.Number(a.Dialed); ok {
		out.Number = n
	}
	return out, nil
}

// sipPrompt is the prompt an inmate hears for a policy refusal.
func sipPrompt(r policy.Reason) prompts.ID {
	switch r {
	case policy.ReasonPINInvalid, policy.ReasonPINLocked:
		return prompts.InvalidPIN
	case policy.ReasonNotAllowed, policy.ReasonBlockedFacility, policy.ReasonBlockedPrefix:
		return prompts.NumberNotAllowed
	case policy.ReasonBlockedByCalledParty:
		return prompts.NumberBlocked
	case policy.ReasonOutsideHours:
		return prompts.OutsideHours
	case policy.ReasonQuotaExceeded:
		return prompts.QuotaExceeded
	case policy.ReasonLockdown:
		return prompts.Lockdown
	case policy.ReasonTooSoon:
		return prompts.TooSoon
	case policy.ReasonInmateBusy, policy.ReasonFacilityBusy:
		return prompts.TooManyCalls
	}
	return prompts.CallRefused
}

// liveCalls gives the call policy the SIP server's counts of calls in progress. The
// server is set once it exists (the policy is built before it); until then nothing is live.
type liveCalls struct{ srv atomic.Pointer[sip.Server] }

func (l *liveCalls) ActiveCalls(facilityID, inmateID string) (facility, inmate int) {
	s := l.srv.Load()
	if s == nil {
		return 0, 0
	}
	return s.LiveCalls(facilityID, inmateID)
}

// ListLive lists the SIP server's calls in progress for the staff pages (parley.LiveCalls);
// none before the server exists.
func (l *liveCalls) ListLive(ctx context.Context, facilityIDs []string) ([]parley.LiveCall, error) {
	s := l.srv.Load()
	if s == nil {
		return []parley.LiveCall{}, nil
	}
	return s.ListLive(ctx, facilityIDs)
}

// Hangup ends a call in progress for an officer (parley.LiveCalls).
func (l *liveCalls) Hangup(ctx context.Context, callID, reason string) error {
	s := l.srv.Load()
	if s == nil {
		return parley.Errorf("serve.Hangup", parley.KindNotFound, "no such call in progress")
	}
	return s.Hangup(ctx, callID, reason)
}

// sipRecorder hands out vault recorders. A "do not record" verdict returns a nil interface,
// never a typed nil inside it.
type sipRecorder struct{ v *vault.Vault }

func (r sipRecorder) Record(ctx context.Context, callID string, p parley.CallParties, class parley.RecordClass) (sip.RecordingWriter, parley.RecordVerdict, error) {
	rec, verdict, err := r.v.Record(ctx, callID, p, class)
	if rec == nil {
		return nil, verdict, err
	}
	return rec, verdict, err
}

// sipBlocks stores a called party's "9": a self-block scoped to the calling facility, and
// an audit event naming the number only by its keyed digest (numberObject), so staff can
// see who asked not to be called, and when, without the log holding the number.
type sipBlocks struct {
	store interface {
		AddSelfBlock(ctx context.Context, b *parley.SelfBlock) error
	}
	audit interface {
		Audit(ctx context.Context, e parley.AuditEvent) error
	}
	numberObject func(parley.Number) string
	now          func() time.Time
}

// selfBlockActor is the audit actor of a called party's self-block: the SIP server, acting
// on the key the called party pressed.
const selfBlockActor = "system:sip"

func (b sipBlocks) Block(ctx context.Context, facilityID string, n parley.Number, callID string) error {
	if err := b.audit.Audit(ctx, parley.AuditEvent{Actor: selfBlockActor, Action: "selfblock.add",
		Object: "facility:" + facilityID + " " + b.numberObject(n), Outcome: parley.OutcomeOK,
		Detail: "called party pressed 9 on call " + callID}); err != nil {
		return err
	}
	err := b.store.AddSelfBlock(ctx, &parley.SelfBlock{Number: n, FacilityID: facilityID, AddedAt: b.now()})
	if parley.IsKind(err, parley.KindConflict) { // already blocked: the wish is already honoured
		return nil
	}
	return err
}

// sipRealm is the digest realm of serve's SIP server; 'phone add' hashes passwords for it.
const sipRealm = "parley"

// sipPhones finds registering phones in the store for the SIP server.
type sipPhones struct {
	store interface {
		FindPhone(ctx context.Context, username string) (*parley.SIPPhone, error)
	}
	realm string
}

func (p sipPhones) FindPhone(ctx context.Context, username string) (sip.Phone, error) {
	ph, err := p.store.FindPhone(ctx, username)
	if err != nil {
		return sip.Phone{}, err
	}
	if ph.Realm != p.realm { // its hashes cannot match this server's challenges
		return sip.Phone{}, parley.Errorf("sipPhones.FindPhone", parley.KindForbidden, "phone registered for another realm")
	}
	return sip.Phone{FacilityID: ph.FacilityID, DeviceID: ph.Username, Digest: ph.Digest, HA1: ph.HA1, HA1SHA256: ph.HA1SHA256}, nil
}

// warnMD5Phones tells, in FIPS mode, how many phones are set to MD5: those set to MD5
// alone will be refused, the others offered SHA-256 only. Counts, never names.
func (e *env) warnMD5Phones(ctx context.Context) error {
	if sip.MD5Allowed() {
		return nil
	}
	phones, err := e.store.ListPhones(ctx, "")
	if err != nil {
		return err
	}
	only, also := 0, 0
	for _, p := range phones {
		switch {
		case p.Digest == parley.DigestMD5:
			only++
		case parley.DigestHas(p.Digest, parley.DigestMD5):
			also++
		}
	}
	if only+also > 0 {
		e.logger.Warn("FIPS mode: MD5 digest is refused; phones set to md5 alone cannot register or call until 'phone password --digest sha256'",
			"md5_only", only, "md5_also_offered_sha256_only", also)
	}
	return nil
}

// storeGateways answers the SIP server's gateway lookups from the store at each INVITE, so
// a gateway added or removed by the CLI (another process) or the web counts at once. The
// list is small and the query indexed: no cache to go stale.
type storeGateways struct{ e *env }

func (g storeGateways) GatewayFacility(ctx context.Context, a netip.Addr) (string, bool, error) {
	gws, err := g.e.sipGateways(ctx)
	if err != nil {
		return "", false, err
	}
	f, ok := gws[a.Unmap()]
	return f, ok, nil
}

// sipGateways returns every facility's trusted SIP gateways.
func (e *env) sipGateways(ctx context.Context) (map[netip.Addr]string, error) {
	gws, err := e.db.ListGateways(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make(map[netip.Addr]string, len(gws))
	for _, g := range gws {
		a, err := netip.ParseAddr(g.Addr)
		if err != nil {
			e.logger.Warn("ignoring a gateway with a bad address", "facility", g.FacilityID)
			continue
		}
		out[a.Unmap()] = g.FacilityID
	}
	return out, nil
}

// sipDeps wires the SIP server to this environment's store, policy, vault and blocks;
// live must be given the server once it exists.
func (e *env) sipDeps(live *liveCalls) sip.Deps {
	var metrics sip.Metrics // never a typed nil inside the interface
	if e.metrics != nil {
		metrics = e.metrics
	}
	return sip.Deps{
		Metrics:  metrics,
		Gateways: storeGateways{e},
		Calls:    e.store,
		Policy:   sipPolicy{svc: &callpolicy.Service{Store: e.db, Active: live, Logger: e.logger}, now: e.now},
		Recorder: sipRecorder{e.vault},
		Blocks:   sipBlocks{store: e.db, audit: e.audit, numberObject: e.numberObject, now: e.now},
		Phones:   sipPhones{store: e.store, realm: sipRealm},
		Logger:   e.logger,
	}
}
