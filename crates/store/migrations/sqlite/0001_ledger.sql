-- The ledger, SQLite. Times are microseconds since the Unix epoch (UTC);
-- dates are ISO 8601 text; booleans are 0/1.

CREATE TABLE subjects (
    id          TEXT PRIMARY KEY,
    pseudonym   TEXT NOT NULL UNIQUE,   -- what the audit chain names
    created_at  INTEGER NOT NULL
);

CREATE TABLE identifiers (
    kind        TEXT NOT NULL CHECK (kind IN ('email', 'phone', 'personnummer')),
    value       TEXT NOT NULL,
    subject_id  TEXT NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
    PRIMARY KEY (kind, value)
);
CREATE INDEX identifiers_by_subject ON identifiers (subject_id);

CREATE TABLE records (
    id            INTEGER PRIMARY KEY,
    subject_id    TEXT NOT NULL REFERENCES subjects (id),
    category      TEXT NOT NULL,
    kind          TEXT NOT NULL,
    source        TEXT NOT NULL,
    register      TEXT,
    inform_by     TEXT,
    collected_at  INTEGER NOT NULL,
    payload       TEXT,
    reference     TEXT,
    accounting    INTEGER NOT NULL CHECK (accounting IN (0, 1)),
    state         TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'anonymised', 'erased'))
);
CREATE INDEX records_by_subject ON records (subject_id);

CREATE TABLE lifecycle_events (
    id          INTEGER PRIMARY KEY,
    subject_id  TEXT NOT NULL REFERENCES subjects (id),
    kind        TEXT NOT NULL,
    reference   TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX lifecycle_events_by_subject ON lifecycle_events (subject_id, at);

CREATE TABLE consents (
    id              INTEGER PRIMARY KEY,
    subject_id      TEXT NOT NULL REFERENCES subjects (id),
    purpose         TEXT NOT NULL,
    given           INTEGER NOT NULL CHECK (given IN (0, 1)),
    channel         TEXT NOT NULL,
    notice_version  TEXT NOT NULL,
    at              INTEGER NOT NULL
);
CREATE INDEX consents_by_subject ON consents (subject_id, purpose, at);

CREATE TABLE objections (
    id          INTEGER PRIMARY KEY,
    subject_id  TEXT NOT NULL REFERENCES subjects (id),
    purpose     TEXT NOT NULL,
    absolute    INTEGER NOT NULL CHECK (absolute IN (0, 1)),
    at          INTEGER NOT NULL
);
CREATE INDEX objections_by_subject ON objections (subject_id);

CREATE TABLE restrictions (
    id          INTEGER PRIMARY KEY,
    subject_id  TEXT NOT NULL REFERENCES subjects (id),
    ground      TEXT NOT NULL,
    at          INTEGER NOT NULL,
    lifted_at   INTEGER
);
CREATE INDEX restrictions_by_subject ON restrictions (subject_id);

CREATE TABLE holds (
    id           INTEGER PRIMARY KEY,
    subject_id   TEXT NOT NULL REFERENCES subjects (id),
    placed_by    TEXT NOT NULL,
    reason       TEXT NOT NULL,
    at           INTEGER NOT NULL,
    released_at  INTEGER,
    released_by  TEXT
);
CREATE INDEX holds_by_subject ON holds (subject_id);

CREATE TABLE disclosures (
    id          INTEGER PRIMARY KEY,
    recipient   TEXT NOT NULL,
    categories  TEXT NOT NULL,          -- comma-separated category ids
    basis       TEXT NOT NULL,
    reference   TEXT,
    at          INTEGER NOT NULL
);

CREATE TABLE disclosure_subjects (
    disclosure_id  INTEGER NOT NULL REFERENCES disclosures (id),
    subject_id     TEXT NOT NULL REFERENCES subjects (id),
    PRIMARY KEY (disclosure_id, subject_id)
);
CREATE INDEX disclosure_subjects_by_subject ON disclosure_subjects (subject_id);

-- The audit chain: each entry's hash covers the previous entry's hash and
-- the entry itself. Pseudonyms only, never personal data.
CREATE TABLE audit (
    seq        INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);

-- The chain's last entry, written in the same transaction: a removed last
-- entry shows as a head that points past the end.
CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
