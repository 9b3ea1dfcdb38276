-- People (PostgreSQL): who wrote which paper, for author pages. Keep in step with
-- ../sqlite/0006_people.sql.

-- One row per author of a paper, rewritten with the paper's row (db::papers). The key is the
-- name folded by domain::authors: surname first, lower case, without accents or punctuation
-- (`lopez jose garcia`), so that the spellings of a name are one author and the names with one
-- surname and initial are one range of the primary key. Keys compare byte by byte ("C"), as on
-- SQLite, whatever the database's locale.
CREATE TABLE paper_authors (
    author_key  TEXT COLLATE "C" NOT NULL,
    paper_id    TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    position    BIGINT NOT NULL,                   -- 0-based, in the paper's author list
    PRIMARY KEY (author_key, paper_id, position)
);

CREATE INDEX paper_authors_paper ON paper_authors (paper_id);

-- Tables derived from others by code, not SQL: a name here is filled in by the program after the
-- migrations (db::backfill) and then removed.
CREATE TABLE backfills (
    name  TEXT PRIMARY KEY
);

INSERT INTO backfills (name) SELECT 'paper_authors' WHERE EXISTS (SELECT 1 FROM papers);

-- Members' claims to be an author: of one paper's author entry (paper_id), or of every paper
-- under a name, later ones included (paper_id NULL). Pending until a curator verifies or rejects
-- it; a rejected claim may be filed once more. Pages show verified claims only.
CREATE TABLE author_claims (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    author_key  TEXT NOT NULL,                     -- as in paper_authors
    name        TEXT NOT NULL,                     -- as written on the paper it was claimed from
    paper_id    TEXT REFERENCES papers (id) ON DELETE CASCADE,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'rejected')),
    filings     BIGINT NOT NULL,                   -- 1, or 2 once a rejected claim is filed again
    created_at  TIMESTAMPTZ NOT NULL,
    decided_at  TIMESTAMPTZ,
    decided_by  BIGINT REFERENCES users (id) ON DELETE SET NULL
);

CREATE UNIQUE INDEX author_claims_paper ON author_claims (user_id, author_key, paper_id) WHERE paper_id IS NOT NULL;
CREATE UNIQUE INDEX author_claims_name ON author_claims (user_id, author_key) WHERE paper_id IS NULL;
CREATE INDEX author_claims_key ON author_claims (author_key, status);
CREATE INDEX author_claims_of_paper ON author_claims (paper_id, status);
CREATE INDEX author_claims_status ON author_claims (status, created_at);

-- What a member says of themselves on their profile: a short bio (plain text) and links
-- (a JSON array of absolute http(s) addresses).
ALTER TABLE users ADD COLUMN bio TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN links JSONB NOT NULL DEFAULT '[]';
