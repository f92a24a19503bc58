package audit

import (
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
	"parley.dev/parley"
)

// Restore describes an accepted restore: the largest checkpoint the places held, and the
// tree of the log that replaced it.
type Restore struct {
	FromRecords int64  `json:"from_records"`
	FromRoot    string `json:"from_root"`
	ToRecords   int64  `json:"to_records"`
	ToRoot      string `json:"to_root"`
}

// AcceptRestore is the operator's recovery after a deliberate restore of an older copy of
// the database: the log no longer extends the checkpoint of its places, and Open refuses
// it. AcceptRestore accepts the log only if it is intact as parley wrote it: it verifies
// every record (its stored hashes and its proof), so a forged or rewritten log is refused
// (KindIntegrity) and never accepted; a log that extends every place is refused too
// (KindInvalid: nothing to accept). Then it appends e (its action and detail set here:
// from which size and root to which) and stores that checkpoint in every place, replacing
// what they held. e names the actor and, as its purpose, the operator's reason.
func (l *Log) AcceptRestore(ctx context.Context, e parley.AuditEvent) (Restore, error) {
	const op = "audit.AcceptRestore"
	if l.cfgErr != nil {
		return Restore{}, l.cfgErr
	}
	if len(l.places) == 0 {
		return Restore{}, parley.Errorf(op, parley.KindInvalid, "the audit log keeps no checkpoint outside the database")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	n, err := l.store.AuditSize(ctx)
	if err != nil {
		return Restore{}, unavailable(op, "cannot read the audit log size", err)
	}
	c, err := readChain(ctx, op, l.store, l.verifier, n)
	if err != nil {
		return Restore{}, err
	}
	if err := compareStoredHashes(ctx, op, l.store, c.hashes); err != nil {
		return Restore{}, refuseRestore(err)
	}
	if c.badEvent >= 0 {
		return Restore{}, refuseRestore(parley.Errorf(op, parley.KindIntegrity, "record %d is not a valid audit event", c.badEvent))
	}
	if c.badProof >= 0 {
		return Restore{}, refuseRestore(badProofError(op, c.badProof, c.noProof, nil))
	}
	tree, err := c.tree()
	if err != nil {
		return Restore{}, err
	}
	notes, from, err := l.restoredFrom(ctx, op, n, c.hashes)
	if err != nil {
		return Restore{}, err
	}
	rep := Restore{FromRecords: from.N, FromRoot: from.Hash.String(), ToRecords: tree.N, ToRoot: tree.Hash.String()}
	e.Action, e.Outcome = ActionAuditAcceptRestore, parley.OutcomeOK
	e.Object = "audit:log"
	e.Detail = fmt.Sprintf("rolled back from %d records (root %s) to %d records (root %s)", from.N, rep.FromRoot, tree.N, rep.ToRoot)
	if from.N == 0 { // a place held no checkpoint: the key directory was replaced or restored
		e.Detail = fmt.Sprintf("adopted %d records (root %s) that the %s held no checkpoint of", tree.N, rep.ToRoot, l.places[0].Name)
	}
	data, err := l.encode(op, e)
	if err != nil {
		return Restore{}, err
	}
	l.tree, l.opened = tree, true
	return rep, l.appendLocked(ctx, op, data, notes)
}

// restoredFrom returns what each place holds (nil where none) and the largest checkpoint
// the log does not extend, or KindInvalid if it extends them all.
func (l *Log) restoredFrom(ctx context.Context, op string, n int64, hashes memHashes) ([][]byte, tlog.Tree, error) {
	notes := make([][]byte, len(l.places))
	var from *tlog.Tree
	for i, p := range l.places {
		note, err := p.Store.LatestAuditCheckpoint(ctx)
		if parley.IsKind(err, parley.KindNotFound) {
			if n > 0 && from == nil {
				from = emptyTree()
			}
			continue
		}
		if err != nil {
			return nil, tlog.Tree{}, unavailable(op, "cannot read the "+p.Name, err)
		}
		notes[i] = note
		t, err := openCheckpoint(op, p.Name, note, l.verifier)
		if err != nil {
			return nil, tlog.Tree{}, err
		}
		if checkTrusted(op, p.Name, t, n, hashes) != nil && (from == nil || t.N > from.N) {
			from = &t
		}
	}
	if from == nil {
		return nil, tlog.Tree{}, parley.Errorf(op, parley.KindInvalid, "nothing to accept: the audit log verifies against the %s", l.places[0].Name)
	}
	return notes, *from, nil
}

// refuseRestore says why a log is not accepted as a restore.
func refuseRestore(err error) error {
	var pe *parley.Error
	msg := err.Error()
	if e, ok := err.(*parley.Error); ok {
		pe = e
		msg = e.Message
	}
	if pe == nil || pe.Kind != parley.KindIntegrity {
		return err
	}
	return parley.Errorf("audit.AcceptRestore", parley.KindIntegrity,
		"refused: the log is not one parley wrote, so it is no restore to accept: %s", msg)
}
