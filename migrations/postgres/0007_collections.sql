-- Collections (PostgreSQL): members' named lists of papers, and the reading list "Save" fills. Keep
-- in step with ../sqlite/0007_collections.sql.

-- A member's collection. Its address is /collections/{owner}/{slug}-{key}: the slug follows the
-- title, the key (24 random hex digits, as Hugging Face's ids) never changes, so an old address
-- keeps working after a rename. One title (slug) per owner; at most one reading list per owner.
-- Positions order an owner's collections, 0 first, without gaps.
CREATE TABLE collections (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key           TEXT NOT NULL UNIQUE,
    slug          TEXT NOT NULL,
    title         TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    private       BOOLEAN NOT NULL,             -- TRUE: only the owner sees it; others get a 404
    reading_list  BOOLEAN NOT NULL DEFAULT FALSE, -- TRUE: where "Save" puts papers
    theme         TEXT NOT NULL,
    position      BIGINT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE UNIQUE INDEX collections_slug ON collections (user_id, slug);
CREATE UNIQUE INDEX collections_reading_list ON collections (user_id) WHERE reading_list;
CREATE INDEX collections_updated ON collections (private, updated_at);

-- A paper in a collection, once, at a position the owner chooses (0 first, without gaps), with
-- the owner's note (plain text).
CREATE TABLE collection_items (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    collection_id  BIGINT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    paper_id       TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    position       BIGINT NOT NULL,
    note           TEXT NOT NULL DEFAULT '',
    added_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (collection_id, paper_id)
);

CREATE INDEX collection_items_order ON collection_items (collection_id, position);
CREATE INDEX collection_items_paper ON collection_items (paper_id);
