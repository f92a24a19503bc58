-- parley schema for SQLite. Times are UTC microseconds since the Unix epoch (NULL = unset).
-- Personal data is sealed with the field cipher, a row's personal fields together as one value
-- bound to the row (pii), and searched by blind index (*_idx).
CREATE TABLE facilities (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	type TEXT NOT NULL,
	adp INTEGER NOT NULL,
	timezone TEXT NOT NULL,
	retention_days INTEGER NOT NULL,
	class_retention TEXT NOT NULL,
	created_at INTEGER
);

CREATE TABLE inmates (
	facility_id TEXT NOT NULL REFERENCES facilities (id),
	inmate_idx BLOB NOT NULL,
	pii BLOB NOT NULL, -- inmate id, name, PIN hash
	do_not_record INTEGER NOT NULL,
	created_at INTEGER,
	PRIMARY KEY (facility_id, inmate_idx)
);

CREATE TABLE devices (
	facility_id TEXT NOT NULL REFERENCES facilities (id),
	id TEXT NOT NULL,
	name TEXT NOT NULL,
	do_not_record INTEGER NOT NULL,
	created_at INTEGER,
	PRIMARY KEY (facility_id, id)
);

CREATE TABLE privileged (
	id TEXT PRIMARY KEY,
	number_idx BLOB NOT NULL UNIQUE,
	pii BLOB NOT NULL, -- number, name, bar number
	kind TEXT NOT NULL,
	source TEXT NOT NULL,
	added_by TEXT NOT NULL,
	added_at INTEGER
);

CREATE TABLE calls (
	id TEXT PRIMARY KEY,
	facility_id TEXT NOT NULL,
	inmate_idx BLOB,
	device_id TEXT NOT NULL,
	number_idx BLOB NOT NULL,
	pii BLOB NOT NULL, -- inmate id, inmate name, number, import key
	started_at INTEGER NOT NULL,
	duration_ns INTEGER NOT NULL,
	status TEXT NOT NULL,
	reason TEXT NOT NULL,
	privileged INTEGER NOT NULL,
	recording_state TEXT NOT NULL,
	recording_id TEXT NOT NULL,
	source TEXT NOT NULL,
	import_key_idx BLOB,
	updated_at INTEGER
);
CREATE INDEX calls_number ON calls (number_idx, started_at);
CREATE INDEX calls_inmate ON calls (facility_id, inmate_idx, started_at);
CREATE INDEX calls_facility ON calls (facility_id, started_at);
CREATE INDEX calls_recording ON calls (recording_id) WHERE recording_id <> '';
CREATE UNIQUE INDEX calls_import_key ON calls (import_key_idx) WHERE import_key_idx IS NOT NULL;

CREATE TABLE periods (
	period TEXT PRIMARY KEY,
	generation INTEGER NOT NULL
);

CREATE TABLE recordings (
	id TEXT PRIMARY KEY,
	call_id TEXT NOT NULL,
	facility_id TEXT NOT NULL,
	class TEXT NOT NULL,
	period TEXT NOT NULL,
	key_gen INTEGER NOT NULL,
	wrapped_dek BLOB,
	status TEXT NOT NULL,
	size INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	completed_at INTEGER,
	legal_hold INTEGER NOT NULL,
	hold_reason TEXT NOT NULL,
	destroyed_at INTEGER,
	destroy_reason TEXT NOT NULL
);
CREATE INDEX recordings_period ON recordings (period);
CREATE INDEX recordings_call ON recordings (call_id);
CREATE INDEX recordings_expiry ON recordings (facility_id, class, created_at);
CREATE INDEX recordings_status ON recordings (status, created_at);

CREATE TABLE audit_records (
	n INTEGER PRIMARY KEY,
	record BLOB NOT NULL
);

CREATE TABLE audit_hashes (
	idx INTEGER PRIMARY KEY,
	hash BLOB NOT NULL
);

CREATE TABLE audit_checkpoint (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	note BLOB NOT NULL
);
