-- API tokens: each bound to a role of the policy. Only the SHA-256 of the
-- secret is kept; the secret is shown once, when the token is created.
CREATE TABLE tokens (
    id          INTEGER PRIMARY KEY,
    role        TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL UNIQUE,
    label       TEXT,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
