-- The daily feed, and what pages show of a paper beyond arXiv's metadata (SQLite). Keep in step with ../postgres/0003_feed.sql.
--
-- A paper is on the feed of at most one day, as on Hugging Face. Entries come from the feature
-- rules applied on import and harvest (source 'rule'), from curators (`paperboy feature`,
-- source 'curator') and, with accounts, from users who submit papers (source 'user'). Each
-- entry takes a number from catalog_clock, so one number versions everything a page shows.

CREATE TABLE feed_entries (
    paper_id     TEXT PRIMARY KEY NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    feed_date    TEXT NOT NULL,                     -- YYYY-MM-DD: the day whose feed shows it
    source       TEXT NOT NULL CHECK (source IN ('rule', 'curator', 'user')),
    submitted_by TEXT,                              -- the submitting user's name; NULL for rules and curators
    submitted_at TEXT NOT NULL,                     -- when it joined the feed, RFC 3339 UTC
    change_seq   INTEGER NOT NULL                   -- from catalog_clock
) STRICT;

CREATE INDEX feed_entries_date ON feed_entries (feed_date, submitted_at);
CREATE INDEX feed_entries_submitted_at ON feed_entries (submitted_at, paper_id);
-- Only users submit; rule and curator entries (nearly all of a catalog) stay out of it.
CREATE INDEX feed_entries_submitted_by ON feed_entries (submitted_by, submitted_at) WHERE submitted_by IS NOT NULL;

-- The paper's code and project page, when a source knows them (Hugging Face does), and
-- community counters, kept by the writes of votes and comments; 0 until those exist.
ALTER TABLE papers ADD COLUMN github_repo TEXT;
ALTER TABLE papers ADD COLUMN project_page TEXT;
ALTER TABLE papers ADD COLUMN upvotes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE papers ADD COLUMN num_comments INTEGER NOT NULL DEFAULT 0;
