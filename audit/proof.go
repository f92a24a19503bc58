package audit

import (
	"encoding/binary"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// proofDomain begins every message a record proof signs. Its NUL byte makes the message
// invalid as note text, so a record proof can never pass for a checkpoint signature.
const proofDomain = "parley audit record proof v1\x00"

// proofMessage is what the proof of record n signs: n, the root hash of the tree of the n
// records before it and the record's own hash. Binding the previous root chains each proof
// to the whole history before it: a record moved, inserted or put on another history fails.
func proofMessage(n int64, prev, record tlog.Hash) []byte {
	msg := make([]byte, 0, len(proofDomain)+8+2*tlog.HashSize)
	msg = append(msg, proofDomain...)
	msg = binary.BigEndian.AppendUint64(msg, uint64(n))
	msg = append(msg, prev[:]...)
	return append(msg, record[:]...)
}

// signRecord returns the proof of record n (an ed25519 signature by the audit key).
func signRecord(signer note.Signer, n int64, prev tlog.Hash, data []byte) ([]byte, error) {
	return signer.Sign(proofMessage(n, prev, tlog.RecordHash(data)))
}

// validProof reports whether proof is the audit key's proof of record n with leaf hash leaf
// over the tree root prev.
func validProof(verifier note.Verifier, n int64, prev, leaf tlog.Hash, proof []byte) bool {
	return len(proof) > 0 && verifier.Verify(proofMessage(n, prev, leaf), proof)
}
