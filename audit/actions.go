package audit

// Actions recorded in the audit log (parley.AuditEvent.Action).
const (
	ActionRecordingRead     = "recording.read"       // audio of a recording was decrypted for someone
	ActionRecordingDestroy  = "recording.destroy"    // a recording was crypto-shredded on request
	ActionRecordingHold     = "recording.hold"       // a legal hold was placed on a recording
	ActionRecordingRelease  = "recording.release"    // a legal hold was lifted
	ActionCallsSearch       = "calls.search"         // call records were searched
	ActionPrivilegedAdd     = "privileged.add"       // a number was registered as privileged
	ActionPrivilegedImport  = "privileged.import"    // privileged numbers were imported from a directory
	ActionKeysRotate        = "keys.rotate"          // a new key-encryption key was made active
	ActionKeysRewrap        = "keys.rewrap"          // wrapped keys were re-wrapped under the active KEK
	ActionRetentionRun      = "retention.run"        // the retention job ran (start, batches, end)
	ActionImportCalls       = "import.calls"         // call records and recordings were imported
	ActionAuditVerify       = "audit.verify"         // the audit log itself was verified
	ActionFacilityAdd       = "facility.add"         // a facility was created
	ActionInmateAdd         = "inmate.add"           // an inmate was registered
	ActionDeviceAdd         = "device.add"           // a phone or kiosk was registered
	ActionInmateDoNotRecord = "inmate.do_not_record" // recording was turned off for an inmate
	ActionDeviceDoNotRecord = "device.do_not_record" // recording was turned off for a device
	// ActionVaultHeal re-applies, after a database restore, the shreds that happened since the backup.
	ActionVaultHeal = "vault.heal"
)

// Actions of the audit log about itself.
const (
	ActionAuditUpgrade       = "audit.upgrade"        // records from before record proofs got theirs, under their checkpoint
	ActionAuditAcceptRestore = "audit.accept_restore" // the operator accepted a log rolled back by a deliberate restore
	ActionAuditExport        = "audit.export"         // the log was exported for offline verification
)
