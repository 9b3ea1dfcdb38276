//! Papers' full texts (`full_texts`): which papers wait for theirs (queued, or failed with a
//! retry due), the document of those that have one, and why the others have none; and their
//! first pages (`thumbnails`). Fetching and converting belong to [`crate::fulltext`]; this
//! module only keeps the outcomes.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Db, DbError, move_paper, with_pool};

/// A paper waiting for its full text, with the attempts made so far.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DueFullText {
    pub paper_id: String,
    pub attempts: i64,
}

/// What fetching a paper's full text came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FullTextOutcome {
    /// The document (deflated JSON), made from `source` (`html` or `pdf`).
    Ready { source: &'static str, version: Option<i64>, document: Vec<u8>, fetched_bytes: i64 },
    /// arXiv has nothing Paperboy can read, for good: `reason` says why.
    Missing { reason: String, fetched_bytes: i64 },
    /// This attempt failed; another is due at `retry_at`, or none when `None`.
    Failed { reason: String, retry_at: Option<DateTime<Utc>> },
}

/// A paper's first page as kept: a PNG and its size in pixels.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredThumbnail {
    pub image: Vec<u8>,
    pub width: i64,
    pub height: i64,
}

/// A paper's full text as kept.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredFullText {
    /// `queued`, `ready`, `missing` or `failed`; `ready` whenever a document is kept (see
    /// [`Db::full_text_state`]).
    pub state: String,
    pub source: Option<String>,
    pub version: Option<i64>,
    pub reason: Option<String>,
    /// Why the PDF gave no thumbnail (or text), when it did not.
    pub pdf_reason: Option<String>,
    pub document: Option<Vec<u8>>,
    pub fetched_bytes: i64,
    pub attempts: i64,
    pub fetched_at: Option<DateTime<Utc>>,
}

/// A paper's document, for the search index, with the clock number of the paper's last write.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ChangedFullText {
    pub paper_id: String,
    pub change_seq: i64,
    pub document: Vec<u8>,
}

impl Db {
    /// Queues the papers of the feed from `since` on that have no full text row yet, due at
    /// `now`; how many were queued.
    pub async fn queue_featured_full_texts(
        &self,
        since: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<u64, DbError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query(
                "INSERT INTO full_texts (paper_id, state, queued_at, next_attempt_at) \
                 SELECT DISTINCT f.paper_id, 'queued', $2, $2 FROM feed_entries f WHERE f.feed_date >= $1 \
                 ON CONFLICT (paper_id) DO NOTHING",
            )
            .bind(since)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        }))
    }

    /// Queues the papers `ids` (those in the catalog), due at `now`. With `again`, papers that
    /// have a full text or were given up on are fetched again; without, they are left as they are.
    pub async fn queue_full_texts(
        &self,
        ids: &[String],
        again: bool,
        now: DateTime<Utc>,
    ) -> Result<u64, DbError> {
        let conflict = match again {
            true => {
                "ON CONFLICT (paper_id) DO UPDATE SET state = 'queued', attempts = 0, next_attempt_at = excluded.next_attempt_at \
                 WHERE full_texts.state <> 'queued'"
            }
            false => "ON CONFLICT (paper_id) DO NOTHING",
        };
        let sql = format!(
            "INSERT INTO full_texts (paper_id, state, queued_at, next_attempt_at) \
             SELECT id, 'queued', $2, $2 FROM papers WHERE id = $1 {conflict}"
        );
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let mut queued = 0;
            for id in ids {
                queued += sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            tx.commit().await?;
            Ok(queued)
        })
    }

    /// Papers whose full text is due at `now`, the longest waiting first, at most `limit`.
    pub async fn full_texts_due(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<DueFullText>, DbError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT paper_id, attempts FROM full_texts WHERE next_attempt_at <= $1 \
                 ORDER BY next_attempt_at, paper_id LIMIT $2",
            )
            .bind(now)
            .bind(limit)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Records what fetching `paper_id`'s full text came to. A new document, or none for good,
    /// takes a catalog clock number for the paper, so cached pages and the search index see it.
    pub async fn record_full_text(
        &self,
        paper_id: &str,
        outcome: &FullTextOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), DbError> {
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            match outcome {
                FullTextOutcome::Ready { source, version, document, fetched_bytes } => {
                    sqlx::query(
                        "UPDATE full_texts SET state = 'ready', source = $1, version = $2, reason = NULL, \
                         document = $3, fetched_bytes = $4, attempts = attempts + 1, fetched_at = $5, \
                         next_attempt_at = NULL WHERE paper_id = $6",
                    )
                    .bind(*source)
                    .bind(*version)
                    .bind(document.as_slice())
                    .bind(*fetched_bytes)
                    .bind(now)
                    .bind(paper_id)
                    .execute(&mut *tx)
                    .await?;
                }
                FullTextOutcome::Missing { reason, fetched_bytes } => {
                    sqlx::query(
                        "UPDATE full_texts SET state = 'missing', source = NULL, reason = $1, document = NULL, \
                         fetched_bytes = $2, attempts = attempts + 1, fetched_at = $3, next_attempt_at = NULL \
                         WHERE paper_id = $4",
                    )
                    .bind(reason)
                    .bind(*fetched_bytes)
                    .bind(now)
                    .bind(paper_id)
                    .execute(&mut *tx)
                    .await?;
                }
                FullTextOutcome::Failed { reason, retry_at } => {
                    sqlx::query(
                        "UPDATE full_texts SET state = 'failed', reason = $1, attempts = attempts + 1, \
                         fetched_at = $2, next_attempt_at = $3 WHERE paper_id = $4",
                    )
                    .bind(reason)
                    .bind(now)
                    .bind(*retry_at)
                    .bind(paper_id)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            if !matches!(outcome, FullTextOutcome::Failed { .. }) {
                // A new document, or none for good, moves the paper on the catalog clock: cached
                // pages and the search index see it.
                move_paper!(tx, paper_id);
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// The state of `paper_id`'s full text (`ready`, `queued`, ...), without the document.
    /// A paper with a document kept is `ready`, also while it is fetched again or after
    /// fetching it again failed: readers keep the text they had.
    pub async fn full_text_state(&self, paper_id: &str) -> Result<Option<String>, DbError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_scalar(
                "SELECT CASE WHEN document IS NULL THEN state ELSE 'ready' END FROM full_texts WHERE paper_id = $1",
            )
                .bind(paper_id)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// `paper_id`'s full text row, if it was ever queued.
    pub async fn full_text(&self, paper_id: &str) -> Result<Option<StoredFullText>, DbError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT CASE WHEN document IS NULL THEN state ELSE 'ready' END AS state, source, version, reason, \
                 pdf_reason, document, fetched_bytes, attempts, fetched_at FROM full_texts WHERE paper_id = $1",
            )
            .bind(paper_id)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Keeps `paper_id`'s thumbnail, or, when its PDF gave none, why.
    pub async fn record_thumbnail(
        &self,
        paper_id: &str,
        made: Result<&StoredThumbnail, &str>,
        now: DateTime<Utc>,
    ) -> Result<(), DbError> {
        with_pool!(self, |pool, DB| {
            match made {
                Ok(thumbnail) => {
                    sqlx::query(
                        "INSERT INTO thumbnails (paper_id, image, width, height, made_at) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (paper_id) DO UPDATE SET image = excluded.image, width = excluded.width, \
                         height = excluded.height, made_at = excluded.made_at",
                    )
                    .bind(paper_id)
                    .bind(thumbnail.image.as_slice())
                    .bind(thumbnail.width)
                    .bind(thumbnail.height)
                    .bind(now)
                    .execute(pool)
                    .await?;
                    sqlx::query("UPDATE full_texts SET pdf_reason = NULL WHERE paper_id = $1")
                        .bind(paper_id)
                        .execute(pool)
                        .await?;
                }
                Err(reason) => {
                    sqlx::query("UPDATE full_texts SET pdf_reason = $1 WHERE paper_id = $2")
                        .bind(reason)
                        .bind(paper_id)
                        .execute(pool)
                        .await?;
                }
            }
        });
        Ok(())
    }

    /// `paper_id`'s thumbnail, if it has one.
    pub async fn thumbnail(&self, paper_id: &str) -> Result<Option<StoredThumbnail>, DbError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as("SELECT image, width, height FROM thumbnails WHERE paper_id = $1")
                .bind(paper_id)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// The documents of the papers written after the catalog clock read `after`, up to
    /// `until`, that have one: at most `limit`, in clock order, each with its clock number.
    pub async fn full_texts_changed_between(
        &self,
        after: i64,
        until: i64,
        limit: i64,
    ) -> Result<Vec<ChangedFullText>, DbError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT f.paper_id, p.change_seq, f.document FROM papers p JOIN full_texts f ON f.paper_id = p.id \
                 WHERE p.change_seq > $1 AND p.change_seq <= $2 AND f.document IS NOT NULL \
                 ORDER BY p.change_seq LIMIT $3",
            )
            .bind(after)
            .bind(until)
            .bind(limit)
            .fetch_all(pool)
            .await?
        }))
    }

    /// How many papers are in each state (`queued`, `ready`, `missing`, `failed`).
    pub async fn full_text_counts(&self) -> Result<Vec<(String, i64)>, DbError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as("SELECT state, COUNT(*) FROM full_texts GROUP BY state ORDER BY state")
                .fetch_all(pool)
                .await?
        }))
    }
}
