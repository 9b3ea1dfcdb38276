-- Code (PostgreSQL): papers' GitHub repositories and their stars. Keep in step with
-- ../sqlite/0008_code.sql.

-- Each paper's repository: the one people set, or else the one its comment or abstract links to
-- (found TRUE). Kept by the stars job (stars::refresh), which follows papers.change_seq from
-- the cursor below, so imports write nothing here.
CREATE TABLE paper_repos (
    paper_id  TEXT PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
    repo      TEXT NOT NULL,                  -- https://github.com/owner/repo
    found     BOOLEAN NOT NULL
);

CREATE INDEX paper_repos_repo ON paper_repos (repo);

-- Where a follower of papers.change_seq has read up to.
CREATE TABLE follow_cursors (
    name  TEXT PRIMARY KEY,
    seq   BIGINT NOT NULL
);

-- A repository's stars as GitHub last said, the ETag to ask again with, and when to ask.
CREATE TABLE repositories (
    repo           TEXT PRIMARY KEY,
    stars          BIGINT,                    -- NULL until GitHub answered
    etag           TEXT,
    status         TEXT NOT NULL CHECK (status IN ('new', 'ok', 'missing')),
    checked_at     TIMESTAMPTZ,
    next_check_at  TIMESTAMPTZ NOT NULL
);

CREATE INDEX repositories_due ON repositories (next_check_at);

-- Stars a repository had on a day (UTC), the last count of the day: what "stars gained over
-- the last 7 days" is computed from.
CREATE TABLE repository_stars (
    repo   TEXT NOT NULL REFERENCES repositories (repo) ON DELETE CASCADE,
    day    DATE NOT NULL,
    stars  BIGINT NOT NULL,
    PRIMARY KEY (repo, day)
);
