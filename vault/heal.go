package vault

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"parley.dev/parley"
)

// Reasons Heal gives the store for the recordings it destroys.
const (
	// ReasonDestroyedSinceBackup marks a recording that a shred after the backup had
	// destroyed: it is destroyed again.
	ReasonDestroyedSinceBackup = "destroyed_since_backup"
	// ReasonUnrecoverable marks a recording whose period key is gone with no re-wrap
	// journal naming it: its whole period was destroyed after the backup (or the key
	// directory was damaged). Nothing can read it, so its record says so.
	ReasonUnrecoverable = "unrecoverable_after_restore"
)

// HealReport says what Heal did.
type HealReport struct {
	Periods       int `json:"periods_healed"`           // key periods changed
	Healed        int `json:"recordings_healed"`        // survivors readable again
	Redestroyed   int `json:"recordings_redestroyed"`   // destroyed after the backup, destroyed again
	Unrecoverable int `json:"recordings_unrecoverable"` // key gone, no journal entry: marked destroyed
}

// healPlan is what Heal will do to one period.
type healPlan struct {
	shred   parley.PeriodShred
	healed  int
	redest  int
	unrec   int
	discard []int // generations of the period's keys older than the new one
}

// Heal repairs the store after a database backup taken before one or more shreds was
// restored (run it before serving again). For every period whose recordings are wrapped
// under a generation the key directory no longer holds, it finds the newest re-wrap
// journal of that period (written by each shred beside the new key, naming every survivor
// and its data key wrapped under the new generation) and, in one store transaction
// (ShredPeriod from the store's generation to the journal's), writes the journal's wrapped
// keys back to the survivors and destroys again every recording of the period that the
// journal does not name (they were destroyed after the backup; reason
// ReasonDestroyedSinceBackup). A period with no journal at all (its every recording was
// destroyed since, or the key directory was damaged) has all its recordings marked
// destroyed with reason ReasonUnrecoverable. Destroyed recordings stay unrecoverable:
// their keys are in no journal and their old period keys are gone.
//
// Every journal is authenticated (KindIntegrity, nothing changed, if one was tampered
// with) and every plan is made before anything changes; one "vault.heal" event per period
// is then audited (counts only), followed by one "recording.destroy" event per recording
// it destroys (detail: the reason), and if an audit fails nothing changes. Unless
// Config.KeysBound, Heal refuses (KindInvalid) to mark recordings unrecoverable when the
// key directory holds no period key at all, which is then more likely the wrong key
// directory than the end of every period.
// Periods whose key is present are left alone; running Heal again does nothing.
func (v *Vault) Heal(ctx context.Context) (HealReport, error) {
	const op = "vault.Heal"
	var rep HealReport
	periods, err := v.store.ListPeriods(ctx)
	if err != nil {
		return rep, parley.WrapError(op, parley.KindUnavailable, err)
	}
	held, err := v.keys.ListPeriodKeys(ctx)
	if err != nil {
		return rep, parley.WrapError(op, parley.KindUnavailable, err)
	}
	names := make([]string, 0, len(periods))
	for p := range periods {
		names = append(names, p)
	}
	slices.Sort(names) // lock order
	var locks []*sync.RWMutex
	defer func() {
		for _, l := range locks {
			l.Unlock()
		}
	}()
	plans := map[string]*healPlan{}
	var order []string
	for _, period := range names {
		lock := v.periodLock(period)
		lock.Lock()
		plan, err := v.planHeal(ctx, period, held[period])
		if err != nil || plan == nil {
			lock.Unlock()
			if err != nil {
				return rep, err
			}
			continue
		}
		locks = append(locks, lock)
		plans[period] = plan
		order = append(order, period)
	}
	if len(held) == 0 && !v.keysBound {
		for _, p := range plans {
			if p.unrec > 0 {
				return rep, parley.Errorf(op, parley.KindInvalid,
					"the key directory holds no period key at all: is it the right key directory? nothing changed")
			}
		}
	}
	for _, period := range order {
		p := plans[period]
		err := v.auditor.Audit(ctx, parley.AuditEvent{Time: v.now().UTC(), Actor: parley.ActorFromContext(ctx),
			Action: "vault.heal", Object: "period:" + period, Outcome: parley.OutcomeOK,
			Detail: fmt.Sprintf("gen %d->%d healed=%d redestroyed=%d unrecoverable=%d",
				p.shred.FromGen, p.shred.ToGen, p.healed, p.redest, p.unrec)})
		if err != nil {
			return rep, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "audit failed; nothing healed", Err: err}
		}
		// Each destruction is its own event, as every other destruction is.
		for _, id := range p.shred.Destroyed {
			err := v.auditor.Audit(ctx, parley.AuditEvent{Time: v.now().UTC(), Actor: parley.ActorFromContext(ctx),
				Action: "recording.destroy", Object: "recording:" + id, Outcome: parley.OutcomeOK, Detail: p.shred.Reason})
			if err != nil {
				return rep, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "audit failed; nothing healed", Err: err}
			}
		}
	}
	for _, period := range order {
		p := plans[period]
		if err := v.store.ShredPeriod(ctx, p.shred); err != nil {
			return rep, parley.WrapError(op, parley.KindUnavailable, err)
		}
		rep.Periods++
		rep.Healed += p.healed
		rep.Redestroyed += p.redest
		rep.Unrecoverable += p.unrec
		for _, g := range p.discard {
			// Keys older than the new generation wrap nothing live; SweepKeys retries.
			if err := v.keys.DestroyPeriodKey(ctx, period, g); err != nil {
				v.logger.Warn("cannot destroy an old period key; run the key sweep", "period", period, "gen", g, "err", err)
			}
		}
		for _, id := range p.shred.Destroyed {
			if err := v.blobs.Delete(ctx, parley.BlobKey(id)); err != nil {
				v.logger.Warn("cannot delete a destroyed recording's blob", "recording", id, "err", err)
			}
		}
		v.logger.Info("healed key period", "period", period, "from_gen", p.shred.FromGen, "to_gen", p.shred.ToGen,
			"healed", p.healed, "redestroyed", p.redest, "unrecoverable", p.unrec)
	}
	return rep, nil
}

// planHeal decides what Heal does to one period, or returns nil if its recordings' key is
// present. gens are the generations the key directory holds for the period. The caller
// holds the period's lock.
func (v *Vault) planHeal(ctx context.Context, period string, gens []int) (*healPlan, error) {
	const op = "vault.Heal"
	g, err := v.store.PeriodGeneration(ctx, period)
	if err != nil {
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	live, err := v.store.ListPeriodRecordings(ctx, period)
	if err != nil {
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	missing := 0
	for _, r := range live {
		if !slices.Contains(gens, r.KeyGen) {
			missing++
		}
	}
	if missing == 0 {
		return nil, nil
	}
	now := v.now().UTC()
	sorted := slices.Clone(gens)
	slices.Sort(sorted)
	// The newest journal newer than the store's generation names the survivors of the
	// last shred; any older one was superseded by it.
	for i := len(sorted) - 1; i >= 0 && sorted[i] > g; i-- {
		jg := sorted[i]
		entries, err := v.readJournal(ctx, period, jg)
		if parley.IsKind(err, parley.KindNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		p := &healPlan{shred: parley.PeriodShred{Period: period, FromGen: g, ToGen: jg,
			Rewrapped: map[string][]byte{}, Reason: ReasonDestroyedSinceBackup, At: now}}
		for _, r := range live {
			if w, ok := entries[r.ID]; ok {
				p.shred.Rewrapped[r.ID] = w
				p.healed++
			} else {
				p.shred.Destroyed = append(p.shred.Destroyed, r.ID)
				p.redest++
			}
		}
		p.discard = olderThan(sorted, jg)
		return p, nil
	}
	if missing != len(live) {
		return nil, parley.Errorf(op, parley.KindIntegrity, "period has recordings under several generations and no journal")
	}
	to := g + 1
	if len(sorted) > 0 && sorted[len(sorted)-1] >= to {
		to = sorted[len(sorted)-1] + 1
	}
	p := &healPlan{shred: parley.PeriodShred{Period: period, FromGen: g, ToGen: to,
		Reason: ReasonUnrecoverable, At: now}, unrec: len(live), discard: sorted}
	for _, r := range live {
		p.shred.Destroyed = append(p.shred.Destroyed, r.ID)
	}
	return p, nil
}

// readJournal reads and authenticates the journal of (period, gen) and checks that every
// entry opens under that generation's key. KindNotFound if there is no journal (or no
// journal store).
func (v *Vault) readJournal(ctx context.Context, period string, gen int) (map[string][]byte, error) {
	const op = "vault.Heal"
	if v.journals == nil {
		return nil, parley.Errorf(op, parley.KindNotFound, "no journal store")
	}
	b, err := v.journals.ReadJournal(ctx, period, gen)
	if parley.IsKind(err, parley.KindNotFound) {
		return nil, err
	}
	if err != nil {
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	pk, err := v.keys.PeriodKey(ctx, period, gen)
	if parley.IsKind(err, parley.KindNotFound) {
		return nil, err // the key went with its journal meanwhile
	}
	if err != nil {
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	defer clear(pk)
	entries, err := openJournal(op, pk, b, period, gen)
	if err != nil {
		return nil, err
	}
	for id, w := range entries {
		dek, err := unwrapDEK(op, pk, w, id, period, gen)
		if err != nil {
			return nil, err
		}
		clear(dek)
	}
	return entries, nil
}

// olderThan returns the elements of sorted less than g.
func olderThan(sorted []int, g int) []int {
	var out []int
	for _, x := range sorted {
		if x < g {
			out = append(out, x)
		}
	}
	return out
}
