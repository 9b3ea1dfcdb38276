-- The paper catalog (PostgreSQL). Keep in step with ../sqlite/0001_catalog.sql: same tables,
-- same columns, same meaning; only the types differ.

CREATE TABLE papers (
    id              TEXT PRIMARY KEY,               -- canonical arXiv id, no version
    version         INTEGER,                        -- latest known version; NULL when unknown
    title           TEXT NOT NULL,
    summary         TEXT NOT NULL,
    authors         JSONB NOT NULL,                 -- array of names, in paper order
    categories      JSONB NOT NULL,                 -- array, primary first
    comment         TEXT,
    journal_ref     TEXT,
    doi             TEXT,
    license         TEXT,
    submitter       TEXT,
    published_at    TIMESTAMPTZ,                    -- v1 submission time
    updated_at      TIMESTAMPTZ,                    -- latest version's submission time
    announce_date   DATE,
    announce_date_estimated BOOLEAN NOT NULL,       -- from arXiv's schedule, not the source
    revision        BIGINT NOT NULL,                -- 1 on insert, +1 on every change
    created_at      TIMESTAMPTZ NOT NULL,           -- first stored here
    changed_at      TIMESTAMPTZ NOT NULL            -- last changed here
);

CREATE INDEX papers_announce_date ON papers (announce_date, id);
CREATE INDEX papers_published_at ON papers (published_at);

-- Lookup of papers by category; rewritten with the paper's row.
CREATE TABLE paper_categories (
    category    TEXT NOT NULL,
    paper_id    TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    is_primary  BOOLEAN NOT NULL,
    PRIMARY KEY (category, paper_id)
);

CREATE INDEX paper_categories_paper ON paper_categories (paper_id);

-- Where an interrupted OAI-PMH harvest resumes. One row per harvest request.
CREATE TABLE harvest_checkpoints (
    request          TEXT PRIMARY KEY,              -- base URL, metadata prefix, set, from, until
    resumption_token TEXT,                          -- NULL before the first page and when done
    pages            BIGINT NOT NULL,
    records          BIGINT NOT NULL,
    started_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    completed_at     TIMESTAMPTZ
);
