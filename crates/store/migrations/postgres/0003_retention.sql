-- Retention. A record can be cut from its subject (anonymised: subject_id
-- NULL) or erased down to a tombstone (its content NULL); `handled_at` and
-- `handled_by` say when and under which rule. A subject can be erased down
-- to its id and pseudonym (`erased_at`), which is all that proves it.
ALTER TABLE records ALTER COLUMN subject_id DROP NOT NULL;
ALTER TABLE records ADD COLUMN handled_at BIGINT;
ALTER TABLE records ADD COLUMN handled_by TEXT;
ALTER TABLE subjects ADD COLUMN erased_at BIGINT;
