-- Search follows the catalog (SQLite). Keep in step with ../postgres/0002_search.sql.
--
-- Every write to papers or embeddings takes its numbers from the one-row catalog_clock, and
-- holds that row locked until it commits, so change_seq order is commit order: an index that has
-- seen every change up to N asks only for change_seq > N and never misses a late commit.

CREATE TABLE catalog_clock (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL                            -- the last number handed out
) STRICT;

ALTER TABLE papers ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
UPDATE papers SET change_seq = rowid;
INSERT INTO catalog_clock (id, seq) SELECT 1, COALESCE(MAX(change_seq), 0) FROM papers;
CREATE INDEX papers_change_seq ON papers (change_seq);

-- One vector per paper and model, for semantic search and similar papers.
CREATE TABLE embeddings (
    paper_id    TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    model       TEXT NOT NULL,
    dim         INTEGER NOT NULL,
    text_hash   TEXT NOT NULL,                      -- of the embedded text: unchanged text is not embedded again
    vector      BLOB NOT NULL,                      -- dim little-endian f32, L2-normalised
    change_seq  INTEGER NOT NULL,                   -- from catalog_clock
    created_at  TEXT NOT NULL,
    PRIMARY KEY (model, paper_id)
) STRICT;

CREATE INDEX embeddings_change_seq ON embeddings (model, change_seq);
