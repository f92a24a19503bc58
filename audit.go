package parley

import (
	"context"
	"time"
)

// AuditEvent is one entry of the tamper-evident audit log. It must never contain personal
// data in clear: objects are named by ids or blind-index digests, never by numbers or names.
type AuditEvent struct {
	Time    time.Time `json:"time"`              // UTC
	Actor   string    `json:"actor"`             // "cli:operator", "system:retention", "user:ID"
	Action  string    `json:"action"`            // e.g. "recording.read"; see the audit package
	Object  string    `json:"object,omitempty"`  // e.g. "recording:ID", "number:#DIGEST"
	Outcome string    `json:"outcome"`           // "ok", "denied" or "error"
	Purpose string    `json:"purpose,omitempty"` // the stated purpose of a read
	Case    string    `json:"case,omitempty"`    // case number, if given
	Detail  string    `json:"detail,omitempty"`  // short, no personal data
}

// Audit outcomes.
const (
	OutcomeOK     = "ok"
	OutcomeDenied = "denied"
	OutcomeError  = "error"
)

// Auditor appends events to the audit log. Audit returns only once the event is durable;
// if it returns an error the caller must not perform (or must fail) the sensitive action.
type Auditor interface {
	Audit(ctx context.Context, e AuditEvent) error
}

// AuditStore is the storage under the audit log: records numbered from 0, each with its
// proof (the audit key's signature that parley wrote it), the Merkle tree hashes of
// golang.org/x/mod/sumdb/tlog, plus the latest signed checkpoint. It knows nothing of
// hashing or signing; the audit package does that. The store is not trusted: the audit
// package checks everything it reads against signatures and the AuditCheckpoints kept
// outside it.
type AuditStore interface {
	// AppendAudit stores record n, its proof and its tree hashes (stored-hash indexes
	// firstHash, firstHash+1, …) atomically. KindConflict if record n exists or n is not the
	// size.
	AppendAudit(ctx context.Context, n int64, record, proof []byte, firstHash int64, hashes [][32]byte) error
	// AuditSize returns the number of records.
	AuditSize(ctx context.Context) (int64, error)
	// ReadAuditRecords returns records [from, to).
	ReadAuditRecords(ctx context.Context, from, to int64) ([][]byte, error)
	// ReadAuditProofs returns the proofs of records [from, to); nil for a record that has
	// none (written before proofs existed). KindNotFound if a record does not exist.
	ReadAuditProofs(ctx context.Context, from, to int64) ([][]byte, error)
	// SetAuditProof gives record n, which has no proof, its proof (the one-time upgrade of
	// a log written before proofs existed). KindConflict if it has one, KindNotFound if the
	// record does not exist.
	SetAuditProof(ctx context.Context, n int64, proof []byte) error
	// ReadAuditHashes returns the stored hashes at the given stored-hash indexes.
	ReadAuditHashes(ctx context.Context, indexes []int64) ([][32]byte, error)
	// SaveAuditCheckpoint stores a signed checkpoint note (replacing the previous one).
	SaveAuditCheckpoint(ctx context.Context, note []byte) error
	// AuditCheckpoint returns the latest signed checkpoint, or KindNotFound.
	AuditCheckpoint(ctx context.Context) ([]byte, error)
}

// AuditCheckpoints keeps the latest signed audit checkpoint outside the database, where
// whoever can write the database or restore an old copy of it cannot reach (the key
// directory, a witness file on another volume). Several processes on one machine share it.
type AuditCheckpoints interface {
	// LatestAuditCheckpoint returns the latest checkpoint note, or KindNotFound if none was
	// ever stored.
	LatestAuditCheckpoint(ctx context.Context) ([]byte, error)
	// UpdateAuditCheckpoint calls update with the latest note (nil if none) while holding a
	// lock that excludes every other updater, in this process and others, and stores the
	// note update returns (atomically, durably) unless it is nil. An error from update is
	// returned and nothing is stored.
	UpdateAuditCheckpoint(ctx context.Context, update func(cur []byte) ([]byte, error)) error
}
