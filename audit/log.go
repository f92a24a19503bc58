package audit

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	"parley.dev/parley"
)

// maxAttempts is how many times Audit tries to append when another writer (another process
// or node sharing the database) appended first.
const maxAttempts = 50

// readBatch is how many records or hashes are read from the store at once.
const readBatch = 1000

// Options configures a Log.
type Options struct {
	// Now returns the current time; time.Now if nil.
	Now func() time.Time
	// Logger receives operational messages (never event contents); discarded if nil.
	Logger *slog.Logger
	// CheckpointFile, if set, is a file to which every new signed checkpoint is also written
	// atomically (a copy for operators; the log does not trust it).
	CheckpointFile string
	// Observe, if set, is told how long each successful append took (monitoring).
	Observe func(time.Duration)
	// Places keep the latest signed checkpoint outside the database: the key directory
	// first, then any witnesses. The log only ever extends a tree that extends each of
	// them, and moves each forward after every append. With none, the log trusts the
	// checkpoint stored in the database, which its writers can roll back: production
	// always passes the key directory.
	Places []Place
}

// Place is somewhere outside the database that keeps the latest signed checkpoint.
type Place struct {
	Name  string // for messages: "key directory's checkpoint", "witness file /mnt/w/audit"
	Store parley.AuditCheckpoints
}

// Log is the tamper-evident audit log. It implements parley.Auditor and is safe for
// concurrent use. Appends are serialised in-process; appends from other processes sharing
// the store are detected (KindConflict from the store), verified and retried.
type Log struct {
	store    parley.AuditStore
	signer   note.Signer
	verifier note.Verifier
	now      func() time.Time
	logger   *slog.Logger
	file     string
	observe  func(time.Duration)
	places   []Place
	cfgErr   error

	mu     sync.Mutex
	opened bool      // Open succeeded: tree is verified
	tree   tlog.Tree // the tree this process verified or appended: every record below
	// tree.N carries a valid proof or is covered by a trusted checkpoint, and the stored
	// hashes hash to tree.Hash
}

var _ parley.Auditor = (*Log)(nil)

// New returns a Log over store that signs checkpoints and record proofs with signer.
// verifier must be the public half of signer.
func New(store parley.AuditStore, signer note.Signer, verifier note.Verifier, opts Options) *Log {
	l := &Log{store: store, signer: signer, verifier: verifier, now: opts.Now, logger: opts.Logger,
		file: opts.CheckpointFile, observe: opts.Observe, places: opts.Places, tree: *emptyTree()}
	if l.now == nil {
		l.now = time.Now
	}
	if l.logger == nil {
		l.logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case store == nil || signer == nil || verifier == nil:
		l.cfgErr = parley.Errorf("audit.New", parley.KindInternal, "audit log needs a store, a signer and a verifier")
	case signer.Name() != verifier.Name() || signer.KeyHash() != verifier.KeyHash():
		l.cfgErr = parley.Errorf("audit.New", parley.KindInternal, "audit signer and verifier are different keys")
	}
	for _, p := range opts.Places {
		if p.Store == nil || p.Name == "" {
			l.cfgErr = parley.Errorf("audit.New", parley.KindInternal, "audit checkpoint place without a store or a name")
		}
	}
	return l
}

// unavailable wraps a failure to reach the store or the checkpoint file.
func unavailable(op, msg string, err error) error {
	return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: msg, Err: err}
}

// Open checks the log before anything is appended: the stored tree must extend the latest
// checkpoint of every place (KindIntegrity naming a wipe, a rollback, a rewrite), and every
// record after it must carry the audit key's proof (KindIntegrity naming the forged
// record). Only the records after that checkpoint are read, so opening a large log is
// cheap; VerifyTrusted reads everything. A log written before record proofs existed is
// upgraded once: its records, covered by their signed checkpoint, get their proofs. Audit
// calls Open if nobody did.
func (l *Log) Open(ctx context.Context) error {
	if l.cfgErr != nil {
		return l.cfgErr
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open(ctx, "audit.Open")
}

// Audit appends e to the log and signs a new checkpoint covering it. It sets e.Time to the
// current UTC time if zero, and rejects (KindInvalid) an event without actor, action or a
// valid outcome. It returns only once the record, its proof and the checkpoint are durable
// in the store and every place; any other error (KindUnavailable, or KindIntegrity if the
// log does not verify) means the event was not logged and the caller must fail the action.
func (l *Log) Audit(ctx context.Context, e parley.AuditEvent) error {
	start := time.Now()
	err := l.appendEvent(ctx, e)
	if err == nil && l.observe != nil {
		l.observe(time.Since(start))
	}
	return err
}

func (l *Log) appendEvent(ctx context.Context, e parley.AuditEvent) error {
	const op = "audit.Audit"
	if l.cfgErr != nil {
		return l.cfgErr
	}
	data, err := l.encode(op, e)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.open(ctx, op); err != nil {
		return err
	}
	return l.appendLocked(ctx, op, data, nil)
}

// encode stamps, validates and encodes e.
func (l *Log) encode(op string, e parley.AuditEvent) ([]byte, error) {
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	e.Time = e.Time.UTC()
	if err := validateEvent(op, e); err != nil {
		return nil, err
	}
	return encodeEvent(op, e)
}

// appendLocked appends data after checking the stored tree still extends l.tree and
// verifying what other processes appended since, then publishes the new checkpoint.
// replace, if not nil, holds the notes each place must still hold, which the new
// checkpoint replaces even though it does not extend them (AcceptRestore).
func (l *Log) appendLocked(ctx context.Context, op string, data []byte, replace [][]byte) error {
	r := storeHashes(ctx, l.store)
	var n int64
	var hashes []tlog.Hash
	for attempt := 1; ; attempt++ {
		var err error
		if n, err = l.store.AuditSize(ctx); err != nil {
			return unavailable(op, "cannot read the audit log size", err)
		}
		if err := checkTrusted(op, "tree parley verified", l.tree, n, r); err != nil {
			return err
		}
		if err := l.extend(ctx, op, n); err != nil {
			return err
		}
		if hashes, err = tlog.StoredHashes(n, data, r); err != nil {
			return unavailable(op, "cannot read the audit tree", err)
		}
		proof, err := signRecord(l.signer, n, l.tree.Hash, data)
		if err != nil {
			return &parley.Error{Op: op, Kind: parley.KindInternal, Message: "cannot sign the audit record", Err: err}
		}
		err = l.store.AppendAudit(ctx, n, data, proof, tlog.StoredHashIndex(0, n), toArrays(hashes))
		if err == nil {
			break
		}
		if parley.IsKind(err, parley.KindConflict) && attempt < maxAttempts {
			l.logger.DebugContext(ctx, "audit append raced another writer; retrying", "attempt", attempt)
			continue
		}
		return unavailable(op, "cannot append the audit record", err)
	}
	// The new root from the hashes this process computed, not read back.
	r = overlay{base: r, first: tlog.StoredHashIndex(0, n), hs: hashes}
	th, err := tlog.TreeHash(n+1, r)
	if err != nil {
		return unavailable(op, "cannot compute the audit tree hash", err)
	}
	l.tree = tlog.Tree{N: n + 1, Hash: th}
	// The event is in the tree: its checkpoint must be published even if the caller's
	// context ends now (a shutdown), or the log would hold an event no checkpoint covers.
	return l.publish(context.WithoutCancel(ctx), op, r, replace)
}

// extend verifies the records [l.tree.N, n) others appended and moves l.tree over them:
// each must be a canonical event, match its stored hashes and carry the audit key's proof
// over the tree before it.
func (l *Log) extend(ctx context.Context, op string, n int64) error {
	r := storeHashes(ctx, l.store)
	for l.tree.N < n {
		lo, hi := l.tree.N, min(l.tree.N+readBatch, n)
		recs, proofs, err := readRecords(ctx, op, l.store, lo, hi)
		if err != nil {
			return err
		}
		for i, data := range recs {
			k := lo + int64(i)
			if _, ok := decodeEvent(data); !ok {
				return parley.Errorf(op, parley.KindIntegrity, "record %d is not a valid audit event", k)
			}
			hs, err := tlog.StoredHashes(k, data, r)
			if err != nil {
				return unavailable(op, "cannot read the audit tree", err)
			}
			if !validProof(l.verifier, k, l.tree.Hash, hs[0], proofs[i]) {
				return badProofError(op, k, len(proofs[i]) == 0, nil)
			}
			if err := matchStored(ctx, op, l.store, k, hs); err != nil {
				return err
			}
			th, err := tlog.TreeHash(k+1, r)
			if err != nil {
				return unavailable(op, "cannot compute the audit tree hash", err)
			}
			l.tree = tlog.Tree{N: k + 1, Hash: th}
		}
	}
	return nil
}

// matchStored checks that the stored hashes of record k are hs.
func matchStored(ctx context.Context, op string, store parley.AuditStore, k int64, hs []tlog.Hash) error {
	first := tlog.StoredHashIndex(0, k)
	indexes := make([]int64, len(hs))
	for i := range hs {
		indexes[i] = first + int64(i)
	}
	got, err := store.ReadAuditHashes(ctx, indexes)
	if parley.IsKind(err, parley.KindNotFound) {
		return parley.Errorf(op, parley.KindIntegrity, "the stored tree hashes of record %d are missing", k)
	}
	if err != nil {
		return unavailable(op, "cannot read the stored tree hashes", err)
	}
	for i, h := range got {
		if tlog.Hash(h) != hs[i] {
			return hashMismatch(op, first+int64(i))
		}
	}
	return nil
}

// overlay reads the hashes first to first+len(hs)-1 from hs, the others from base.
type overlay struct {
	base  tlog.HashReader
	first int64
	hs    []tlog.Hash
}

// ReadHashes implements tlog.HashReader.
func (o overlay) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	var fromBase []int64
	for _, x := range indexes {
		if x < o.first || x-o.first >= int64(len(o.hs)) {
			fromBase = append(fromBase, x)
		}
	}
	base, err := o.base.ReadHashes(fromBase)
	if err != nil {
		return nil, err
	}
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < o.first || x-o.first >= int64(len(o.hs)) {
			out[i], base = base[0], base[1:]
		} else {
			out[i] = o.hs[x-o.first]
		}
	}
	return out, nil
}

// publish signs a checkpoint of l.tree and stores it: in the database (unless another
// process stored a larger one), in the checkpoint file, and in every place, each moved
// forward only to a tree consistent with the one it holds (r reads the tree hashes).
func (l *Log) publish(ctx context.Context, op string, r tlog.HashReader, replace [][]byte) error {
	tree := l.tree
	cp, err := signTree(tree, l.signer)
	if err != nil {
		return &parley.Error{Op: op, Kind: parley.KindInternal, Message: "cannot sign the audit checkpoint", Err: err}
	}
	stored, err := l.storedTree(ctx, op)
	if err != nil && !parley.IsKind(err, parley.KindIntegrity) {
		return err
	}
	if err != nil || stored == nil || stored.N <= tree.N { // a damaged one is replaced
		if err := l.store.SaveAuditCheckpoint(ctx, cp); err != nil {
			return unavailable(op, "cannot save the audit checkpoint", err)
		}
	}
	if l.file != "" {
		if err := writeFileAtomic(l.file, cp); err != nil {
			return unavailable(op, "cannot write the audit checkpoint file", err)
		}
	}
	return l.publishPlaces(ctx, op, cp, tree, r, replace)
}

// publishPlaces stores cp, the checkpoint of tree, in every place (see publish).
func (l *Log) publishPlaces(ctx context.Context, op string, cp []byte, tree tlog.Tree, r tlog.HashReader, replace [][]byte) error {
	for i, p := range l.places {
		update := func(cur []byte) ([]byte, error) {
			if replace != nil {
				if !bytes.Equal(cur, replace[i]) {
					return nil, parley.Errorf(op, parley.KindConflict, "the %s changed meanwhile", p.Name)
				}
				return cp, nil
			}
			return l.advance(op, p.Name, cur, cp, tree, r)
		}
		if err := p.Store.UpdateAuditCheckpoint(ctx, update); err != nil {
			if parley.IsKind(err, parley.KindIntegrity) || parley.IsKind(err, parley.KindConflict) {
				return err
			}
			return unavailable(op, "cannot store the audit checkpoint in the "+p.Name, err)
		}
	}
	return nil
}

// advance returns cp (of tree) to replace cur if tree extends cur, nil to keep cur if cur
// extends tree (another process appended after us), or KindIntegrity if neither.
func (l *Log) advance(op, name string, cur, cp []byte, tree tlog.Tree, r tlog.HashReader) ([]byte, error) {
	if cur == nil {
		return cp, nil
	}
	ct, err := openCheckpoint(op, name, cur, l.verifier)
	if err != nil {
		return nil, err
	}
	big, small := tree, ct
	if ct.N > tree.N {
		big, small = ct, tree
	}
	if !consistent(big, small, r) {
		return nil, parley.Errorf(op, parley.KindIntegrity, "the %s (%d records) is not consistent with the log (%d records)", name, ct.N, tree.N)
	}
	if ct.N >= tree.N {
		return nil, nil
	}
	return cp, nil
}

// consistent reports whether small is a prefix of big, by a consistency proof over r.
func consistent(big, small tlog.Tree, r tlog.HashReader) bool {
	switch {
	case small.N == big.N:
		return small.Hash == big.Hash
	case small.N == 0:
		return true
	}
	proof, err := tlog.ProveTree(big.N, small.N, r)
	return err == nil && tlog.CheckTree(proof, big.N, big.Hash, small.N, small.Hash) == nil
}

// storedTree returns the tree of the stored checkpoint, nil if there is none, or an error
// if it cannot be read (KindUnavailable) or does not verify (KindIntegrity).
func (l *Log) storedTree(ctx context.Context, op string) (*tlog.Tree, error) {
	cp, err := l.store.AuditCheckpoint(ctx)
	if parley.IsKind(err, parley.KindNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, unavailable(op, "cannot read the audit checkpoint", err)
	}
	tree, err := openCheckpoint(op, "stored checkpoint", cp, l.verifier)
	if err != nil {
		return nil, err
	}
	return &tree, nil
}

// toArrays converts tlog hashes to the store's representation.
func toArrays(hs []tlog.Hash) [][32]byte {
	out := make([][32]byte, len(hs))
	for i, h := range hs {
		out[i] = h
	}
	return out
}

// Events returns the events of records [from, to), to being clamped to the log size.
// KindIntegrity if a record is not a canonical audit event. Events does not verify the
// tree: use Verify for that.
func (l *Log) Events(ctx context.Context, from, to int64) ([]parley.AuditEvent, error) {
	const op = "audit.Events"
	if from < 0 || to < from {
		return nil, parley.Errorf(op, parley.KindInvalid, "invalid record range %d to %d", from, to)
	}
	size, err := l.store.AuditSize(ctx)
	if err != nil {
		return nil, unavailable(op, "cannot read the audit log size", err)
	}
	to = min(to, size)
	var out []parley.AuditEvent
	for lo := from; lo < to; lo += readBatch {
		hi := min(lo+readBatch, to)
		recs, err := l.store.ReadAuditRecords(ctx, lo, hi)
		if err != nil {
			return nil, unavailable(op, "cannot read audit records", err)
		}
		if int64(len(recs)) != hi-lo {
			return nil, parley.Errorf(op, parley.KindIntegrity, "store returned %d records for %d to %d", len(recs), lo, hi)
		}
		for i, data := range recs {
			e, ok := decodeEvent(data)
			if !ok {
				return nil, parley.Errorf(op, parley.KindIntegrity, "record %d is not a valid audit event", lo+int64(i))
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// Checkpoint returns the latest signed checkpoint note stored with the log, or
// KindNotFound if nothing was ever logged. An auditor keeps it to pass to a later Verify.
func (l *Log) Checkpoint(ctx context.Context) ([]byte, error) {
	const op = "audit.Checkpoint"
	cp, err := l.store.AuditCheckpoint(ctx)
	if err != nil {
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	return cp, nil
}
