-- A legal hold names what it keeps (JSON: {"of": {"categories": [...],
-- "kinds": [...]}}; NULL, as every hold before this version: everything)
-- and the day it is to be reviewed (YYYY-MM-DD).
ALTER TABLE holds ADD COLUMN scope TEXT;
ALTER TABLE holds ADD COLUMN review_on TEXT;
