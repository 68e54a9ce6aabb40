-- Data subjects' requests (GDPR Art. 15-21): each a case with its legal
-- clock (Art. 12(3)). Days are ISO dates in Europe/Stockholm: `due_on`
-- is the deadline in force, extension included; `first_month_ends`
-- bounds when an extension may be decided. Identity is verified before
-- any data leaves (`verified_*`). The response is what was sent or done,
-- as JSON, with its SHA-256; the response of an access or portability
-- request goes with its subject's erasure, its digest stays.
CREATE TABLE requests (
    id                INTEGER PRIMARY KEY,
    subject_id        TEXT NOT NULL REFERENCES subjects (id),
    kind              TEXT NOT NULL,
    received_at       INTEGER NOT NULL,
    received_on       TEXT NOT NULL,
    first_month_ends  TEXT NOT NULL,
    due_on            TEXT NOT NULL,
    extended_months   INTEGER NOT NULL DEFAULT 0,
    extension_reason  TEXT,
    extended_at       INTEGER,
    verified_at       INTEGER,
    verified_by       TEXT,
    verification      TEXT,
    closed_at         INTEGER,
    outcome           TEXT,
    response          TEXT,
    response_sha256   TEXT
);
CREATE INDEX requests_open_by_due ON requests (due_on) WHERE closed_at IS NULL;
CREATE INDEX requests_by_subject ON requests (subject_id);
