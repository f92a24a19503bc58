-- The claims of each privileged entry: why it stands (staff, a directory, an attorney's
-- self-registration, naming the attorney's public account as holder). An entry lives while
-- any claim does, so an attorney giving up a number also registered by staff or by another
-- attorney leaves it privileged. Existing entries get their source's claim, and every
-- registered attorney number its attorney's.
CREATE TABLE privileged_claims (
	privileged_id TEXT NOT NULL REFERENCES privileged (id) ON DELETE CASCADE,
	source TEXT NOT NULL,
	holder TEXT NOT NULL, -- public account id of a self-registration; '' otherwise
	added_by TEXT NOT NULL,
	added_at BIGINT,
	PRIMARY KEY (privileged_id, source, holder)
);

INSERT INTO privileged_claims (privileged_id, source, holder, added_by, added_at)
SELECT p.id, p.source, '', p.added_by, p.added_at FROM privileged p
WHERE p.source <> 'self' OR NOT EXISTS (SELECT 1 FROM public_numbers n WHERE n.privileged_id = p.id AND n.state = 'registered');

INSERT INTO privileged_claims (privileged_id, source, holder, added_by, added_at)
SELECT n.privileged_id, 'self', n.account_id, 'public:' || n.account_id, MIN(n.verified_at)
FROM public_numbers n JOIN privileged p ON p.id = n.privileged_id
WHERE n.state = 'registered'
GROUP BY n.privileged_id, n.account_id;
