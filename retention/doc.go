// Package retention expires recordings by crypto-shredding them once their facility's
// retention period for their class has passed, counted from the recording's CreatedAt
// (the call's start, for imported recordings too). Recordings on legal hold are never
// expired (RecordingService.FindExpiredRecordings excludes them).
//
// A run is audited before anything is destroyed: the job logs a "retention.run" start
// event and, before each batch, an event naming the facility, class and count; if the
// audit log cannot be written the run stops without destroying that batch. The events
// carry counts and facility ids only, never personal data.
package retention
