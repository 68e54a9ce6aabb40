-- When each audit entry was written, by the writing machine's clock, beside
-- the instant it claims (`at`, which a caller may set in the past). Hashed
-- with the entry; entries from before this version have none.
ALTER TABLE audit ADD COLUMN recorded_at INTEGER;
