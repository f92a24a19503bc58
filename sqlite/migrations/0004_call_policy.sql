-- Call policy: per-facility rules, allowed and blocked numbers, called-party self-blocks,
-- PIN lookup and failure state, trusted gateways. Numbers are personal data: each is sealed
-- (pii, bound to its row) and searched by blind index (number_idx). Prefixes, gateway
-- addresses and rules are not personal data and are stored in clear.

-- The configurable part of policy.Rules as JSON text (no facility id, time zone or blocks:
-- those come from facilities and the block tables).
CREATE TABLE call_rules (
	facility_id TEXT PRIMARY KEY REFERENCES facilities (id),
	rules TEXT NOT NULL,
	updated_at INTEGER NOT NULL
);

CREATE TABLE allowed_numbers (
	facility_id TEXT NOT NULL,
	inmate_idx BLOB NOT NULL,
	number_idx BLOB NOT NULL,
	pii BLOB NOT NULL, -- number
	max_call_ns INTEGER NOT NULL CHECK (max_call_ns >= 0),
	added_at INTEGER NOT NULL,
	PRIMARY KEY (facility_id, inmate_idx, number_idx),
	FOREIGN KEY (facility_id, inmate_idx) REFERENCES inmates (facility_id, inmate_idx)
);

CREATE TABLE blocked_numbers (
	facility_id TEXT NOT NULL REFERENCES facilities (id),
	number_idx BLOB NOT NULL,
	pii BLOB NOT NULL, -- number
	added_at INTEGER NOT NULL,
	PRIMARY KEY (facility_id, number_idx)
);

CREATE TABLE blocked_prefixes (
	facility_id TEXT NOT NULL REFERENCES facilities (id),
	prefix TEXT NOT NULL,
	added_at INTEGER NOT NULL,
	PRIMARY KEY (facility_id, prefix)
);

-- scope is a facility id, or '' for every facility.
CREATE TABLE self_blocks (
	number_idx BLOB NOT NULL,
	scope TEXT NOT NULL,
	pii BLOB NOT NULL, -- number
	added_at INTEGER NOT NULL,
	PRIMARY KEY (number_idx, scope)
);

-- pin_idx is the blind index of facility id and PIN: PINs are unique within a facility.
CREATE TABLE pin_index (
	facility_id TEXT NOT NULL,
	pin_idx BLOB NOT NULL,
	inmate_idx BLOB NOT NULL,
	PRIMARY KEY (facility_id, pin_idx),
	UNIQUE (facility_id, inmate_idx),
	FOREIGN KEY (facility_id, inmate_idx) REFERENCES inmates (facility_id, inmate_idx)
);

-- subject is "inmate:" and the hex inmate blind index, or "device:" and the device id.
CREATE TABLE pin_failures (
	facility_id TEXT NOT NULL REFERENCES facilities (id),
	subject TEXT NOT NULL,
	failures INTEGER NOT NULL,
	locked_until INTEGER,
	PRIMARY KEY (facility_id, subject)
);

CREATE TABLE gateways (
	addr TEXT PRIMARY KEY,
	facility_id TEXT NOT NULL REFERENCES facilities (id),
	added_at INTEGER NOT NULL
);
CREATE INDEX gateways_facility ON gateways (facility_id);
