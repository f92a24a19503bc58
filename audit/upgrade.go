package audit

import (
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
	"parley.dev/parley"
)

// upgrade runs once, for a log of n > 0 records of which no place holds a checkpoint: a
// log written by a version of parley from before record proofs and places. Its leading
// records without a proof must be covered by the checkpoint stored in the database,
// signed by the audit key, which the log must extend: that checkpoint was the old
// version's whole guarantee, and the upgrade keeps it, adding the proof of each such
// record (after checking the record matches its stored hashes). The records after them
// must carry proofs (extend checks them). A log whose first record already has a proof is
// no old log: its places lost their checkpoint (another key directory?), and it is
// refused. upgrade returns the number of records given a proof.
func (l *Log) upgrade(ctx context.Context, op string, n int64) (int64, error) {
	name := l.places[0].Name
	stored, err := l.storedTree(ctx, op)
	if err != nil {
		return 0, err
	}
	if stored == nil {
		return 0, parley.Errorf(op, parley.KindIntegrity, "the audit log has %d records but the %s is missing, and so is the database's", n, name)
	}
	r := storeHashes(ctx, l.store)
	if err := checkTrusted(op, "stored checkpoint", *stored, n, r); err != nil {
		return 0, err
	}
	var done int64
	for lo := int64(0); lo < stored.N; lo += readBatch {
		hi := min(lo+readBatch, stored.N)
		recs, proofs, err := readRecords(ctx, op, l.store, lo, hi)
		if err != nil {
			return 0, err
		}
		for i, data := range recs {
			if proofs[i] != nil {
				if done == 0 {
					return 0, parley.Errorf(op, parley.KindIntegrity,
						"the audit log has %d records but the %s is missing: is --keys the key directory of this data? (after a deliberate restore of the key directory: parley audit accept-restore)", n, name)
				}
				return done, nil
			}
			if err := l.addProof(ctx, op, lo+int64(i), data, r); err != nil {
				return 0, err
			}
			done++
		}
	}
	l.logger.InfoContext(ctx, "audit log upgraded: records from before record proofs now carry them", "records", done, "checkpoint", stored.N)
	return done, nil
}

// addProof gives record k (data), which has none, its proof.
func (l *Log) addProof(ctx context.Context, op string, k int64, data []byte, r tlog.HashReader) error {
	hs, err := tlog.StoredHashes(k, data, r)
	if err != nil {
		return unavailable(op, "cannot read the audit tree", err)
	}
	if err := matchStored(ctx, op, l.store, k, hs); err != nil {
		return err
	}
	prev, err := tlog.TreeHash(k, r)
	if err != nil {
		return unavailable(op, "cannot compute the audit tree hash", err)
	}
	proof, err := signRecord(l.signer, k, prev, data)
	if err != nil {
		return &parley.Error{Op: op, Kind: parley.KindInternal, Message: "cannot sign the audit record", Err: err}
	}
	err = l.store.SetAuditProof(ctx, k, proof)
	if parley.IsKind(err, parley.KindConflict) { // another process upgrading at the same time
		got, err := l.store.ReadAuditProofs(ctx, k, k+1)
		if err != nil {
			return unavailable(op, "cannot read audit record proofs", err)
		}
		if !validProof(l.verifier, k, prev, hs[0], got[0]) {
			return badProofError(op, k, false, nil)
		}
		return nil
	}
	if err != nil {
		return unavailable(op, "cannot store the audit record proof", err)
	}
	return nil
}

func upgradeDetail(upgraded, covered int64) string {
	return fmt.Sprintf("proofs added to records 0 to %d, written before record proofs and covered by the signed checkpoint of %d records", upgraded-1, covered)
}
