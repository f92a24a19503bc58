-- The double-entry ledger (see package ledger). Amounts are integer cents; times are UTC
-- microseconds. Holders are opaque references (blind-index hex), never numbers or names.
-- Appends are serialised by a transaction-scoped advisory lock, so Seq is assigned in commit order.
CREATE TABLE ledger_accounts (
	id TEXT PRIMARY KEY,
	kind TEXT NOT NULL,
	holder TEXT NOT NULL,
	active BOOLEAN NOT NULL,
	balance BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX ledger_accounts_holder ON ledger_accounts (holder);

CREATE TABLE ledger_transactions (
	seq BIGINT PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	idempotency_key TEXT NOT NULL UNIQUE,
	occurred_at BIGINT NOT NULL,
	kind TEXT NOT NULL,
	memo TEXT NOT NULL,
	reverses TEXT UNIQUE REFERENCES ledger_transactions (id),
	closes TEXT UNIQUE REFERENCES ledger_transactions (id)
);

CREATE TABLE ledger_entries (
	tx_seq BIGINT NOT NULL REFERENCES ledger_transactions (seq),
	n INTEGER NOT NULL,
	account TEXT NOT NULL REFERENCES ledger_accounts (id),
	amount BIGINT NOT NULL CHECK (amount <> 0),
	PRIMARY KEY (tx_seq, n),
	UNIQUE (tx_seq, account)
);

CREATE INDEX ledger_entries_account ON ledger_entries (account, tx_seq);
