-- Collections (SQLite): members' named lists of papers, and the reading list "Save" fills. Keep
-- in step with ../postgres/0007_collections.sql.

-- A member's collection. Its address is /collections/{owner}/{slug}-{key}: the slug follows the
-- title, the key (24 random hex digits, as Hugging Face's ids) never changes, so an old address
-- keeps working after a rename. One title (slug) per owner; at most one reading list per owner.
-- Positions order an owner's collections, 0 first, without gaps.
CREATE TABLE collections (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key           TEXT NOT NULL UNIQUE,
    slug          TEXT NOT NULL,
    title         TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    private       INTEGER NOT NULL,              -- 1: only the owner sees it; others get a 404
    reading_list  INTEGER NOT NULL DEFAULT 0,    -- 1: where "Save" puts papers
    theme         TEXT NOT NULL,
    position      INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX collections_slug ON collections (user_id, slug);
CREATE UNIQUE INDEX collections_reading_list ON collections (user_id) WHERE reading_list = 1;
CREATE INDEX collections_updated ON collections (private, updated_at);

-- A paper in a collection, once, at a position the owner chooses (0 first, without gaps), with
-- the owner's note (plain text).
CREATE TABLE collection_items (
    id             INTEGER PRIMARY KEY,
    collection_id  INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    paper_id       TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    note           TEXT NOT NULL DEFAULT '',
    added_at       TEXT NOT NULL,
    UNIQUE (collection_id, paper_id)
) STRICT;

CREATE INDEX collection_items_order ON collection_items (collection_id, position);
CREATE INDEX collection_items_paper ON collection_items (paper_id);
