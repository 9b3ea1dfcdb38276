-- People (SQLite): who wrote which paper, for author pages. Keep in step with
-- ../postgres/0006_people.sql.

-- One row per author of a paper, rewritten with the paper's row (db::papers). The key is the
-- name folded by domain::authors: surname first, lower case, without accents or punctuation
-- (`lopez jose garcia`), so that the spellings of a name are one author and the names with one
-- surname and initial are one range of the primary key.
CREATE TABLE paper_authors (
    author_key  TEXT NOT NULL,
    paper_id    TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,                  -- 0-based, in the paper's author list
    PRIMARY KEY (author_key, paper_id, position)
) STRICT, WITHOUT ROWID;

CREATE INDEX paper_authors_paper ON paper_authors (paper_id);

-- Tables derived from others by code, not SQL: a name here is filled in by the program after the
-- migrations (db::backfill) and then removed.
CREATE TABLE backfills (
    name  TEXT PRIMARY KEY NOT NULL
) STRICT;

INSERT INTO backfills (name) SELECT 'paper_authors' WHERE EXISTS (SELECT 1 FROM papers);
