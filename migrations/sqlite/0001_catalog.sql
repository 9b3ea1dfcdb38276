-- The paper catalog (SQLite). Keep in step with ../postgres/0001_catalog.sql: same tables, same
-- columns, same meaning; only the types differ.

CREATE TABLE papers (
    id              TEXT PRIMARY KEY NOT NULL,      -- canonical arXiv id, no version
    version         INTEGER,                        -- latest known version; NULL when unknown
    title           TEXT NOT NULL,
    summary         TEXT NOT NULL,
    authors         TEXT NOT NULL,                  -- JSON array of names, in paper order
    categories      TEXT NOT NULL,                  -- JSON array, primary first
    comment         TEXT,
    journal_ref     TEXT,
    doi             TEXT,
    license         TEXT,
    submitter       TEXT,
    published_at    TEXT,                           -- v1 submission time, RFC 3339 UTC
    updated_at      TEXT,                           -- latest version's submission time
    announce_date   TEXT,                           -- YYYY-MM-DD
    announce_date_estimated INTEGER NOT NULL,       -- 1: from arXiv's schedule, not the source
    revision        INTEGER NOT NULL,               -- 1 on insert, +1 on every change
    created_at      TEXT NOT NULL,                  -- first stored here
    changed_at      TEXT NOT NULL                   -- last changed here
) STRICT;

CREATE INDEX papers_announce_date ON papers (announce_date, id);
CREATE INDEX papers_published_at ON papers (published_at);

-- Lookup of papers by category; rewritten with the paper's row.
CREATE TABLE paper_categories (
    category    TEXT NOT NULL,
    paper_id    TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    is_primary  INTEGER NOT NULL,
    PRIMARY KEY (category, paper_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX paper_categories_paper ON paper_categories (paper_id);

-- Where an interrupted OAI-PMH harvest resumes. One row per harvest request.
CREATE TABLE harvest_checkpoints (
    request          TEXT PRIMARY KEY NOT NULL,     -- base URL, metadata prefix, set, from, until
    resumption_token TEXT,                          -- NULL before the first page and when done
    pages            INTEGER NOT NULL,
    records          INTEGER NOT NULL,
    started_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    completed_at     TEXT
) STRICT;
