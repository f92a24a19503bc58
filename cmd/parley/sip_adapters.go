package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/callpolicy"
	"parley.dev/parley/policy"
	"parley.dev/parley/sip"
	"parley.dev/parley/vault"
)

// sipCalls adapts the store to the SIP server's call records. The server creates a record
// when the call reaches the IVR, before the inmate and the number are known, and fills them
// in later; the store requires a valid number at creation and never rewrites a record's
// inmate or number (UpdateCall changes only the mutable fields). So a record without a
// number is kept in memory and inserted, whole, at the first update that carries a valid
// number (the policy decision, allowed or refused). An attempt that ends without one (hung
// up in the IVR, digits that are not a number) is not stored: it is only logged.
type sipCalls struct {
	parley.CallService
	log *slog.Logger

	mu      sync.Mutex
	pending map[string]bool // ids of records not yet in the store
}

func newSIPCalls(store parley.CallService, log *slog.Logger) *sipCalls {
	return &sipCalls{CallService: store, log: log, pending: map[string]bool{}}
}

func (s *sipCalls) CreateCall(ctx context.Context, c *parley.CallRecord) error {
	if c.Number.Valid() {
		return s.CallService.CreateCall(ctx, c)
	}
	if c.ID == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		c.ID = hex.EncodeToString(b[:])
	}
	s.mu.Lock()
	s.pending[c.ID] = true
	s.mu.Unlock()
	return nil
}

func (s *sipCalls) UpdateCall(ctx context.Context, c *parley.CallRecord) error {
	s.mu.Lock()
	pending := s.pending[c.ID]
	s.mu.Unlock()
	if !pending {
		return s.CallService.UpdateCall(ctx, c)
	}
	final := c.Status != parley.CallAttempted && c.Status != parley.CallDialing && c.Status != parley.CallAccepted
	if !c.Number.Valid() {
		if final {
			s.forget(c.ID)
			s.log.Info("call attempt without a number not stored", "call", c.ID, "status", string(c.Status), "reason", c.Reason)
		}
		return nil
	}
	if err := s.CallService.CreateCall(ctx, c); err != nil {
		if final {
			s.forget(c.ID)
		}
		return err
	}
	s.forget(c.ID)
	return nil
}

func (s *sipCalls) forget(id string) {
	s.mu.Lock()
	delete(s.pending, id)
	s.mu.Unlock()
}

// sipPolicy answers the SIP server's call attempts with the call-policy service.
type sipPolicy struct {
	svc *callpolicy.Service
	now func() time.Time
}

func (p sipPolicy) Authorize(ctx context.Context, a sip.Attempt) (sip.Decision, error) {
	d, ref, err := p.svc.Decide(ctx, a.FacilityID, a.DeviceID, a.PIN, a.Dialed, p.now())
	if err != nil {
		return sip.Decision{}, err
	}
	out := sip.Decision{Allow: d.Allow, Reason: sipReason(d.Reason), InmateID: ref.ID, InmateName: ref.Name}
	if d.Allow {
		out.MaxDuration = d.MaxDuration
	}
	if n, ok := p.svc.Number(a.Dialed); ok {
		out.Number = n
	}
	return out, nil
}

// sipReason maps a policy reason to the reason the SIP server picks its refusal prompt by.
func sipReason(r policy.Reason) string {
	switch {
	case r == policy.ReasonPINInvalid, r == policy.ReasonPINLocked:
		return sip.ReasonInvalidPIN
	case r == policy.ReasonNotAllowed:
		return sip.ReasonNumberNotAllowed
	case strings.HasPrefix(string(r), "blocked_"):
		return sip.ReasonNumberBlocked
	}
	return string(r) // outside_hours, quota_exceeded, lockdown match sip's; others get the generic prompt
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

// sipBlocks stores a called party's "9": a self-block scoped to the calling facility.
type sipBlocks struct {
	store interface {
		AddSelfBlock(ctx context.Context, b *parley.SelfBlock) error
	}
	now func() time.Time
}

func (b sipBlocks) Block(ctx context.Context, facilityID string, n parley.Number, _ string) error {
	err := b.store.AddSelfBlock(ctx, &parley.SelfBlock{Number: n, FacilityID: facilityID, AddedAt: b.now()})
	if parley.IsKind(err, parley.KindConflict) { // already blocked: the wish is already honoured
		return nil
	}
	return err
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

// sipDeps wires the SIP server to this environment's store, policy, vault and blocks.
func (e *env) sipDeps() sip.Deps {
	return sip.Deps{
		Calls:    newSIPCalls(e.store, e.logger),
		Policy:   sipPolicy{svc: &callpolicy.Service{Store: e.db, Logger: e.logger}, now: e.now},
		Recorder: sipRecorder{e.vault},
		Blocks:   sipBlocks{store: e.db, now: e.now},
		Logger:   e.logger,
	}
}
