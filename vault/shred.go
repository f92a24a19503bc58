package vault

import (
	"context"
	"slices"

	"parley.dev/parley"
)

// Destroy crypto-shreds recordings and returns how many it destroyed. reason is
// "retention", "privileged_number" or "operator". For each affected key period, under the
// period's lock: every destruction is audited first (if the audit fails, nothing of that
// period is destroyed); the survivors' data keys are re-wrapped under a new period key
// (generation g+1) and recorded in a re-wrap journal beside the new key (see Heal); the
// store commits the change atomically (ShredPeriod); the old period key and its journal are
// destroyed; live recorders of destroyed recordings are stopped; blobs are deleted
// (best effort). Recordings already destroyed are skipped; recordings on legal hold are
// skipped when the reason is "retention". An unknown id fails with KindNotFound before
// anything is destroyed.
func (v *Vault) Destroy(ctx context.Context, ids []string, reason string) (int, error) {
	const op = "vault.Destroy"
	switch reason {
	case ReasonRetention, ReasonPrivileged, ReasonOperator, ReasonOrphaned:
	default:
		return 0, parley.Errorf(op, parley.KindInvalid, "invalid destroy reason")
	}
	byPeriod := map[string][]string{}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		rec, err := v.store.FindRecording(ctx, id)
		if err != nil {
			return 0, parley.WrapError(op, parley.KindUnavailable, err)
		}
		byPeriod[rec.Period] = append(byPeriod[rec.Period], id)
	}
	periods := make([]string, 0, len(byPeriod))
	for p := range byPeriod {
		periods = append(periods, p)
	}
	slices.Sort(periods)
	total := 0
	for _, period := range periods {
		n, err := v.destroyInPeriod(ctx, period, byPeriod[period], reason)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// destroyInPeriod destroys ids, all of one period.
func (v *Vault) destroyInPeriod(ctx context.Context, period string, ids []string, reason string) (int, error) {
	const op = "vault.Destroy"
	lock := v.periodLock(period)
	lock.Lock()
	defer lock.Unlock()
	audited := map[string]bool{}
	for attempt := 0; attempt < maxAttempts; attempt++ {
		// Fresh state under the lock: another destroyer or a hold may have won.
		var doomed []string
		for _, id := range ids {
			rec, err := v.store.FindRecording(ctx, id)
			if err != nil {
				return 0, parley.WrapError(op, parley.KindUnavailable, err)
			}
			if rec.Status == parley.RecordingShredded || rec.Period != period {
				continue
			}
			if rec.LegalHold && reason == ReasonRetention {
				v.logger.Info("recording on legal hold not destroyed", "recording", id)
				continue
			}
			doomed = append(doomed, id)
		}
		if len(doomed) == 0 {
			return 0, nil
		}
		for _, id := range doomed {
			if audited[id] {
				continue
			}
			err := v.auditor.Audit(ctx, parley.AuditEvent{Time: v.now().UTC(), Actor: parley.ActorFromContext(ctx),
				Action: "recording.destroy", Object: "recording:" + id, Outcome: parley.OutcomeOK, Detail: reason})
			if err != nil {
				return 0, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "audit failed; nothing destroyed in this period", Err: err}
			}
			audited[id] = true
		}
		err := v.shred(ctx, period, doomed, reason)
		if parley.IsKind(err, parley.KindConflict) {
			continue // a recording was created or the generation moved meanwhile
		}
		if err != nil {
			return 0, err
		}
		for _, id := range doomed {
			v.mu.Lock()
			r := v.live[id]
			v.mu.Unlock()
			if r != nil {
				r.kill()
			}
			if err := v.blobs.Delete(ctx, parley.BlobKey(id)); err != nil {
				v.logger.Warn("cannot delete a destroyed recording's blob", "recording", id, "err", err)
			}
		}
		v.logger.Info("destroyed recordings", "period", period, "count", len(doomed), "reason", reason)
		return len(doomed), nil
	}
	return 0, parley.Errorf(op, parley.KindUnavailable, "period changed too often; retry")
}

// shred re-wraps the survivors of a period under generation g+1, commits the shred, then
// destroys the key of generation g.
func (v *Vault) shred(ctx context.Context, period string, doomed []string, reason string) error {
	const op = "vault.Destroy"
	g, err := v.store.PeriodGeneration(ctx, period)
	if err != nil {
		return parley.WrapError(op, parley.KindUnavailable, err)
	}
	if g < 1 {
		return parley.Errorf(op, parley.KindInternal, "recording's period has no generation")
	}
	all, err := v.store.ListPeriodRecordings(ctx, period)
	if err != nil {
		return parley.WrapError(op, parley.KindUnavailable, err)
	}
	rewrapped := map[string][]byte{}
	var oldKey, newKey []byte
	defer func() { clear(oldKey); clear(newKey) }()
	for _, rec := range all {
		if slices.Contains(doomed, rec.ID) {
			continue
		}
		if rec.KeyGen != g {
			return parley.Errorf(op, parley.KindConflict, "survivor not on the current generation")
		}
		if oldKey == nil {
			oldKey, err = v.keys.PeriodKey(ctx, period, g)
			if parley.IsKind(err, parley.KindNotFound) {
				return parley.Errorf(op, parley.KindUnavailable,
					"the period key of surviving recordings is gone (database restored from a backup?): run the vault heal first")
			}
			if err != nil {
				return parley.WrapError(op, parley.KindUnavailable, err)
			}
			if newKey, err = v.periodKey(ctx, period, g+1); err != nil {
				return parley.WrapError(op, parley.KindUnavailable, err)
			}
		}
		dek, err := unwrapDEK(op, oldKey, rec.WrappedDEK, rec.ID, period, g)
		if err != nil {
			return err
		}
		w, err := wrapDEK(op, newKey, dek, rec.ID, period, g+1)
		clear(dek)
		if err != nil {
			return err
		}
		rewrapped[rec.ID] = w
	}
	if newKey != nil {
		// The journal is durable before the shred commits, so a database restored from a
		// backup taken before this shred can still find the survivors' new wrapped keys.
		if err := v.writeJournal(ctx, op, newKey, period, g+1, rewrapped); err != nil {
			return err
		}
	}
	err = v.store.ShredPeriod(ctx, parley.PeriodShred{Period: period, FromGen: g, ToGen: g + 1,
		Rewrapped: rewrapped, Destroyed: doomed, Reason: reason, At: v.now().UTC()})
	if err != nil {
		return parley.WrapError(op, parley.KindUnavailable, err)
	}
	// DestroyPeriodKey also destroys generation g's journal: it named survivors of g.
	if err := v.keys.DestroyPeriodKey(ctx, period, g); err != nil {
		// The shred is committed; SweepKeys destroys the key later.
		v.logger.Error("cannot destroy an old period key; run the key sweep", "period", period, "gen", g, "err", err)
		return parley.WrapError(op, parley.KindUnavailable, err)
	}
	return nil
}

// SweepKeys destroys period keys whose generation is older than the store's current
// generation of their period (left behind by a crash between ShredPeriod and
// DestroyPeriodKey) and returns how many it destroyed. Keys of periods the store does not
// know are left alone (a recording may be being created).
func (v *Vault) SweepKeys(ctx context.Context) (int, error) {
	const op = "vault.SweepKeys"
	held, err := v.keys.ListPeriodKeys(ctx)
	if err != nil {
		return 0, parley.WrapError(op, parley.KindUnavailable, err)
	}
	n := 0
	for period, gens := range held {
		lock := v.periodLock(period)
		lock.Lock()
		cur, err := v.store.PeriodGeneration(ctx, period)
		if err != nil {
			lock.Unlock()
			return n, parley.WrapError(op, parley.KindUnavailable, err)
		}
		for _, g := range gens {
			if cur == 0 || g >= cur {
				continue
			}
			if err := v.keys.DestroyPeriodKey(ctx, period, g); err != nil {
				lock.Unlock()
				return n, parley.WrapError(op, parley.KindUnavailable, err)
			}
			n++
		}
		lock.Unlock()
	}
	if n > 0 {
		v.logger.Info("destroyed stale period keys", "count", n)
	}
	return n, nil
}
