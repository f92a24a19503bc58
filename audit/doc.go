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
// the hashes of the subtrees it completes (tlog.StoredHashes). After every append the log
// signs a checkpoint, a golang.org/x/mod/sumdb/note whose text is tlog.FormatTree (the
// number of records N and the root hash), with an ed25519 key derived from a secret seed
// held in the key directory (SignerFromSeed). The checkpoint is saved in the database and,
// if Options.CheckpointFile is set, also atomically written to a file outside it.
//
// Log.Audit returns only once the record, its hashes and the new signed checkpoint are
// durable. If any of that fails it returns an error, and the caller must fail the sensitive
// action. Before appending, Log.Audit checks that the stored tree still matches the latest
// checkpoint it knows (the stored one, the file, and the last one this process signed), so
// the log refuses to extend (and sign over) a history that was rewritten underneath it.
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
// Verify, which needs only the store and the public verifier key, so an auditor can run it
// offline against a copy of the database, recomputes every record hash from the record
// bytes and every stored tree hash from scratch, compares them with what is stored, checks
// that every record is a canonical event, and checks that the stored checkpoint is signed
// by the audit key and covers exactly the current tree (same N, same root). Therefore
// editing, inserting, deleting or reordering records, editing stored hashes, truncating
// the log after its last checkpoint and forging a checkpoint are all detected. Each
// external checkpoint given to Verify (the checkpoint file, or one an auditor saved
// earlier) must also be signed by the key and be a prefix of the current tree, proved with
// a tlog consistency proof; one covering more records than the log has proves truncation.
//
// # Limits
//
// Someone with write access to the database AND the signing seed can rewrite history and
// sign a fresh checkpoint: keep the seed in the key directory, never with the data. Someone
// who truncates both the records and the stored checkpoint to an earlier, genuinely signed
// state is caught only by an external checkpoint: the checkpoint file (kept outside the
// database) or one an auditor keeps. Auditors should save the checkpoint they verified and
// pass it to later verifications.
package audit
