package audit

import (
	"context"
	"fmt"
	"slices"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	"parley.dev/parley"
)

// Report is the outcome of a successful Verify.
type Report struct {
	Records        int64  // number of records in the log
	CheckpointSize int64  // number of records the stored checkpoint covers (= Records)
	RootHash       string // root hash of the tree, base64 as in the checkpoint
	Trusted        int    // number of trusted checkpoints (key directory, witnesses) checked
	External       int    // number of external checkpoints checked
}

// Trusted is the latest checkpoint of a place the database's writers cannot reach (the key
// directory, a witness file), for VerifyTrusted. A nil Note means that place holds none.
type Trusted struct {
	Name string // "key directory's checkpoint", "witness file /mnt/w/audit"
	Note []byte
}

// Verify is VerifyTrusted with no trusted checkpoint.
func Verify(ctx context.Context, store parley.AuditStore, verifier note.Verifier, external ...[]byte) (Report, error) {
	return VerifyTrusted(ctx, store, verifier, nil, external...)
}

// VerifyTrusted checks the whole audit log in store against the audit key's verifier, from
// the stored data alone (an auditor can run it offline against a copy of the database). It
// recomputes every record hash and every stored tree hash from the records and compares
// them with the stored ones, checks every record is a canonical event carrying the audit
// key's proof over its index and the tree before it (a forged or rewritten record has
// none), and checks that the stored checkpoint is signed by the key and covers exactly the
// current tree. Each trusted checkpoint must be signed by the key and be a prefix of the
// log (one covering more records shows a rollback or a wipe, one with another root a
// rewrite); a trusted place that holds no checkpoint while the log has records is an
// error. Each external checkpoint (one an auditor saved earlier) must also be signed by the
// key and be a prefix of the current tree.
//
// A failed check returns KindIntegrity with a message saying what is wrong; a store that
// cannot be read returns KindUnavailable. Verify holds two hashes per record in memory.
func VerifyTrusted(ctx context.Context, store parley.AuditStore, verifier note.Verifier, trusted []Trusted, external ...[]byte) (Report, error) {
	const op = "audit.Verify"
	if store == nil || verifier == nil {
		return Report{}, parley.Errorf(op, parley.KindInvalid, "verify needs a store and a verifier")
	}
	n, err := store.AuditSize(ctx)
	if err != nil {
		return Report{}, unavailable(op, "cannot read the audit log size", err)
	}
	c, err := readChain(ctx, op, store, verifier, n)
	if err != nil {
		return Report{}, err
	}
	if err := compareStoredHashes(ctx, op, store, c.hashes); err != nil {
		return Report{}, err
	}
	if c.badEvent >= 0 {
		return Report{}, parley.Errorf(op, parley.KindIntegrity, "record %d is not a valid audit event", c.badEvent)
	}
	trees, err := openTrusted(op, trusted, verifier, n)
	if err != nil {
		return Report{}, err
	}
	covering := trees
	if cp, err := store.AuditCheckpoint(ctx); err == nil {
		if st, err := openCheckpoint(op, "checkpoint", cp, verifier); err == nil {
			covering = append(slices.Clone(trees), st) // a signed tree over the record: it was rewritten
		}
	}
	if err := c.proofError(covering); err != nil {
		return Report{}, err
	}
	for i, t := range trees {
		if err := checkTrusted(op, trusted[i].Name, t, n, c.hashes); err != nil {
			return Report{}, err
		}
	}
	tree, err := c.tree()
	if err != nil {
		return Report{}, err
	}
	rep := Report{Records: n, RootHash: tree.Hash.String(), Trusted: len(trees)}
	if rep.CheckpointSize, err = checkStored(ctx, op, store, verifier, tree); err != nil {
		return Report{}, err
	}
	for i, data := range external {
		what := fmt.Sprintf("external checkpoint %d", i+1)
		if err := checkExternal(op, what, data, verifier, n, tree.Hash, c.hashes); err != nil {
			return Report{}, err
		}
		rep.External++
	}
	return rep, nil
}

// openTrusted opens the trusted checkpoints. One that holds none is an error for a log of
// n > 0 records.
func openTrusted(op string, trusted []Trusted, verifier note.Verifier, n int64) ([]tlog.Tree, error) {
	trees := make([]tlog.Tree, len(trusted))
	for i, t := range trusted {
		if t.Note == nil {
			if n > 0 {
				return nil, parley.Errorf(op, parley.KindIntegrity, "the audit log has %d records but the %s is missing", n, t.Name)
			}
			continue
		}
		tree, err := openCheckpoint(op, t.Name, t.Note, verifier)
		if err != nil {
			return nil, err
		}
		trees[i] = tree
	}
	return trees, nil
}

// readChain reads the n records of store with their proofs through a chain, handing each
// to each if not nil.
func readChain(ctx context.Context, op string, store parley.AuditStore, verifier note.Verifier, n int64, each ...func(k int64, data, proof []byte) error) (*chain, error) {
	c := newChain(op, verifier)
	c.hashes = make(memHashes, 0, tlog.StoredHashCount(n))
	for lo := int64(0); lo < n; lo += readBatch {
		hi := min(lo+readBatch, n)
		recs, proofs, err := readRecords(ctx, op, store, lo, hi)
		if err != nil {
			return nil, err
		}
		for i := range recs {
			for _, f := range each {
				if err := f(lo+int64(i), recs[i], proofs[i]); err != nil {
					return nil, err
				}
			}
			if err := c.add(recs[i], proofs[i]); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

// readRecords reads records [lo, hi) and their proofs. A record missing is KindIntegrity.
func readRecords(ctx context.Context, op string, store parley.AuditStore, lo, hi int64) (recs, proofs [][]byte, err error) {
	missing := func(got int) error {
		return parley.Errorf(op, parley.KindIntegrity, "records %d to %d are missing", lo+int64(got), hi-1)
	}
	recs, err = store.ReadAuditRecords(ctx, lo, hi)
	if parley.IsKind(err, parley.KindNotFound) {
		return nil, nil, missing(0)
	}
	if err != nil {
		return nil, nil, unavailable(op, "cannot read audit records", err)
	}
	if int64(len(recs)) != hi-lo {
		return nil, nil, missing(len(recs))
	}
	proofs, err = store.ReadAuditProofs(ctx, lo, hi)
	if parley.IsKind(err, parley.KindNotFound) {
		return nil, nil, missing(0)
	}
	if err != nil {
		return nil, nil, unavailable(op, "cannot read audit record proofs", err)
	}
	if int64(len(proofs)) != hi-lo {
		return nil, nil, missing(len(proofs))
	}
	return recs, proofs, nil
}

// checkStored checks that the checkpoint stored in the database is signed by the key and
// covers exactly tree, and returns its size.
func checkStored(ctx context.Context, op string, store parley.AuditStore, verifier note.Verifier, tree tlog.Tree) (int64, error) {
	n := tree.N
	cp, err := store.AuditCheckpoint(ctx)
	switch {
	case parley.IsKind(err, parley.KindNotFound) && n == 0:
		return 0, nil
	case parley.IsKind(err, parley.KindNotFound):
		return 0, parley.Errorf(op, parley.KindIntegrity, "log has %d records but no checkpoint", n)
	case err != nil:
		return 0, unavailable(op, "cannot read the audit checkpoint", err)
	}
	stored, err := openCheckpoint(op, "checkpoint", cp, verifier)
	if err != nil {
		return 0, err
	}
	switch {
	case stored.N > n:
		return 0, parley.Errorf(op, parley.KindIntegrity, "log truncated: checkpoint covers %d records, log has %d", stored.N, n)
	case stored.N < n:
		return 0, parley.Errorf(op, parley.KindIntegrity,
			"records %d to %d are not covered by the checkpoint (checkpoint covers %d records, log has %d)", stored.N, n-1, stored.N, n)
	case stored.Hash != tree.Hash:
		return 0, parley.Errorf(op, parley.KindIntegrity, "checkpoint root hash does not match the tree of %d records", n)
	}
	return stored.N, nil
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
			missing, err := missingHashes(ctx, store, indexes)
			if err != nil {
				return unavailable(op, "cannot read the stored tree hashes", err)
			}
			return missingError(op, missing)
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

// missingHashes returns the indexes the store does not have, halving the request until
// each part is either all there or a single missing index.
func missingHashes(ctx context.Context, store parley.AuditStore, indexes []int64) ([]int64, error) {
	if len(indexes) == 0 {
		return nil, nil
	}
	_, err := store.ReadAuditHashes(ctx, indexes)
	switch {
	case err == nil:
		return nil, nil
	case !parley.IsKind(err, parley.KindNotFound):
		return nil, err
	case len(indexes) == 1:
		return indexes, nil
	}
	half := len(indexes) / 2
	a, err := missingHashes(ctx, store, indexes[:half])
	if err != nil {
		return nil, err
	}
	b, err := missingHashes(ctx, store, indexes[half:])
	return append(a, b...), err
}

// missingError names the first run of missing stored hashes (consecutive indexes) and
// how many more are missing after it.
func missingError(op string, missing []int64) error {
	if len(missing) == 0 { // the store said not found, then found them all
		return parley.Errorf(op, parley.KindIntegrity, "stored tree hashes are missing")
	}
	run := 1
	for run < len(missing) && missing[run] == missing[0]+int64(run) {
		run++
	}
	msg := fmt.Sprintf("stored tree hash %d is missing", missing[0])
	if run > 1 {
		msg = fmt.Sprintf("stored tree hashes %d to %d are missing", missing[0], missing[run-1])
	}
	if more := len(missing) - run; more > 0 {
		msg += fmt.Sprintf(", and %d more after them", more)
	}
	return parley.Errorf(op, parley.KindIntegrity, "%s", msg)
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
