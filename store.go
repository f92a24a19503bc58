package parley

// Store is everything parley persists in its database. The sqlite and postgres packages
// implement it, and internal/storetest holds the conformance suite both must pass.
type Store interface {
	FacilityService
	InmateService
	DeviceService
	PrivilegeService
	CallService
	RecordingService
	AuditStore
	ContactService
	UserService
	PublicService
	PhoneService
	// Close releases the database.
	Close() error
}
