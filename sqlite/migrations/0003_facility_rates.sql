-- Per-facility per-minute rates by service, in microdollars, from a calendar date
-- (YYYY-MM-DD, in the facility's time zone). Rows are never updated: a new rate is a new
-- row, so the history says who set what and when. The rate in force on a day is the row
-- with the latest effective_from not after it (the latest id breaks a tie).
CREATE TABLE facility_rates (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	facility_id TEXT NOT NULL REFERENCES facilities (id),
	service TEXT NOT NULL CHECK (service IN ('audio', 'video')),
	rate_micros INTEGER NOT NULL CHECK (rate_micros >= 0),
	effective_from TEXT NOT NULL,
	set_by TEXT NOT NULL,
	set_at INTEGER NOT NULL
);

CREATE INDEX facility_rates_lookup ON facility_rates (facility_id, service, effective_from, id);
