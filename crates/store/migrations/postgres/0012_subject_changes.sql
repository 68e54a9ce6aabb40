-- The change feed: which subjects each write changed, keyed by the audit
-- chain's head after it. Writes take the head's lock, so the numbers grow
-- in commit order; a process that has seen head N reads what changed
-- after N to keep its cached decision states current.
CREATE TABLE subject_changes (
    seq         BIGINT NOT NULL,
    subject_id  TEXT NOT NULL
);
CREATE INDEX subject_changes_by_seq ON subject_changes (seq);

-- Each process that follows the feed says how far it has read; the feed
-- is pruned only up to the least of those heard from lately, and says
-- how far it was pruned, so a reader that fell behind knows to start over.
CREATE TABLE feed_readers (
    reader   TEXT PRIMARY KEY,
    seen     BIGINT NOT NULL,
    seen_at  BIGINT NOT NULL
);
CREATE TABLE feed_pruned (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    through  BIGINT NOT NULL
);
INSERT INTO feed_pruned (id, through) VALUES (1, 0);
