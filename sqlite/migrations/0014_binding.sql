-- The key directory this database is bound to (see parley.BindingStore): one row, its id
-- (also written in the key directory) with a canary sealed by the field cipher and its
-- blind index, so opening the database with another key directory is refused.
CREATE TABLE key_binding (
	singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
	id TEXT NOT NULL,
	canary BLOB NOT NULL,
	canary_idx BLOB NOT NULL,
	created_at INTEGER NOT NULL
);
