package parley

import (
	"context"
	"io"
	"time"
)

// RecordClass is a retention class of recordings.
type RecordClass string

// Record classes.
const (
	ClassCall     RecordClass = "call"     // an inmate call recorded by parley
	ClassImported RecordClass = "imported" // a recording brought from a previous vendor
	ClassVideo    RecordClass = "video"    // a video visit
)

// Valid reports whether c is a known class.
func (c RecordClass) Valid() bool { return c == ClassCall || c == ClassImported || c == ClassVideo }

// RecordingStatus is the life cycle state of a vault object.
type RecordingStatus string

// Recording statuses.
const (
	RecordingWriting   RecordingStatus = "writing"   // audio is streaming in
	RecordingComplete  RecordingStatus = "complete"  // final chunk written
	RecordingTruncated RecordingStatus = "truncated" // the writer died; readable up to the last whole chunk
	RecordingShredded  RecordingStatus = "destroyed" // data key destroyed; the audio is gone for good
)

// Recording is the metadata of an encrypted recording. The audio lives in a BlobStore under
// BlobKey(ID); the data key (DEK) lives here, wrapped by the key of its period (Period,
// KeyGen), which lives only in the key directory. Destroying that period key, after
// re-wrapping the survivors under a new generation, makes the recording unrecoverable from
// any backup of the database or blob store.
type Recording struct {
	ID         string
	CallID     string
	FacilityID string
	Class      RecordClass
	Period     string // key period, e.g. "cnty-jail/2026-11-23"
	KeyGen     int    // generation of the period key that wraps WrappedDEK
	WrappedDEK []byte // nil once destroyed
	Status     RecordingStatus
	Size       int64 // ciphertext bytes, once complete
	CreatedAt  time.Time
	// TouchedAt is when the writer last showed life (real time: set at creation, then by
	// TouchRecording while it writes). An import's CreatedAt is the call's start, long
	// past, so staleness is judged by TouchedAt (CreatedAt for rows from before it).
	TouchedAt time.Time
	// CompletedAt is set when the final chunk is written.
	CompletedAt   time.Time
	LegalHold     bool
	HoldReason    string // free text from staff; must not contain personal data
	DestroyedAt   time.Time
	DestroyReason string // "retention", "privileged_number", "operator"
}

// BlobKey is the object key of a recording's audio in the blob store.
func BlobKey(recordingID string) string {
	if len(recordingID) < 2 {
		return "recordings/_/" + recordingID
	}
	return "recordings/" + recordingID[:2] + "/" + recordingID
}

// PeriodShred is one atomic change to a key period: the recordings in Destroyed lose their
// data key, and every survivor's data key is re-wrapped under generation ToGen.
type PeriodShred struct {
	Period    string
	FromGen   int               // the generation in force; the store refuses (KindConflict) otherwise
	ToGen     int               // greater than FromGen (FromGen+1 for a shred; a heal may skip generations)
	Rewrapped map[string][]byte // survivor recording id -> DEK wrapped under ToGen
	Destroyed []string          // recording ids
	Reason    string
	At        time.Time
}

// OrphanWindow bounds how far back FindOrphanRecordings looks for complete orphans.
const OrphanWindow = 7 * 24 * time.Hour

// RecordingService stores recording metadata and key periods.
type RecordingService interface {
	// CreateRecording stores a new recording in status writing. It fails with KindConflict
	// if the id exists or if r.KeyGen is not the current generation of r.Period (a shred
	// won the race; the caller re-wraps under the new generation and retries). A period
	// seen for the first time starts at generation r.KeyGen.
	CreateRecording(ctx context.Context, r *Recording) error
	// FindRecording returns a recording (also a destroyed one), or KindNotFound.
	FindRecording(ctx context.Context, id string) (*Recording, error)
	// FinishRecording sets status (complete or truncated), size and CompletedAt.
	// KindDestroyed if the recording was destroyed meanwhile.
	FinishRecording(ctx context.Context, id string, status RecordingStatus, size int64, at time.Time) error
	// SetLegalHold sets or clears a legal hold. KindDestroyed if already destroyed.
	SetLegalHold(ctx context.Context, id string, hold bool, reason string) error
	// PeriodGeneration returns the current generation of a period, or 0 if it is unknown.
	PeriodGeneration(ctx context.Context, period string) (int, error)
	// ListPeriods returns every known period and its current generation.
	ListPeriods(ctx context.Context) (map[string]int, error)
	// ListPeriodRecordings returns the recordings of a period that are not destroyed.
	ListPeriodRecordings(ctx context.Context, period string) ([]*Recording, error)
	// FindRecordingsByNumber returns the recordings not destroyed whose call was to n.
	FindRecordingsByNumber(ctx context.Context, n Number) ([]*Recording, error)
	// FindExpiredRecordings returns up to limit recordings not destroyed and not on legal
	// hold, of the facility and class, created before the given time.
	FindExpiredRecordings(ctx context.Context, facilityID string, class RecordClass, before time.Time, limit int) ([]*Recording, error)
	// FindStaleWriting returns recordings still in status writing whose writer last showed
	// life (TouchedAt, or CreatedAt if unset) before the given time (their writer died).
	FindStaleWriting(ctx context.Context, before time.Time) ([]*Recording, error)
	// TouchRecording sets TouchedAt of a recording in status writing (the writer's
	// heartbeat). KindNotFound if there is no such recording still writing.
	TouchRecording(ctx context.Context, id string, at time.Time) error
	// FindOrphanRecordings returns the imported recordings, not destroyed, that their call
	// record does not name: truncated ones (their writer died), and complete ones
	// completed before the given time and less than OrphanWindow before it (an importer
	// that died between finishing the recording and naming it on its call; a live one names
	// it at once; the window keeps the search off the whole archive).
	FindOrphanRecordings(ctx context.Context, before time.Time) ([]*Recording, error)
	// ShredPeriod applies s atomically: the period moves to s.ToGen, survivors get their
	// new wrapped keys, destroyed recordings lose theirs (status destroyed, reason, time)
	// and their call records show RecordingDestroyed. KindConflict if the period's
	// generation is not s.FromGen or a survivor of the period is missing from Rewrapped.
	ShredPeriod(ctx context.Context, s PeriodShred) error
}

// BlobStore keeps opaque objects (always ciphertext: the vault encrypts before writing).
// Implementations must be safe for concurrent use.
type BlobStore interface {
	// Create starts a new object. Nothing is visible under key until Commit; an aborted or
	// crashed write leaves at most a partial object that Open does not return.
	Create(ctx context.Context, key string) (BlobWriter, error)
	// Open reads a committed object. KindNotFound if there is none.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// OpenPartial reads what an uncommitted (crashed) write left. KindNotFound if none.
	OpenPartial(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the object and any partial one. Deleting a missing object is not an
	// error.
	Delete(ctx context.Context, key string) error
}

// BlobWriter writes one object. Write calls reach durable storage in order; Commit makes
// the object visible atomically.
type BlobWriter interface {
	io.Writer
	// Sync makes everything written so far durable (as a partial object).
	Sync() error
	// Commit makes the object visible under its key.
	Commit() error
	// Abort discards the object.
	Abort() error
}
