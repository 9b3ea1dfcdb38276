-- Full texts (PostgreSQL): each paper's content fetched from arXiv, as a document. Keep in
-- step with ../sqlite/0009_full_texts.sql.

-- One row per paper that was queued for its full text: waiting (queued, or failed with a retry
-- due), ready (the document, made from arXiv's HTML or its PDF), or missing (arXiv has none
-- Paperboy can read, for the reason given). The document is deflated JSON (fulltext::store).
CREATE TABLE full_texts (
    paper_id         TEXT PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
    state            TEXT NOT NULL CHECK (state IN ('queued', 'ready', 'missing', 'failed')),
    source           TEXT CHECK (source IN ('html', 'pdf')),
    version          BIGINT,                  -- the arXiv version fetched, when known
    reason           TEXT,                    -- why it is missing or failed
    pdf_reason       TEXT,                    -- why the PDF gave no thumbnail (or text)
    document         BYTEA,
    fetched_bytes    BIGINT NOT NULL DEFAULT 0,
    attempts         BIGINT NOT NULL DEFAULT 0,
    queued_at        TIMESTAMPTZ NOT NULL,
    fetched_at       TIMESTAMPTZ,
    next_attempt_at  TIMESTAMPTZ              -- when a queued or failed one is due; NULL: never
);

CREATE INDEX full_texts_due ON full_texts (next_attempt_at) WHERE next_attempt_at IS NOT NULL;

-- Each paper's first page, small (a 4-bit greyscale PNG), made from its PDF by the full-text
-- job. Cards and pages show a neutral placeholder for a paper without one.
CREATE TABLE thumbnails (
    paper_id  TEXT PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
    image     BYTEA NOT NULL,
    width     BIGINT NOT NULL,
    height    BIGINT NOT NULL,
    made_at   TIMESTAMPTZ NOT NULL
);
