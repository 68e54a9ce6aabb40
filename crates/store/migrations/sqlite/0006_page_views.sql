-- Page views from the website's visit collector (P15): anonymised at
-- collection. The address is masked before it reaches the ledger; the
-- visitor is a hash of the consent id under the day's salt, so views of
-- one day can be counted by visitor and no view can be tied to a
-- visitor once the day's salt is gone.
CREATE TABLE page_views (
    id            INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    day           TEXT NOT NULL,
    path          TEXT NOT NULL,
    referrer_host TEXT,
    screen        TEXT,
    lang          TEXT,
    address       TEXT NOT NULL,
    visitor       INTEGER NOT NULL
);
CREATE INDEX page_views_day ON page_views (day, path);

-- Today's salt for visitor hashes; older days' are deleted.
CREATE TABLE visitor_salts (
    day  TEXT PRIMARY KEY,
    salt TEXT NOT NULL
);
