-- Annotations (PostgreSQL): what the annotation jobs wrote about each paper from its title and
-- abstract. Keep in step with ../sqlite/0010_annotations.sql.

-- Keywords (a JSON array of phrases, best first) and a one-sentence summary, each with the
-- method that made it ("keybert-mmr/all-MiniLM-L6-v2"), and the hash of the text they came from
-- (search::embedding::text_hash of title and abstract), so a changed abstract is annotated again.
CREATE TABLE paper_annotations (
    paper_id         TEXT PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
    text_hash        TEXT NOT NULL,
    keywords         TEXT NOT NULL,
    keywords_method  TEXT NOT NULL,
    summary          TEXT NOT NULL,
    summary_method   TEXT NOT NULL,
    made_at          TIMESTAMPTZ NOT NULL
);

-- A generative summary per featured paper from a chat completions endpoint (`--llm-url`):
-- the model's name beside its text, and the hash of the title and abstract it was written
-- from. A failed attempt keeps no text, says why, and when to try again.
CREATE TABLE paper_summaries (
    paper_id         TEXT PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
    text_hash        TEXT NOT NULL,
    model            TEXT NOT NULL,
    summary          TEXT,
    reason           TEXT,
    attempts         BIGINT NOT NULL DEFAULT 0,
    attempted_at     TIMESTAMPTZ NOT NULL,
    next_attempt_at  TIMESTAMPTZ
);

-- Requests sent to the summary endpoint per UTC day, against the daily budget; shared by
-- every worker.
CREATE TABLE llm_usage (
    day       DATE PRIMARY KEY,
    requests  BIGINT NOT NULL
);
