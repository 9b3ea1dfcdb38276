-- The community (PostgreSQL): accounts, sessions, tokens, votes, comments, moderation, trending and
-- the job queue. Keep in step with ../sqlite/0004_community.sql.
--
-- Secrets (session cookies, API tokens, emailed links) are stored only as SHA-256 hashes: a
-- copy of the database lets no one sign in.

CREATE TABLE users (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name               TEXT NOT NULL,               -- public handle, as typed: [A-Za-z0-9][A-Za-z0-9_-]{1,31}
    email              TEXT NOT NULL UNIQUE,        -- lowercased
    password_hash      TEXT,                        -- argon2id PHC string; NULL: magic links only
    role               TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'curator', 'admin')),
    is_demo            BOOLEAN NOT NULL DEFAULT FALSE,  -- TRUE: one of the demo data set's made-up people
    email_confirmed_at TIMESTAMPTZ,                 -- NULL until the emailed link is followed
    created_at         TIMESTAMPTZ NOT NULL
);

-- Handles are unique whatever their case, so `Ada` and `ada` cannot both exist.
CREATE UNIQUE INDEX users_name ON users (lower(name));

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,                  -- SHA-256 of the cookie's value, hex
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,                     -- every form of this session carries it
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);

-- Links sent by email: confirm an address, reset a password, sign in without one.
CREATE TABLE email_tokens (
    token_hash   TEXT PRIMARY KEY,
    purpose      TEXT NOT NULL CHECK (purpose IN ('confirm', 'reset', 'login')),
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    used_at      TIMESTAMPTZ                        -- a link works once
);

CREATE INDEX email_tokens_user ON email_tokens (user_id, purpose);

-- Personal API tokens for `Authorization: Bearer`.
CREATE TABLE api_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,                     -- what the owner called it
    token_hash   TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,                     -- the first characters, to recognise it in a list
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);

CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- One vote per user and paper: the primary key enforces it; papers.upvotes counts the rows.
CREATE TABLE votes (
    paper_id   TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (paper_id, user_id)
);

CREATE INDEX votes_user ON votes (user_id, created_at);

-- Threaded comments in Markdown; rendered through a sanitiser when shown. papers.num_comments
-- counts those neither deleted nor hidden.
CREATE TABLE comments (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    paper_id   TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    parent_id  BIGINT REFERENCES comments (id) ON DELETE CASCADE,
    body       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    edited_at  TIMESTAMPTZ,
    deleted_at TIMESTAMPTZ,                         -- by its author: the text is gone, replies stay
    hidden_at  TIMESTAMPTZ                          -- by a curator
);

CREATE INDEX comments_paper ON comments (paper_id, created_at);

-- Every moderation action: who did what to what, and when.
CREATE TABLE audit_log (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL,
    actor_id  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    actor     TEXT NOT NULL,                        -- the actor's name then, or `cli`
    action    TEXT NOT NULL,                        -- hide_paper, show_paper, feature, edit_links, hide_comment, grant
    target    TEXT NOT NULL,                        -- a paper id, comment id or user name
    detail    TEXT NOT NULL                         -- what changed, in words
);

CREATE INDEX audit_log_at ON audit_log (at);

-- Curators hide papers: hidden papers leave feeds, search and listings; their page says so.
ALTER TABLE papers ADD COLUMN hidden_at TIMESTAMPTZ;

-- The trending score (see src/community/trending.rs), kept for papers on the feed and refreshed
-- by the rank job while they are in its window; 0 outside it.
ALTER TABLE feed_entries ADD COLUMN trending_score DOUBLE PRECISION NOT NULL DEFAULT 0;
CREATE INDEX feed_entries_trending ON feed_entries (trending_score DESC, submitted_at DESC);

-- The job queue. A job is queued, then running under a lease, then done, or failed after its
-- last attempt. A worker that dies loses its lease when it expires; another worker then takes
-- the job again. A dedupe key keeps one queued or running job per key.
CREATE TABLE jobs (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         TEXT NOT NULL,
    dedupe_key   TEXT,
    payload      TEXT NOT NULL,                     -- JSON
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts     BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    run_at       TIMESTAMPTZ NOT NULL,              -- not before
    lease_until  TIMESTAMPTZ,                       -- while running
    worker       TEXT,                              -- who holds or last held it
    last_error   TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ
);

CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_ready ON jobs (state, run_at);
