-- Retention. A record can be cut from its subject (anonymised: subject_id
-- NULL) or erased down to a tombstone (its content NULL); `handled_at` and
-- `handled_by` say when and under which rule. A subject can be erased down
-- to its id and pseudonym (`erased_at`), which is all that proves it.
-- SQLite cannot drop a NOT NULL, so the records table is rebuilt.
CREATE TABLE records_v3 (
    id            INTEGER PRIMARY KEY,
    subject_id    TEXT REFERENCES subjects (id),
    category      TEXT NOT NULL,
    kind          TEXT NOT NULL,
    source        TEXT NOT NULL,
    register      TEXT,
    inform_by     TEXT,
    collected_at  INTEGER NOT NULL,
    payload       TEXT,
    reference     TEXT,
    accounting    INTEGER NOT NULL CHECK (accounting IN (0, 1)),
    state         TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'anonymised', 'erased')),
    handled_at    INTEGER,
    handled_by    TEXT
);
INSERT INTO records_v3 (id, subject_id, category, kind, source, register, inform_by,
                        collected_at, payload, reference, accounting, state)
SELECT id, subject_id, category, kind, source, register, inform_by,
       collected_at, payload, reference, accounting, state
FROM records;
DROP TABLE records;
ALTER TABLE records_v3 RENAME TO records;
CREATE INDEX records_by_subject ON records (subject_id);

ALTER TABLE subjects ADD COLUMN erased_at INTEGER;

-- What a sweep or a plan reads: the records whose deadline counts from
-- their collection, by kind and state; those whose deadline counts from a
-- lifecycle event of their own reference (an invoice's payment); and the
-- events a deadline counts from, by kind and time.
CREATE INDEX records_by_kind_state_collected ON records (kind, state, collected_at) WHERE state <> 'erased';
CREATE INDEX records_by_reference ON records (reference) WHERE reference IS NOT NULL;
CREATE INDEX lifecycle_events_by_kind ON lifecycle_events (kind, at);
