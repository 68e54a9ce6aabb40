-- Retention. A record can be cut from its subject (anonymised: subject_id
-- NULL) or erased down to a tombstone (its content NULL); `handled_at` and
-- `handled_by` say when and under which rule. A subject can be erased down
-- to its id and pseudonym (`erased_at`), which is all that proves it.
ALTER TABLE records ALTER COLUMN subject_id DROP NOT NULL;
ALTER TABLE records ADD COLUMN handled_at BIGINT;
ALTER TABLE records ADD COLUMN handled_by TEXT;
ALTER TABLE subjects ADD COLUMN erased_at BIGINT;

-- What a sweep or a plan reads: the records whose deadline counts from
-- their collection, by kind and state; those whose deadline counts from a
-- lifecycle event of their own reference (an invoice's payment); and the
-- events a deadline counts from, by kind and time.
CREATE INDEX records_by_kind_state_collected ON records (kind, state, collected_at) WHERE state <> 'erased';
CREATE INDEX records_by_reference ON records (reference) WHERE reference IS NOT NULL;
CREATE INDEX lifecycle_events_by_kind ON lifecycle_events (kind, at);
