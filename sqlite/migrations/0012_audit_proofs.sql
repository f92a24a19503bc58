-- Each audit record carries the audit key's signature over (its index, the tree root before
-- it, its record hash): proof that parley wrote it. Records written before this migration
-- have none until parley, on its first start, verifies them against their signed checkpoint
-- and adds their proofs (audit.Log.Open).
ALTER TABLE audit_records ADD COLUMN proof BLOB;
