package audit

import (
	"context"

	"golang.org/x/mod/sumdb/tlog"
	"parley.dev/parley"
)

// open is Open with l.mu held.
func (l *Log) open(ctx context.Context, op string) error {
	if l.opened {
		return nil
	}
	// The places before the size: a place is moved only after its records are stored, so
	// another process appending meanwhile cannot make a place look ahead of the log.
	trees, err := l.readPlaces(ctx, op)
	if err != nil {
		return err
	}
	var stored *tlog.Tree
	if len(l.places) == 0 { // the stored checkpoint stands in for them, read first too
		if stored, err = l.storedTree(ctx, op); err != nil {
			return err
		}
	}
	n, err := l.store.AuditSize(ctx)
	if err != nil {
		return unavailable(op, "cannot read the audit log size", err)
	}
	start, err := l.startTree(ctx, op, n, trees, stored)
	if err != nil {
		return err
	}
	upgraded := int64(0)
	if start == nil { // records, and no place holds a checkpoint
		if upgraded, err = l.upgrade(ctx, op, n); err != nil {
			return err
		}
		if start, err = l.storedTree(ctx, op); err != nil {
			return err
		}
	}
	l.tree = *start
	if err := l.extend(ctx, op, n); err != nil {
		return err
	}
	if n == 0 && len(l.places) > 0 {
		// A new log: the places get the empty tree before any record, so that another
		// process opening after this one's first record (and before its checkpoint) finds
		// a checkpoint to verify that record from, and a place without one keeps meaning
		// a log from before the places, or a key directory that lost it.
		cp, err := signTree(l.tree, l.signer)
		if err != nil {
			return &parley.Error{Op: op, Kind: parley.KindInternal, Message: "cannot sign the audit checkpoint", Err: err}
		}
		if err := l.publishPlaces(ctx, op, cp, l.tree, storeHashes(ctx, l.store), nil); err != nil {
			return err
		}
	}
	l.opened = true
	if upgraded > 0 {
		data, err := l.encode(op, parley.AuditEvent{Actor: "system:audit", Action: ActionAuditUpgrade,
			Outcome: parley.OutcomeOK, Object: "audit:log",
			Detail: upgradeDetail(upgraded, start.N)})
		if err != nil {
			return err
		}
		return l.appendLocked(ctx, op, data, nil)
	}
	return nil
}

// startTree returns the tree to verify the log of n records from: the largest checkpoint
// of the places (trees, nil where none), after checking the log extends each (or, with no
// place configured, the stored checkpoint). It returns nil, nil for a log of records that
// no place holds a checkpoint of: the one-time upgrade of a log from before the places.
func (l *Log) startTree(ctx context.Context, op string, n int64, trees []*tlog.Tree, stored *tlog.Tree) (*tlog.Tree, error) {
	r := storeHashes(ctx, l.store)
	if len(l.places) == 0 {
		if stored == nil {
			if n > 0 {
				return nil, parley.Errorf(op, parley.KindIntegrity, "log has %d records but no checkpoint", n)
			}
			return emptyTree(), nil
		}
		return stored, checkTrusted(op, "stored checkpoint", *stored, n, r)
	}
	var best *tlog.Tree
	for i, t := range trees {
		if t == nil {
			continue
		}
		if err := checkTrusted(op, l.places[i].Name, *t, n, r); err != nil {
			return nil, l.explain(ctx, op, err, n, trees)
		}
		if best == nil || t.N > best.N {
			best = t
		}
	}
	switch {
	case best != nil:
		return best, nil
	case n == 0:
		return emptyTree(), nil
	}
	return nil, nil
}

// readPlaces returns the tree of each place's latest checkpoint, nil where it holds none.
func (l *Log) readPlaces(ctx context.Context, op string) ([]*tlog.Tree, error) {
	trees := make([]*tlog.Tree, len(l.places))
	for i, p := range l.places {
		note, err := p.Store.LatestAuditCheckpoint(ctx)
		if parley.IsKind(err, parley.KindNotFound) {
			continue
		}
		if err != nil {
			return nil, unavailable(op, "cannot read the "+p.Name, err)
		}
		t, err := openCheckpoint(op, p.Name, note, l.verifier)
		if err != nil {
			return nil, err
		}
		trees[i] = &t
	}
	return trees, nil
}

// explain turns a failed check against a place into the most precise description: when a
// record the log still holds has no valid proof, the history was rewritten (or forged),
// not merely rolled back.
func (l *Log) explain(ctx context.Context, op string, err error, n int64, trees []*tlog.Tree) error {
	if n == 0 || !parley.IsKind(err, parley.KindIntegrity) {
		return err
	}
	c, cerr := readChain(ctx, op, l.store, l.verifier, n)
	if cerr != nil || c.badProof < 0 {
		return err
	}
	var trusted []tlog.Tree
	for _, t := range trees {
		if t != nil {
			trusted = append(trusted, *t)
		}
	}
	return c.proofError(trusted)
}
