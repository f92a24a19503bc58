// Package legacy imports a previous vendor's call detail records (CDRs) and recordings.
//
// The input is a CSV file with a header row naming the columns facility_id, inmate_id,
// inmate_name, called_number, started_at (RFC 3339), duration_seconds and recording_file
// (in any order, case-insensitive), and a directory holding the recordings. Recordings must
// be WAV files (RIFF/WAVE header) inside that directory; raw G.711 files are refused because
// their content cannot be told from arbitrary bytes.
//
// The import runs in two passes. The first validates every row (facility known, ids valid,
// number valid, date, duration, recording file present, regular, inside the directory and a
// WAV file) and reports each bad row as "line N: column: reason", never with its values.
// Validation is all-or-nothing: one bad row rejects the file and nothing is written, unless
// Options.SkipBadRows is set, in which case bad rows are reported and skipped.
//
// The second pass starts with an "import.calls" event (detail "start …") and writes
// nothing unless the audit log takes it: the import fails closed. It then asks the
// privilege gate about every row and stores the call record first (so every recording
// stored afterwards belongs to a call that a later privilege registration finds and
// destroys), then streams the recording into the vault through the Recorder, whose own
// gate check is honoured: a privileged call's audio is never read, and "import.calls
// call:ID privileged — not stored" is audited before the call is stored or marked
// privileged, so that event stops the import too if the log cannot take it. A write that
// fails after its event is followed by an error event ("failed: <kind>"). A summary
// "import.calls" event with the counts ends every import that started.
//
// Recordings are filed at the call's start (started_at), not at the import: retention
// counts from the call, so a recording imported after its facility's retention has passed
// is stored and then destroyed by the next retention run (audited like any expiry) unless
// it is put on legal hold first. The import itself does not judge expiry, so legal holds
// and the retention settings stay the retention job's alone.
//
// Each row carries an ImportKey (hex SHA-256 of facility, inmate, number, start and
// duration), so the same file imported twice adds nothing. A runtime failure (database,
// vault, audit log) stops the import with an error; re-running it is safe and resumes: rows
// already stored count as AlreadyImported, and a call whose recording did not finish gets its
// recording on the re-run. A recording cut off by a crash belongs to no call record (the
// call names its recording only once it is complete): the next import, or serve's
// start-up, takes its writer for dead once it has gone vault.ImportGrace without a
// heartbeat, closes it as truncated and destroys it (vault.ReapOrphans, audited), and the
// re-run stores the file again.
package legacy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/internal/csvimport"
)

// ImportStore is the part of parley.Store the importer uses.
type ImportStore interface {
	FindFacility(ctx context.Context, id string) (*parley.Facility, error)
	CreateCall(ctx context.Context, c *parley.CallRecord) error
	UpdateCall(ctx context.Context, c *parley.CallRecord) error
	FindCalls(ctx context.Context, f parley.CallFilter) ([]*parley.CallRecord, error)
}

// RecordingWriter receives one recording's audio.
type RecordingWriter interface {
	io.Writer
	// Close finishes the recording. If it fails the recording is left to the vault's
	// stale-writer sweep; the importer does not call Abort after Close.
	Close() error
	// Abort discards the recording; aborting a closed or aborted writer does nothing.
	Abort() error
	// ID is the recording id.
	ID() string
}

// Recorder hands out recording writers; the vault is the real one. It consults the
// privilege gate itself and returns a nil writer with Record false in the verdict when the
// call must not be recorded. RecordAt files the recording at the call's start (at), not at
// the time of the import, so its retention counts from the call (vault.Vault.RecordAt).
type Recorder interface {
	RecordAt(ctx context.Context, callID string, p parley.CallParties, class parley.RecordClass, at time.Time) (RecordingWriter, parley.RecordVerdict, error)
}

// RecorderFunc adapts a function to Recorder. *vault.Recorder is a RecordingWriter, but
// vault.Vault.RecordAt returns the concrete type, so wire the vault with
//
//	legacy.RecorderFunc(func(ctx context.Context, id string, p parley.CallParties, c parley.RecordClass, at time.Time) (legacy.RecordingWriter, parley.RecordVerdict, error) {
//		rec, v, err := vlt.RecordAt(ctx, id, p, c, at)
//		if rec == nil {
//			return nil, v, err // not a typed nil inside the interface
//		}
//		return rec, v, err
//	})
type RecorderFunc func(ctx context.Context, callID string, p parley.CallParties, class parley.RecordClass, at time.Time) (RecordingWriter, parley.RecordVerdict, error)

// RecordAt calls f.
func (f RecorderFunc) RecordAt(ctx context.Context, callID string, p parley.CallParties, class parley.RecordClass, at time.Time) (RecordingWriter, parley.RecordVerdict, error) {
	return f(ctx, callID, p, class, at)
}

// Importer imports a previous vendor's CDRs and recordings. Every field but Logger and
// DefaultRegion is required.
type Importer struct {
	Store ImportStore
	// Gate is asked about every row, with or without a recording, so imported records of
	// privileged calls are marked privileged (the privilege.Registry).
	Gate     parley.RecordGate
	Recorder Recorder
	Auditor  parley.Auditor
	Logger   *slog.Logger
	// DefaultRegion applies to numbers written without a country code, e.g. "US".
	DefaultRegion string
	// AfterWrite, if set, runs after a recording's audio is written and before it is
	// closed. A test seam: cmd/parley sets it only under PARLEY_TEST_PAUSE_IMPORT, so a
	// test can kill a real import at exactly that point.
	AfterWrite func()
}

// Options tune ImportCalls.
type Options struct {
	// SkipBadRows imports the good rows and reports the bad ones in Result.Problems.
	SkipBadRows bool
}

// Result counts what an import did.
type Result struct {
	Imported            int // new call records
	AlreadyImported     int // rows found from an earlier import
	Recordings          int // recordings stored in the vault
	PrivilegedNotStored int // recordings not stored because the call may not be recorded
	Skipped             int // bad rows skipped (SkipBadRows)
	Problems            []RowError
}

// ImportCalls imports a CDR CSV file whose recording_file paths are relative to
// recordingsDir (which may be empty if no row names a file). See the package documentation
// for the validation, privilege and idempotency rules. Bad rows give KindInvalid; a failure
// of the store, gate, vault or audit log stops the import with its error and the counts so
// far. Nothing is written unless the audit log first takes the start event; a summary
// "import.calls" event is audited at the end of every import that started.
func (im *Importer) ImportCalls(ctx context.Context, csv io.Reader, recordingsDir string, opts Options) (Result, error) {
	const op = "import.calls"
	var res Result
	if im.Store == nil || im.Gate == nil || im.Recorder == nil || im.Auditor == nil {
		return res, parley.Errorf(op, parley.KindInternal, "importer is not configured")
	}
	logger := im.log()
	var root *os.Root
	if recordingsDir != "" {
		r, err := os.OpenRoot(recordingsDir)
		if err != nil {
			return res, parley.Errorf(op, parley.KindInvalid, "recordings directory cannot be opened")
		}
		defer r.Close()
		root = r
	}
	rows, problems, err := im.parse(ctx, op, csv, root)
	if err != nil {
		return res, err
	}
	res.Problems = problems
	if res.Skipped, err = csvimport.Verdict(op, problems, opts.SkipBadRows); err != nil {
		return res, err
	}
	if err := im.Auditor.Audit(ctx, im.event(ctx, "", parley.OutcomeOK, fmt.Sprintf("start rows=%d skipped=%d", len(rows), res.Skipped))); err != nil {
		return res, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "audit failed; nothing imported", Err: err}
	}

	var runErr error
	for _, row := range rows {
		if err := ctx.Err(); err != nil {
			runErr = parley.WrapError(op, parley.KindUnavailable, err)
			break
		}
		if err := im.importRow(ctx, root, row, &res); err != nil {
			runErr = &parley.Error{Op: op, Kind: parley.ErrorKind(err),
				Message: fmt.Sprintf("line %d: import stopped; re-run to resume", row.line), Err: err}
			break
		}
	}
	outcome := parley.OutcomeOK
	if runErr != nil {
		outcome = parley.OutcomeError
	}
	aerr := im.Auditor.Audit(ctx, im.event(ctx, "", outcome, fmt.Sprintf("imported=%d already=%d recordings=%d privileged_not_stored=%d skipped=%d",
		res.Imported, res.AlreadyImported, res.Recordings, res.PrivilegedNotStored, res.Skipped)))
	logger.InfoContext(ctx, "legacy calls imported", "subsystem", "legacy", "imported", res.Imported,
		"already_imported", res.AlreadyImported, "recordings", res.Recordings,
		"privileged_not_stored", res.PrivilegedNotStored, "skipped", res.Skipped, "failed", runErr != nil)
	if runErr != nil {
		return res, runErr
	}
	if aerr != nil {
		return res, parley.WrapError(op, parley.KindUnavailable, aerr)
	}
	return res, nil
}

// importRow stores one validated row.
func (im *Importer) importRow(ctx context.Context, root *os.Root, row callRow, res *Result) error {
	parties := parley.CallParties{FacilityID: row.call.FacilityID, InmateID: row.call.InmateID, Number: row.call.Number}
	v, err := im.Gate.MayRecord(ctx, parties)
	if err != nil {
		return err // fail closed: nothing about this call is stored
	}
	call := row.call
	call.ID = newID()
	call.UpdatedAt = time.Now().UTC()
	if !v.Record {
		call.Privileged, call.Recording = true, parley.RecordingPrivileged
	}
	if call.Recording == parley.RecordingPrivileged && row.file != "" {
		return im.importNotStored(ctx, root, row, &call, parties, res)
	}
	err = im.Store.CreateCall(ctx, &call)
	switch {
	case err == nil:
		res.Imported++
	case parley.IsKind(err, parley.KindConflict):
		return im.alreadyImported(ctx, root, row, &call, parties, res)
	default:
		return err
	}
	if row.file == "" {
		return nil
	}
	return im.storeRecording(ctx, root, row, &call, parties, res)
}

// importNotStored stores a privileged call whose recording file is not read. Its "not
// stored" event comes before the call is written, and only for a call not imported
// before: a re-run finds the earlier call, whose event was written then.
func (im *Importer) importNotStored(ctx context.Context, root *os.Root, row callRow, call *parley.CallRecord, parties parley.CallParties, res *Result) error {
	existing, err := im.findImported(ctx, call)
	if err != nil {
		return err
	}
	if existing != nil {
		res.AlreadyImported++
		return im.resume(ctx, root, row, existing, parties, res)
	}
	ev := im.event(ctx, "call:"+call.ID, parley.OutcomeOK, notStored)
	if err := im.Auditor.Audit(ctx, ev); err != nil {
		return err
	}
	if err := im.Store.CreateCall(ctx, call); err != nil {
		_ = im.Auditor.Audit(ctx, failed(ev, err)) // best effort: the call was not stored
		if parley.IsKind(err, parley.KindConflict) {
			return im.alreadyImported(ctx, root, row, call, parties, res) // imported concurrently
		}
		return err
	}
	res.Imported++
	res.PrivilegedNotStored++
	return nil
}

// alreadyImported handles a row whose call an earlier run stored (CreateCall said
// KindConflict).
func (im *Importer) alreadyImported(ctx context.Context, root *os.Root, row callRow, call *parley.CallRecord, parties parley.CallParties, res *Result) error {
	res.AlreadyImported++
	existing, err := im.findImported(ctx, call)
	if err != nil || existing == nil {
		return err
	}
	return im.resume(ctx, root, row, existing, parties, res)
}

// resume stores the recording of a call an earlier run stored but stopped before its
// recording was stored; anything else was done by that run and is not done again.
func (im *Importer) resume(ctx context.Context, root *os.Root, row callRow, existing *parley.CallRecord, parties parley.CallParties, res *Result) error {
	if row.file == "" || existing.Recording != parley.RecordingNone || existing.Privileged {
		return nil
	}
	return im.storeRecording(ctx, root, row, existing, parties, res)
}

// storeRecording streams the row's recording into the vault and records it on the call. If
// the recorder's own gate check refuses, the file is never read, and the "not stored"
// event is audited before the call is marked privileged.
func (im *Importer) storeRecording(ctx context.Context, root *os.Root, row callRow, call *parley.CallRecord, parties parley.CallParties, res *Result) error {
	w, v, err := im.Recorder.RecordAt(ctx, call.ID, parties, parley.ClassImported, call.StartedAt)
	if err != nil {
		return err
	}
	if !v.Record {
		if w != nil {
			im.abort(ctx, w)
		}
		ev := im.event(ctx, "call:"+call.ID, parley.OutcomeOK, notStored)
		if err := im.Auditor.Audit(ctx, ev); err != nil {
			return err
		}
		call.Privileged, call.Recording, call.UpdatedAt = true, parley.RecordingPrivileged, time.Now().UTC()
		if err := im.Store.UpdateCall(ctx, call); err != nil {
			_ = im.Auditor.Audit(ctx, failed(ev, err)) // best effort: the call was not marked
			return err
		}
		res.PrivilegedNotStored++
		return nil
	}
	if w == nil {
		return parley.Errorf("import.calls", parley.KindInternal, "recorder returned no writer")
	}
	f, err := openAudio(root, row.file)
	if err != nil {
		im.abort(ctx, w)
		return err
	}
	_, err = io.Copy(w, f)
	f.Close()
	if err != nil {
		im.abort(ctx, w)
		return parley.WrapError("import.calls", parley.KindInternal, err)
	}
	if im.AfterWrite != nil {
		im.AfterWrite()
	}
	if err := w.Close(); err != nil {
		return err
	}
	call.Recording, call.RecordingID, call.UpdatedAt = parley.RecordingStored, w.ID(), time.Now().UTC()
	if err := im.Store.UpdateCall(ctx, call); err != nil {
		return err
	}
	res.Recordings++
	return nil
}

// findImported returns the stored call with c's import key, or nil if the store does not
// show it.
func (im *Importer) findImported(ctx context.Context, c *parley.CallRecord) (*parley.CallRecord, error) {
	calls, err := im.Store.FindCalls(ctx, parley.CallFilter{
		Number: c.Number, FacilityID: c.FacilityID, InmateID: c.InmateID,
		From: c.StartedAt.Add(-time.Second), To: c.StartedAt.Add(time.Second),
	})
	if err != nil {
		return nil, err
	}
	for _, found := range calls {
		if found.ImportKey == c.ImportKey {
			return found, nil
		}
	}
	return nil, nil
}

// abort discards a recording that will not be finished. A failed abort leaves the recording
// in state writing for the vault's stale-writer sweep, so it is logged, not returned.
func (im *Importer) abort(ctx context.Context, w RecordingWriter) {
	if err := w.Abort(); err != nil {
		im.log().WarnContext(ctx, "cannot abort an imported recording", "subsystem", "legacy", "recording", w.ID(), "err", err)
	}
}

func (im *Importer) log() *slog.Logger {
	if im.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return im.Logger
}

// notStored is the detail of the event for a privileged call whose recording is not stored.
const notStored = "privileged — not stored"

// event returns an "import.calls" event by the context's actor.
func (im *Importer) event(ctx context.Context, object, outcome, detail string) parley.AuditEvent {
	return parley.AuditEvent{Time: time.Now().UTC(), Actor: parley.ActorFromContext(ctx), Action: "import.calls",
		Object: object, Outcome: outcome, Detail: detail}
}

// failed returns the event that follows ev when the write it announced failed.
func failed(ev parley.AuditEvent, err error) parley.AuditEvent {
	ev.Time, ev.Outcome = time.Now().UTC(), parley.OutcomeError
	ev.Detail += "; failed: " + parley.ErrorKind(err).String()
	return ev
}

// newID returns a random 128-bit id in hex.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}
