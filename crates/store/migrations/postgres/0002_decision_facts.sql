-- What each subject's decisions depend on: its consents, lifecycle events,
-- objections and restrictions, copied into one JSON row per subject and
-- rewritten in the transaction that changes any of them. A decision loads
-- one row by its key instead of five tables. NULL until built from those
-- tables, which opening the ledger does.
CREATE TABLE decision_facts (
    subject_id  TEXT PRIMARY KEY REFERENCES subjects (id),
    facts       TEXT
);
CREATE INDEX decision_facts_unbuilt ON decision_facts (subject_id) WHERE facts IS NULL;
INSERT INTO decision_facts (subject_id) SELECT id FROM subjects;
