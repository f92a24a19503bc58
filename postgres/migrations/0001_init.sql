-- parley schema for PostgreSQL. Times are UTC microseconds since the Unix epoch (NULL = unset).
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
	created_at BIGINT
);

CREATE TABLE inmates (
	facility_id TEXT NOT NULL REFERENCES facilities (id),
	inmate_idx BYTEA NOT NULL,
	pii BYTEA NOT NULL, -- inmate id, name, PIN hash
	do_not_record BOOLEAN NOT NULL,
	created_at BIGINT,
	PRIMARY KEY (facility_id, inmate_idx)
);

CREATE TABLE devices (
	facility_id TEXT NOT NULL REFERENCES facilities (id),
	id TEXT NOT NULL,
	name TEXT NOT NULL,
	do_not_record BOOLEAN NOT NULL,
	created_at BIGINT,
	PRIMARY KEY (facility_id, id)
);

CREATE TABLE privileged (
	id TEXT PRIMARY KEY,
	number_idx BYTEA NOT NULL UNIQUE,
	pii BYTEA NOT NULL, -- number, name, bar number
	kind TEXT NOT NULL,
	source TEXT NOT NULL,
	added_by TEXT NOT NULL,
	added_at BIGINT
);

CREATE TABLE calls (
	id TEXT PRIMARY KEY,
	facility_id TEXT NOT NULL,
	inmate_idx BYTEA,
	device_id TEXT NOT NULL,
	number_idx BYTEA NOT NULL,
	pii BYTEA NOT NULL, -- inmate id, inmate name, number, import key
	started_at BIGINT NOT NULL,
	duration_ns BIGINT NOT NULL,
	status TEXT NOT NULL,
	reason TEXT NOT NULL,
	privileged BOOLEAN NOT NULL,
	recording_state TEXT NOT NULL,
	recording_id TEXT NOT NULL,
	source TEXT NOT NULL,
	import_key_idx BYTEA,
	updated_at BIGINT
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
	wrapped_dek BYTEA,
	status TEXT NOT NULL,
	size BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	completed_at BIGINT,
	legal_hold BOOLEAN NOT NULL,
	hold_reason TEXT NOT NULL,
	destroyed_at BIGINT,
	destroy_reason TEXT NOT NULL
);
CREATE INDEX recordings_period ON recordings (period);
CREATE INDEX recordings_call ON recordings (call_id);
CREATE INDEX recordings_expiry ON recordings (facility_id, class, created_at);
CREATE INDEX recordings_status ON recordings (status, created_at);

CREATE TABLE audit_records (
	n BIGINT PRIMARY KEY,
	record BYTEA NOT NULL
);

CREATE TABLE audit_hashes (
	idx BIGINT PRIMARY KEY,
	hash BYTEA NOT NULL
);

CREATE TABLE audit_checkpoint (
	id BIGINT PRIMARY KEY CHECK (id = 1),
	note BYTEA NOT NULL
);
