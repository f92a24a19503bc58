// Package audit is parley's tamper-evident audit log: every sensitive action (a recording
// read, a record search, a change to the privileged-number registry, a destruction, a key
// rotation, a retention run) is appended here before, or as a condition of, the action.
//
// # Design
//
// The log is an append-only sequence of records numbered from 0, kept in a
// parley.AuditStore (the database). Each record is one audit event encoded canonically: a
// single line of JSON with a fixed field order and a version ("v":1). The records are the
// leaves of a Merkle tree, built with golang.org/x/mod/sumdb/tlog (the same structure as
// the Go checksum database and RFC 6962): appending record n stores its record hash and
// the hashes of the subtrees it completes (tlog.StoredHashes), and its proof: an ed25519
// signature by the audit key over n, the root of the tree before it and its record hash
// (proofMessage). After every append the log signs a checkpoint, a
// golang.org/x/mod/sumdb/note whose text is tlog.FormatTree (the number of records N and
// the root hash), with the same key, derived from a secret seed held in the key directory
// (SignerFromSeed). The checkpoint is saved in the database, in Options.CheckpointFile if
// set, and in every Options.Places: the key directory and witness files (WitnessFile),
// where whoever can write or restore the database cannot reach. A place is only ever moved
// forward, to a tree consistent with the one it holds.
//
// # Threat model
//
// The attacker can write the database and the data directory and restore old copies of
// them, but holds nothing of the key directory. A record appended by them has no valid
// proof (forged); a record edited, deleted, moved or inserted breaks its own proof and the
// roots every later proof binds (rewritten); a log with fewer records than a place's
// checkpoint was rolled back or wiped. The log never signs over what it did not verify:
// Open checks the log against every place before the first append (only the records after
// the places' checkpoint are read, so it stays cheap on a large log), and each append
// checks the stored tree still hashes to the tree this process verified and verifies the
// records other processes appended since. A failure is KindIntegrity naming what
// happened, and the log refuses to append. AcceptRestore is the operator's recovery from a
// deliberate restore, accepting only a log every record of which verifies. A log written
// before proofs existed is upgraded once by Open (see upgrade).
//
// Log.Audit returns only once the record, its hashes and the new signed checkpoint are
// durable everywhere. If any of that fails it returns an error, and the caller must fail the
// sensitive action.
//
// # Outcomes
//
// An action is audited before it happens (outcome ok), so it fails closed when the log is
// down; the event means "allowed and attempted". If the action then fails, a second event
// with the same actor, action and object follows with outcome error and detail
// "failed: <kind>" (Attempt does both). An action refused before it starts (a duplicate
// id, an output file that exists) leaves one event with outcome error and detail
// "refused: <kind>" (Refused), and a refusal by policy one with outcome denied. So the
// last event for an action tells what happened.
//
// # What Verify proves
//
// VerifyTrusted, which needs only the store, the public verifier key and the places'
// checkpoints, so an auditor can run it offline against a copy of the database, recomputes
// every record hash and every stored tree hash from scratch, compares them with what is
// stored, checks that every record is a canonical event with a valid proof, checks each
// place's checkpoint is a prefix of the log (naming a rollback, a wipe or a rewrite), and
// that the stored checkpoint covers exactly the current tree. Each external checkpoint (one
// an auditor saved earlier) must also be signed by the key and be a prefix of the current
// tree, proved with a tlog consistency proof. Export and VerifyExport do the same with a
// file and the public key alone.
//
// # Limits
//
// Someone with write access to the database AND the signing seed can rewrite history and
// sign it: keep the seed in the key directory, never with the data, and never restore an
// old key directory over a newer one. Verify without the places (Verify) cannot tell a log
// rolled back to an earlier, genuinely signed state from the real one.
package audit
