-- When a recording's writer last showed life (real time, never backdated like an
-- import's created_at): vault.Recover judges a writer dead by it, so an import running
-- beside serve is not cut off at serve's start-up. NULL (older rows): created_at.
ALTER TABLE recordings ADD COLUMN touched_at INTEGER;
