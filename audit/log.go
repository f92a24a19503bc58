package audit

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	"parley.dev/parley"
)

// maxAttempts is how many times Audit tries to append when another writer (another node
// sharing the database) appended first.
const maxAttempts = 10

// readBatch is how many records or hashes are read from the store at once.
const readBatch = 1000

// Options configures a Log.
type Options struct {
	// Now returns the current time; time.Now if nil.
	Now func() time.Time
	// Logger receives operational messages (never event contents); discarded if nil.
	Logger *slog.Logger
	// CheckpointFile, if set, is a file outside the database to which every new signed
	// checkpoint is also written atomically. Keep it where database administrators cannot
	// write; pass its contents to Verify as an external checkpoint.
	CheckpointFile string
	// Observe, if set, is told how long each successful append took (monitoring).
	Observe func(time.Duration)
}

// Log is the tamper-evident audit log. It implements parley.Auditor and is safe for
// concurrent use. Appends are serialised in-process; appends from other processes sharing
// the store are detected (KindConflict from the store) and retried.
type Log struct {
	store    parley.AuditStore
	signer   note.Signer
	verifier note.Verifier
	now      func() time.Time
	logger   *slog.Logger
	file     string
	observe  func(time.Duration)
	cfgErr   error

	mu          sync.Mutex
	last        *tlog.Tree // latest tree this process signed or checked
	fileChecked bool       // the checkpoint file was checked once since start
}

var _ parley.Auditor = (*Log)(nil)

// New returns a Log over store that signs checkpoints with signer. verifier must be the
// public half of signer; it is used to check the latest checkpoint before each append.
func New(store parley.AuditStore, signer note.Signer, verifier note.Verifier, opts Options) *Log {
	l := &Log{store: store, signer: signer, verifier: verifier, now: opts.Now, logger: opts.Logger,
		file: opts.CheckpointFile, observe: opts.Observe}
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
	return l
}

// unavailable wraps a failure to reach the store or the checkpoint file.
func unavailable(op, msg string, err error) error {
	return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: msg, Err: err}
}

// Audit appends e to the log and signs a new checkpoint covering it. It sets e.Time to the
// current UTC time if zero, and rejects (KindInvalid) an event without actor, action or a
// valid outcome. It returns only once the record and the checkpoint are durable; any other
// error (KindUnavailable, or KindIntegrity if the stored log no longer matches its latest
// checkpoint) means the event was not logged and the caller must fail the action.
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
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	e.Time = e.Time.UTC()
	if err := validateEvent(op, e); err != nil {
		return err
	}
	data, err := encodeEvent(op, e)
	if err != nil {
		return err
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	hr := storeHashes(ctx, l.store)
	var n int64
	for attempt := 1; ; attempt++ {
		if n, err = l.checkAnchors(ctx, op); err != nil {
			return err
		}
		hashes, err := tlog.StoredHashes(n, data, hr)
		if err != nil {
			return unavailable(op, "cannot read the audit tree", err)
		}
		err = l.store.AppendAudit(ctx, n, data, tlog.StoredHashIndex(0, n), toArrays(hashes))
		if err == nil {
			break
		}
		if parley.IsKind(err, parley.KindConflict) && attempt < maxAttempts {
			l.logger.DebugContext(ctx, "audit append raced another writer; retrying", "attempt", attempt)
			continue
		}
		return unavailable(op, "cannot append the audit record", err)
	}
	// The event is in the tree: its checkpoint must be signed even if the caller's
	// context ends now (a shutdown), or the log would hold an event no checkpoint covers.
	return l.signCheckpoint(context.WithoutCancel(ctx), op, n+1)
}

// signCheckpoint signs and saves a checkpoint covering at least min records: the whole
// log as it now stands (another node may have appended after us).
func (l *Log) signCheckpoint(ctx context.Context, op string, min int64) error {
	size, err := l.store.AuditSize(ctx)
	if err != nil {
		return unavailable(op, "cannot read the audit log size", err)
	}
	if size < min {
		return parley.Errorf(op, parley.KindIntegrity, "audit log shrank while appending: has %d records, expected at least %d", size, min)
	}
	th, err := tlog.TreeHash(size, storeHashes(ctx, l.store))
	if err != nil {
		return unavailable(op, "cannot compute the audit tree hash", err)
	}
	tree := tlog.Tree{N: size, Hash: th}
	cp, err := signTree(tree, l.signer)
	if err != nil {
		return &parley.Error{Op: op, Kind: parley.KindInternal, Message: "cannot sign the audit checkpoint", Err: err}
	}
	// Another node may have saved a checkpoint of a larger tree meanwhile: keep it.
	if cur, err := l.storedTree(ctx, op); err != nil {
		return err
	} else if cur == nil || cur.N <= size {
		if err := l.store.SaveAuditCheckpoint(ctx, cp); err != nil {
			return unavailable(op, "cannot save the audit checkpoint", err)
		}
	}
	if l.file != "" {
		if err := writeFileAtomic(l.file, cp); err != nil {
			return unavailable(op, "cannot write the audit checkpoint file", err)
		}
	}
	l.last = &tree
	return nil
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

// checkAnchors returns the log size n and checks that the stored tree of n records extends
// every checkpoint this Log knows of: the stored one, the checkpoint file (once per
// process) and the last tree it signed. It refuses (KindIntegrity) to append to a log
// rewritten or truncated under a checkpoint, so that it never signs over tampering.
func (l *Log) checkAnchors(ctx context.Context, op string) (int64, error) {
	var anchors []tlog.Tree
	var names []string
	// Read the checkpoint before the size: a checkpoint is saved only after its records,
	// so a concurrent writer cannot make the checkpoint look larger than the log.
	stored, err := l.storedTree(ctx, op)
	if err != nil {
		return 0, err
	}
	n, err := l.store.AuditSize(ctx)
	if err != nil {
		return 0, unavailable(op, "cannot read the audit log size", err)
	}
	if stored != nil {
		anchors, names = append(anchors, *stored), append(names, "stored checkpoint")
	} else if n > 0 {
		l.logger.WarnContext(ctx, "audit log has records but no stored checkpoint", "records", n)
	}
	if l.last != nil && (stored == nil || *stored != *l.last) {
		anchors, names = append(anchors, *l.last), append(names, "last signed checkpoint")
	}
	if l.file != "" && !l.fileChecked {
		data, err := os.ReadFile(l.file)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return 0, unavailable(op, "cannot read the audit checkpoint file", err)
		default:
			tree, err := openCheckpoint(op, "checkpoint file", data, l.verifier)
			if err != nil {
				return 0, err
			}
			anchors, names = append(anchors, tree), append(names, "checkpoint file")
		}
	}
	hr := storeHashes(ctx, l.store)
	for i, a := range anchors {
		if a.N > n {
			return 0, parley.Errorf(op, parley.KindIntegrity, "log truncated: %s covers %d records, log has %d", names[i], a.N, n)
		}
		th, err := tlog.TreeHash(a.N, hr)
		if err != nil {
			return 0, unavailable(op, "cannot compute the audit tree hash", err)
		}
		if th != a.Hash {
			return 0, parley.Errorf(op, parley.KindIntegrity, "stored tree does not match the %s (%d records)", names[i], a.N)
		}
	}
	l.fileChecked = true
	return n, nil
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
