-- Public accounts (attorneys and families), their sessions, the phone numbers they claim
-- and the verification codes sent to them. Names, secrets, bar details and numbers are
-- personal data: sealed in pii, bound to the row, found by blind indexes. A code is stored
-- only as a keyed hash (the index key lives in the key directory, not here), so a dump of
-- the database does not give the 10^6 candidates away.

CREATE TABLE public_accounts (
	id TEXT PRIMARY KEY,
	name_idx BYTEA NOT NULL UNIQUE,
	pii BYTEA NOT NULL, -- name, password hash, TOTP secret, full name, bar number, bar state
	role TEXT NOT NULL CHECK (role IN ('attorney', 'family')),
	status TEXT NOT NULL,
	verified_by TEXT NOT NULL,
	verified_at BIGINT,
	factor_version BIGINT NOT NULL DEFAULT 0,
	failed_sign_ins BIGINT NOT NULL DEFAULT 0,
	locked_until BIGINT,
	last_totp_step BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL
);

CREATE TABLE public_sessions (
	token_hash BYTEA PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES public_accounts (id),
	csrf_token TEXT NOT NULL,
	factor_version BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	last_seen BIGINT NOT NULL
);
CREATE INDEX public_sessions_account ON public_sessions (account_id);

CREATE TABLE public_numbers (
	id TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES public_accounts (id),
	number_idx BYTEA NOT NULL,
	pii BYTEA NOT NULL, -- number
	label TEXT NOT NULL,
	state TEXT NOT NULL,
	privileged_id TEXT NOT NULL,
	code_hash BYTEA,
	code_expires BIGINT,
	code_tries BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	verified_at BIGINT,
	UNIQUE (account_id, number_idx)
);
CREATE INDEX public_numbers_number ON public_numbers (number_idx);

CREATE TABLE code_sends (
	account_id TEXT NOT NULL,
	number_idx BYTEA NOT NULL,
	sent_at BIGINT NOT NULL
);
CREATE INDEX code_sends_account ON code_sends (account_id, sent_at);
CREATE INDEX code_sends_number ON code_sends (number_idx, sent_at);
