-- The digest algorithms each phone is challenged with (sha256, md5 or sha256,md5). The
-- sealed pii holds exactly the hashes they name; phones stored before hold both hashes
-- and keep being offered both, SHA-256 first.
ALTER TABLE phones ADD COLUMN digest TEXT NOT NULL DEFAULT 'sha256,md5';
