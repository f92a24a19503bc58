-- Staff accounts, agencies, sessions, cross-agency grants and alerts (the staff surface).
-- A staff name is personal data: it is sealed with the account's secrets (password hash,
-- TOTP secret, enrolment secret hash) in pii, bound to its row, and found by name_idx.
-- Session tokens are stored only as their SHA-256.

CREATE TABLE agencies (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	created_at BIGINT NOT NULL
);

-- A facility belongs to at most one agency.
CREATE TABLE agency_facilities (
	facility_id TEXT PRIMARY KEY REFERENCES facilities (id),
	agency_id TEXT NOT NULL REFERENCES agencies (id)
);

CREATE TABLE users (
	id TEXT PRIMARY KEY,
	name_idx BYTEA NOT NULL UNIQUE,
	pii BYTEA NOT NULL, -- name, password hash, TOTP secret, enrolment hash
	role TEXT NOT NULL,
	facility_id TEXT REFERENCES facilities (id),
	agency_id TEXT REFERENCES agencies (id),
	factor_version BIGINT NOT NULL DEFAULT 0,
	failed_sign_ins BIGINT NOT NULL DEFAULT 0,
	locked_until BIGINT,
	last_totp_step BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	CHECK ((facility_id IS NULL) <> (agency_id IS NULL))
);

CREATE TABLE sessions (
	token_hash BYTEA PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users (id),
	csrf_token TEXT NOT NULL,
	factor_version BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	last_seen BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE grants (
	id TEXT PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users (id),
	facility_id TEXT NOT NULL REFERENCES facilities (id),
	issued_by TEXT NOT NULL REFERENCES users (id),
	reason TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires BIGINT NOT NULL,
	CHECK (expires > created_at)
);
CREATE INDEX grants_user ON grants (user_id);

CREATE TABLE alerts (
	id TEXT PRIMARY KEY,
	scope TEXT NOT NULL,
	kind TEXT NOT NULL,
	user_id TEXT NOT NULL,
	detail TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX alerts_scope ON alerts (scope, created_at);
