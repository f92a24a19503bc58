package audit

import (
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	"parley.dev/parley"
)

// chain checks records in order from record 0, recomputing every tree hash in memory and
// each record's proof against the root of the records before it. It keeps two hashes per
// record.
type chain struct {
	op       string
	verifier note.Verifier
	hashes   memHashes
	n        int64
	badEvent int64 // first record that is not a canonical event, or -1
	badProof int64 // first record without a valid proof, or -1
	noProof  bool  // that record has no proof at all
}

func newChain(op string, verifier note.Verifier) *chain {
	return &chain{op: op, verifier: verifier, badEvent: -1, badProof: -1}
}

// add checks the next record and its proof.
func (c *chain) add(data, proof []byte) error {
	k := c.n
	prev, err := tlog.TreeHash(k, c.hashes)
	if err != nil {
		return &parley.Error{Op: c.op, Kind: parley.KindInternal, Message: "cannot compute the tree hash", Err: err}
	}
	if _, ok := decodeEvent(data); !ok && c.badEvent < 0 {
		c.badEvent = k
	}
	if c.badProof < 0 && !validProof(c.verifier, k, prev, tlog.RecordHash(data), proof) {
		c.badProof, c.noProof = k, len(proof) == 0
	}
	hs, err := tlog.StoredHashes(k, data, c.hashes)
	if err != nil {
		return &parley.Error{Op: c.op, Kind: parley.KindInternal, Message: "cannot compute tree hashes", Err: err}
	}
	c.hashes = append(c.hashes, hs...)
	c.n++
	return nil
}

// tree returns the tree of the records added so far.
func (c *chain) tree() (tlog.Tree, error) {
	th, err := tlog.TreeHash(c.n, c.hashes)
	if err != nil {
		return tlog.Tree{}, &parley.Error{Op: c.op, Kind: parley.KindInternal, Message: "cannot compute the tree hash", Err: err}
	}
	return tlog.Tree{N: c.n, Hash: th}, nil
}

// proofError describes the first record without a valid proof, nil if there is none. A
// record below a trusted checkpoint's size was rewritten; one above it was forged.
func (c *chain) proofError(trusted []tlog.Tree) error {
	if c.badProof < 0 {
		return nil
	}
	return badProofError(c.op, c.badProof, c.noProof, trusted)
}

// badProofError describes record k, which has no valid proof.
func badProofError(op string, k int64, noProof bool, trusted []tlog.Tree) error {
	why := "bad signature"
	if noProof {
		why = "no signature"
	}
	for _, t := range trusted {
		if k < t.N {
			return parley.Errorf(op, parley.KindIntegrity, "audit history rewritten: record %d was not written by parley (%s)", k, why)
		}
	}
	return parley.Errorf(op, parley.KindIntegrity, "record %d was forged: not written by parley (%s)", k, why)
}

// checkTrusted checks that the log of n records (tree hashes r) extends a = the latest
// checkpoint of what, one kept where the database's writers do not reach. It names what
// happened: the log wiped, rolled back to an older state, or rewritten.
func checkTrusted(op, what string, a tlog.Tree, n int64, r tlog.HashReader) error {
	switch {
	case a.N == 0:
		return nil
	case a.N > 0 && n == 0:
		return parley.Errorf(op, parley.KindIntegrity, "audit log wiped: the %s covers %d records, the log has none", what, a.N)
	case a.N > n:
		return parley.Errorf(op, parley.KindIntegrity,
			"audit log rolled back from %d to %d records: the %s covers %d (an older copy of the database was restored, or its last records deleted)",
			a.N, n, what, a.N)
	}
	th, err := tlog.TreeHash(a.N, r)
	if err != nil {
		return unavailable(op, "cannot compute the audit tree hash", err)
	}
	if th != a.Hash {
		return parley.Errorf(op, parley.KindIntegrity, "audit history rewritten: the log's first %d records do not match the %s", a.N, what)
	}
	return nil
}

// emptyTree returns the tree of no records.
func emptyTree() *tlog.Tree {
	h, _ := tlog.TreeHash(0, nil) // reads nothing
	return &tlog.Tree{Hash: h}
}
