package audit

import (
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	"parley.dev/parley"
)

// Report is the outcome of a successful Verify.
type Report struct {
	Records        int64  // number of records in the log
	CheckpointSize int64  // number of records the stored checkpoint covers (= Records)
	RootHash       string // root hash of the tree, base64 as in the checkpoint
	External       int    // number of external checkpoints checked
}

// Verify checks the whole audit log in store against the audit key's verifier, from the
// stored data alone (an auditor can run it offline on a copy of the database). It
// recomputes every record hash and every stored tree hash from the records and compares
// them with the stored ones, checks every record is a canonical event, and checks that the
// stored checkpoint is signed by the key and covers exactly the current tree. Each
// external checkpoint (the checkpoint file, or one an auditor saved earlier) must also be
// signed by the key and be a prefix of the current tree; one covering more records than
// the log has proves truncation.
//
// A failed check returns KindIntegrity with a message saying what is wrong; a store that
// cannot be read returns KindUnavailable. Verify holds two hashes per record in memory.
func Verify(ctx context.Context, store parley.AuditStore, verifier note.Verifier, external ...[]byte) (Report, error) {
	const op = "audit.Verify"
	if store == nil || verifier == nil {
		return Report{}, parley.Errorf(op, parley.KindInvalid, "verify needs a store and a verifier")
	}
	n, err := store.AuditSize(ctx)
	if err != nil {
		return Report{}, unavailable(op, "cannot read the audit log size", err)
	}
	hashes, badRecord, err := recomputeHashes(ctx, op, store, n)
	if err != nil {
		return Report{}, err
	}
	if err := compareStoredHashes(ctx, op, store, hashes); err != nil {
		return Report{}, err
	}
	if badRecord >= 0 {
		return Report{}, parley.Errorf(op, parley.KindIntegrity, "record %d is not a valid audit event", badRecord)
	}
	th, err := tlog.TreeHash(n, hashes)
	if err != nil {
		return Report{}, &parley.Error{Op: op, Kind: parley.KindInternal, Message: "cannot compute the tree hash", Err: err}
	}
	rep := Report{Records: n, RootHash: th.String()}

	cp, err := store.AuditCheckpoint(ctx)
	switch {
	case parley.IsKind(err, parley.KindNotFound) && n == 0:
	case parley.IsKind(err, parley.KindNotFound):
		return Report{}, parley.Errorf(op, parley.KindIntegrity, "log has %d records but no checkpoint", n)
	case err != nil:
		return Report{}, unavailable(op, "cannot read the audit checkpoint", err)
	default:
		tree, err := openCheckpoint(op, "checkpoint", cp, verifier)
		if err != nil {
			return Report{}, err
		}
		switch {
		case tree.N > n:
			return Report{}, parley.Errorf(op, parley.KindIntegrity, "log truncated: checkpoint covers %d records, log has %d", tree.N, n)
		case tree.N < n:
			return Report{}, parley.Errorf(op, parley.KindIntegrity,
				"records %d to %d are not covered by the checkpoint (checkpoint covers %d records, log has %d)", tree.N, n-1, tree.N, n)
		case tree.Hash != th:
			return Report{}, parley.Errorf(op, parley.KindIntegrity, "checkpoint root hash does not match the tree of %d records", n)
		}
		rep.CheckpointSize = tree.N
	}

	for i, data := range external {
		what := fmt.Sprintf("external checkpoint %d", i+1)
		if err := checkExternal(op, what, data, verifier, n, th, hashes); err != nil {
			return Report{}, err
		}
		rep.External++
	}
	return rep, nil
}

// checkExternal checks that an external checkpoint is signed by the key and that the tree
// it describes is a prefix of the current tree of n records with root th.
func checkExternal(op, what string, data []byte, verifier note.Verifier, n int64, th tlog.Hash, hashes memHashes) error {
	tree, err := openCheckpoint(op, what, data, verifier)
	if err != nil {
		return err
	}
	if tree.N > n {
		return parley.Errorf(op, parley.KindIntegrity, "log truncated: %s covers %d records, log has %d", what, tree.N, n)
	}
	if tree.N == 0 {
		return nil
	}
	proof, err := tlog.ProveTree(n, tree.N, hashes)
	if err != nil {
		return &parley.Error{Op: op, Kind: parley.KindInternal, Message: "cannot build a consistency proof", Err: err}
	}
	if err := tlog.CheckTree(proof, n, th, tree.N, tree.Hash); err != nil {
		return parley.Errorf(op, parley.KindIntegrity,
			"%s (%d records) is not consistent with the log: its history was rewritten", what, tree.N)
	}
	return nil
}

// recomputeHashes reads the n records of store and computes every stored hash from
// scratch. badRecord is the first record that is not a canonical event, or -1.
func recomputeHashes(ctx context.Context, op string, store parley.AuditStore, n int64) (hashes memHashes, badRecord int64, err error) {
	hashes = make(memHashes, 0, tlog.StoredHashCount(n))
	badRecord = -1
	for lo := int64(0); lo < n; lo += readBatch {
		hi := min(lo+readBatch, n)
		recs, err := store.ReadAuditRecords(ctx, lo, hi)
		if err != nil {
			return nil, 0, unavailable(op, "cannot read audit records", err)
		}
		if int64(len(recs)) != hi-lo {
			return nil, 0, parley.Errorf(op, parley.KindIntegrity, "records %d to %d are missing", lo+int64(len(recs)), hi-1)
		}
		for i, data := range recs {
			k := lo + int64(i)
			if _, ok := decodeEvent(data); !ok && badRecord < 0 {
				badRecord = k
			}
			hs, err := tlog.StoredHashes(k, data, hashes)
			if err != nil {
				return nil, 0, &parley.Error{Op: op, Kind: parley.KindInternal, Message: "cannot compute tree hashes", Err: err}
			}
			hashes = append(hashes, hs...)
		}
	}
	return hashes, badRecord, nil
}

// compareStoredHashes compares the stored hashes with the recomputed ones and names the
// first that differs.
func compareStoredHashes(ctx context.Context, op string, store parley.AuditStore, hashes memHashes) error {
	const batch = 2 * readBatch
	total := int64(len(hashes))
	for lo := int64(0); lo < total; lo += batch {
		hi := min(lo+batch, total)
		indexes := make([]int64, 0, hi-lo)
		for x := lo; x < hi; x++ {
			indexes = append(indexes, x)
		}
		got, err := store.ReadAuditHashes(ctx, indexes)
		if parley.IsKind(err, parley.KindNotFound) {
			return parley.Errorf(op, parley.KindIntegrity, "stored tree hashes %d to %d are missing", lo, hi-1)
		}
		if err != nil {
			return unavailable(op, "cannot read the stored tree hashes", err)
		}
		if int64(len(got)) != hi-lo {
			return parley.Errorf(op, parley.KindIntegrity, "stored tree hashes %d to %d are missing", lo+int64(len(got)), hi-1)
		}
		for i, h := range got {
			if x := lo + int64(i); tlog.Hash(h) != hashes[x] {
				return hashMismatch(op, x)
			}
		}
	}
	return nil
}

// hashMismatch describes a stored hash that differs from the recomputed one. Hashes are
// compared in index order, so a changed record shows up as its own leaf hash first.
func hashMismatch(op string, index int64) error {
	level, k := tlog.SplitStoredHashIndex(index)
	if level == 0 {
		return parley.Errorf(op, parley.KindIntegrity, "record %d does not match the tree (stored hash %d differs)", k, index)
	}
	lo := k << uint(level)
	hi := lo + 1<<uint(level) - 1
	return parley.Errorf(op, parley.KindIntegrity,
		"stored hash %d (level %d, records %d to %d) does not match the records", index, level, lo, hi)
}
