package vault

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"parley.dev/parley"
)

// Config configures a Vault. Store, Blobs, PeriodKeys, Gate and Auditor are required.
type Config struct {
	Store      parley.RecordingService
	Blobs      parley.BlobStore
	PeriodKeys parley.PeriodKeys
	Gate       parley.RecordGate // "may this call be recorded?"
	Auditor    parley.Auditor
	Logger     *slog.Logger
	Now        func() time.Time // optional, default time.Now
	ChunkSize  int              // optional, default DefaultChunkSize
	// Journals keeps the re-wrap journals that Heal uses after a database restore.
	// Optional: by default PeriodKeys, if it implements Journals (*keydir.Dir does).
	Journals Journals
	// KeysBound says the caller has proven that PeriodKeys belong to Store (cmd/parley
	// binds the key directory to the database by an id and refuses a mismatch). Heal then
	// takes a key directory without any period key for the end of every period, not for
	// the wrong directory, and marks the restored recordings destroyed.
	KeysBound bool

	// OnFlush, if set, is told of each sealed chunk written and synced to its blob: its
	// bytes and how long the write and sync took (monitoring). It runs on the flusher's
	// goroutine and must be cheap.
	OnFlush func(bytes int, took time.Duration)
}

// Vault stores recordings encrypted and destroys them by crypto-shredding. It is safe for
// concurrent use; in-process operations on one key period are serialized against Destroy.
type Vault struct {
	store     parley.RecordingService
	blobs     parley.BlobStore
	keys      parley.PeriodKeys
	gate      parley.RecordGate
	auditor   parley.Auditor
	logger    *slog.Logger
	now       func() time.Time
	chunkSize int
	journals  Journals // nil: survivors of a shred cannot be healed after a restore
	keysBound bool     // PeriodKeys are known to belong to store (see Config.KeysBound)
	onFlush   func(int, time.Duration)

	mu      sync.Mutex
	periods map[string]*sync.RWMutex // period -> lock: Record reads, Destroy writes
	live    map[string]*Recorder     // recording id -> recorder being written
	chunks  chunkPool                // buffers of sealed chunks on their way to disk
}

// Access states why a recording is read. Purpose is required and audited; Case is the case
// number, if any.
type Access struct {
	Purpose string
	Case    string
}

// Destroy reasons.
const (
	ReasonRetention  = "retention"
	ReasonPrivileged = "privileged_number"
	ReasonOperator   = "operator"
	// ReasonOrphaned: an imported recording that no call names (its importer died
	// before naming it); ReapOrphans destroys it, and the import's re-run stores it anew.
	ReasonOrphaned = "orphaned_import"
)

// Writers' heartbeats (see Recover).
const (
	// Heartbeat is how often a recorder that is being written touches its recording.
	Heartbeat = 30 * time.Second
	// ImportGrace is how long an imported recording's writer may go without a heartbeat
	// before Recover and ReapOrphans take it for dead. An import runs as a process of its
	// own, beside serve: serve's start-up says nothing about it.
	ImportGrace = 4 * Heartbeat
)

// maxAttempts bounds retries after a KindConflict from the store (a concurrent shred).
const maxAttempts = 8

// New returns a Vault.
func New(cfg Config) (*Vault, error) {
	const op = "vault.New"
	if cfg.Store == nil || cfg.Blobs == nil || cfg.PeriodKeys == nil || cfg.Gate == nil || cfg.Auditor == nil {
		return nil, parley.Errorf(op, parley.KindInvalid, "store, blobs, period keys, gate and auditor are required")
	}
	v := &Vault{store: cfg.Store, blobs: cfg.Blobs, keys: cfg.PeriodKeys, gate: cfg.Gate,
		auditor: cfg.Auditor, logger: cfg.Logger, now: cfg.Now, chunkSize: cfg.ChunkSize,
		keysBound: cfg.KeysBound, onFlush: cfg.OnFlush, periods: map[string]*sync.RWMutex{}, live: map[string]*Recorder{}}
	if v.journals = cfg.Journals; v.journals == nil {
		v.journals, _ = cfg.PeriodKeys.(Journals)
	}
	if v.logger == nil {
		v.logger = slog.New(slog.DiscardHandler)
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.chunkSize == 0 {
		v.chunkSize = DefaultChunkSize
	}
	if v.chunkSize < 1 || v.chunkSize > MaxChunkSize {
		return nil, parley.Errorf(op, parley.KindInvalid, "chunk size out of range")
	}
	return v, nil
}

// periodLock returns the in-process lock of a period.
func (v *Vault) periodLock(period string) *sync.RWMutex {
	v.mu.Lock()
	defer v.mu.Unlock()
	l, ok := v.periods[period]
	if !ok {
		l = new(sync.RWMutex)
		v.periods[period] = l
	}
	return l
}

// newID returns a random 128-bit hex id.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// dekAAD binds a wrapped data key to its recording, period and generation.
func dekAAD(id, period string, gen int) []byte {
	return []byte("parley/dek/v1\x00" + id + "\x00" + period + "\x00" + strconv.Itoa(gen))
}

// wrapDEK seals dek under a period key.
func wrapDEK(op string, periodKey, dek []byte, id, period string, gen int) ([]byte, error) {
	aead, err := newGCM(op, periodKey)
	if err != nil {
		return nil, err
	}
	return aead.Seal(nil, nil, dek, dekAAD(id, period, gen)), nil
}

// unwrapDEK opens a wrapped data key. KindIntegrity if it does not authenticate.
func unwrapDEK(op string, periodKey, wrapped []byte, id, period string, gen int) ([]byte, error) {
	aead, err := newGCM(op, periodKey)
	if err != nil {
		return nil, err
	}
	dek, err := aead.Open(nil, nil, wrapped, dekAAD(id, period, gen))
	if err != nil || len(dek) != 32 {
		return nil, parley.Errorf(op, parley.KindIntegrity, "wrapped data key does not authenticate")
	}
	return dek, nil
}

// auditRead records a read attempt.
func (v *Vault) auditRead(ctx context.Context, id string, a Access, outcome, detail string) error {
	return v.auditor.Audit(ctx, parley.AuditEvent{Time: v.now().UTC(), Actor: parley.ActorFromContext(ctx),
		Action: "recording.read", Object: "recording:" + id, Outcome: outcome, Purpose: a.Purpose,
		Case: a.Case, Detail: detail})
}

// Open returns the decrypted audio of a recording and its metadata (without the wrapped
// key). Purpose is required. Every successful open is audited before any audio is
// returned; if the audit fails, Open fails. Failed attempts on a missing or destroyed
// recording are audited with outcome error. KindDestroyed if the recording was destroyed.
// A truncated recording reads up to its last whole chunk, then fails with a KindIntegrity
// error wrapping ErrTruncated. Size tells the length of a complete recording before reading.
func (v *Vault) Open(ctx context.Context, id string, a Access) (io.ReadCloser, *parley.Recording, error) {
	const op = "vault.Open"
	if a.Purpose == "" {
		return nil, nil, parley.Errorf(op, parley.KindInvalid, "purpose required")
	}
	fail := func(err error, detail string) (io.ReadCloser, *parley.Recording, error) {
		if aerr := v.auditRead(ctx, id, a, parley.OutcomeError, detail); aerr != nil {
			v.logger.Error("cannot audit a failed recording read", "recording", id, "err", aerr)
		}
		if pe := (*parley.Error)(nil); errors.As(err, &pe) && pe.Op == op {
			return nil, nil, err // already says where it failed
		}
		return nil, nil, parley.WrapError(op, parley.KindInternal, err)
	}
	var rec *parley.Recording
	var dek []byte
	for attempt := 0; ; attempt++ {
		var err error
		rec, err = v.store.FindRecording(ctx, id)
		if err != nil {
			return fail(err, parley.ErrorKind(err).String())
		}
		switch rec.Status {
		case parley.RecordingShredded:
			return fail(parley.Errorf(op, parley.KindDestroyed, "recording was destroyed"), "destroyed")
		case parley.RecordingWriting:
			return fail(parley.Errorf(op, parley.KindConflict, "recording is still being written"), "writing")
		}
		pk, err := v.keys.PeriodKey(ctx, rec.Period, rec.KeyGen)
		if parley.IsKind(err, parley.KindNotFound) && attempt < maxAttempts {
			// A shred moved the period to a new generation between our reads: look again.
			continue
		}
		if parley.IsKind(err, parley.KindNotFound) {
			return fail(parley.Errorf(op, parley.KindDestroyed, "period key is gone (after a database restore, run the vault heal)"), "destroyed")
		}
		if err != nil {
			return fail(err, "key")
		}
		dek, err = unwrapDEK(op, pk, rec.WrappedDEK, rec.ID, rec.Period, rec.KeyGen)
		clear(pk)
		if err != nil {
			return fail(err, "key")
		}
		break
	}
	key := parley.BlobKey(id)
	var blob io.ReadCloser
	blob, err := v.blobs.Open(ctx, key)
	if parley.IsKind(err, parley.KindNotFound) && rec.Status == parley.RecordingTruncated {
		blob = io.NopCloser(eofReader{}) // the writer died before any chunk: no audio
	} else if err != nil {
		clear(dek)
		return fail(err, "blob")
	}
	var src io.Reader = blob
	size := int64(-1)
	if rec.Status == parley.RecordingComplete && rec.Size > 0 {
		br := bufio.NewReader(blob)
		size, src = peekSize(br, rec.Size), br
	}
	sr, err := NewStreamReader(src, dek, id)
	clear(dek)
	if err != nil {
		blob.Close()
		return fail(err, "blob")
	}
	if err := v.auditRead(ctx, id, a, parley.OutcomeOK, ""); err != nil {
		blob.Close()
		return nil, nil, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "audit failed; recording not opened", Err: err}
	}
	out := *rec
	out.WrappedDEK = nil
	return &sizedReader{readCloser: &readCloser{StreamReader: sr, c: blob}, size: size}, &out, nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// readCloser closes the blob under a StreamReader.
type readCloser struct {
	*StreamReader
	c io.Closer
}

func (r *readCloser) Close() error { return r.c.Close() }
