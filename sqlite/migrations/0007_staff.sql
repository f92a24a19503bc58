-- Staff accounts, agencies, sessions, cross-agency grants and alerts (the staff surface).
-- A staff name is personal data: it is sealed with the account's secrets (password hash,
-- TOTP secret, enrolment secret hash) in pii, bound to its row, and found by name_idx.
-- Session tokens are stored only as their SHA-256.

CREATE TABLE agencies (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	created_at INTEGER NOT NULL
);

-- A facility belongs to at most one agency.
CREATE TABLE agency_facilities (
	facility_id TEXT PRIMARY KEY REFERENCES facilities (id),
	agency_id TEXT NOT NULL REFERENCES agencies (id)
);

CREATE TABLE users (
	id TEXT PRIMARY KEY,
	name_idx BLOB NOT NULL UNIQUE,
	pii BLOB NOT NULL, -- name, password hash, TOTP secret, enrolment hash
	role TEXT NOT NULL,
	facility_id TEXT REFERENCES facilities (id),
	agency_id TEXT REFERENCES agencies (id),
	factor_version INTEGER NOT NULL DEFAULT 0,
	failed_sign_ins INTEGER NOT NULL DEFAULT 0,
	locked_until INTEGER,
	last_totp_step INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	CHECK ((facility_id IS NULL) <> (agency_id IS NULL))
);

CREATE TABLE sessions (
	token_hash BLOB PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users (id),
	csrf_token TEXT NOT NULL,
	factor_version INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	last_seen INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE grants (
	id TEXT PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users (id),
	facility_id TEXT NOT NULL REFERENCES facilities (id),
	issued_by TEXT NOT NULL REFERENCES users (id),
	reason TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires INTEGER NOT NULL,
	CHECK (expires > created_at)
);
CREATE INDEX grants_user ON grants (user_id);

CREATE TABLE alerts (
	id TEXT PRIMARY KEY,
	scope TEXT NOT NULL,
	kind TEXT NOT NULL,
	user_id TEXT NOT NULL,
	detail TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX alerts_scope ON alerts (scope, created_at);
