-- Which version of its paper a vector matches (SQLite). Keep in step with
-- ../postgres/0013_embedding_paper_seq.sql.
--
-- `paperboy embed` (and the worker's job) reads only papers written since their vector's
-- paper_seq: the paper's change_seq when its text was read for the vector, or when the text was
-- last found unchanged (a paper moves on the clock for its claims and annotations too). A vector
-- stored by an older build has 0 and is checked once.
ALTER TABLE embeddings ADD COLUMN paper_seq INTEGER NOT NULL DEFAULT 0;
