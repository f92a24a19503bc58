-- Calls, phase 3: money on the call record, and phones that register with digest
-- authentication. A call record is stored before its parties are known: its number_idx
-- is then empty (zero bytes) and its inmate_idx NULL until UpdateCall fills them in.
ALTER TABLE calls ADD COLUMN charge_cents BIGINT NOT NULL DEFAULT 0;
ALTER TABLE calls ADD COLUMN credit_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE calls ADD COLUMN paying_account TEXT NOT NULL DEFAULT '';

-- A phone's digest secrets (HA1 for MD5 and SHA-256 for the realm, never the password)
-- are sealed in pii, bound to the user name.
CREATE TABLE phones (
	username TEXT PRIMARY KEY,
	facility_id TEXT NOT NULL REFERENCES facilities (id),
	realm TEXT NOT NULL,
	pii BLOB NOT NULL,
	added_at BIGINT NOT NULL
);
CREATE INDEX phones_facility ON phones (facility_id, username);
