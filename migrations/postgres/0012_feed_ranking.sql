-- A period's page ranked from the feed alone (PostgreSQL). Keep in step with
-- ../sqlite/0012_feed_ranking.sql.
--
-- A day's page lists its papers most upvoted first, and a week's or a month's the same over its
-- days. Ranking them by the papers' own columns meant reading every paper of the period (3,250
-- a day at a million papers) to show thirty. The entry keeps copies of the two columns the
-- ranking reads, written in the same transactions that change the paper's (votes, moderation,
-- joining a feed), so the ranking reads one index and only the papers shown are fetched.
ALTER TABLE feed_entries ADD COLUMN paper_upvotes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE feed_entries ADD COLUMN paper_hidden_at TIMESTAMPTZ;

UPDATE feed_entries f SET paper_upvotes = p.upvotes, paper_hidden_at = p.hidden_at
FROM papers p
WHERE p.id = f.paper_id AND (p.upvotes <> 0 OR p.hidden_at IS NOT NULL);

CREATE INDEX feed_entries_ranked ON feed_entries (feed_date, paper_upvotes DESC, submitted_at, paper_id)
WHERE paper_hidden_at IS NULL;
