-- Security keys (WebAuthn) registered as staff second factors. The data is the public key,
-- sign counter and flags as JSON; nothing here is secret.
CREATE TABLE webauthn_credentials (
	id BLOB PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users (id),
	data BLOB NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id);
