//! Papers' repositories and their GitHub stars: which repository each paper has
//! (`paper_repos`, kept by following `papers.change_seq`), what GitHub last said of each
//! (`repositories`: stars, ETag, when to ask again), and a count per day (`repository_stars`),
//! from which the feed's "trending with code" order counts stars gained
//! ([`crate::db::feed::FeedOrder::StarsGained`]).

use chrono::{DateTime, Utc};

use super::{Db, DbError, with_pool};

/// The name of the cursor the repositories' follower keeps in `follow_cursors`.
const CURSOR: &str = "paper_repos";

/// A paper's repository as the follower found it: `None` when it has none (any more).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperRepo {
    pub paper_id: String,
    pub repo: Option<(String, bool)>,
}

/// A repository to ask GitHub about, with the ETag of its last answer.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DueRepo {
    pub repo: String,
    pub etag: Option<String>,
}

/// What GitHub said of a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    Stars {
        stars: i64,
        etag: Option<String>,
    },
    /// 304: what we have is current.
    NotModified,
    /// 404 or 410: the repository is gone, or private.
    Missing,
}

impl Db {
    /// The catalog clock number the repositories' follower has read up to.
    pub async fn repos_cursor(&self) -> Result<i64, DbError> {
        let seq: Option<i64> = with_pool!(self, |pool, DB| {
            sqlx::query_scalar("SELECT seq FROM follow_cursors WHERE name = $1")
                .bind(CURSOR)
                .fetch_optional(pool)
                .await?
        });
        Ok(seq.unwrap_or(0))
    }

    /// Writes the repositories of papers read up to clock number `seq`, in one transaction
    /// with the cursor; a new repository is due to be asked about at once.
    pub async fn follow_repos(
        &self,
        papers: &[PaperRepo],
        seq: i64,
        now: DateTime<Utc>,
    ) -> Result<(), DbError> {
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            for paper in papers {
                match &paper.repo {
                    Some((repo, found)) => {
                        sqlx::query(
                            "INSERT INTO paper_repos (paper_id, repo, found) VALUES ($1, $2, $3) \
                             ON CONFLICT (paper_id) DO UPDATE SET repo = excluded.repo, found = excluded.found",
                        )
                        .bind(&paper.paper_id)
                        .bind(repo)
                        .bind(*found)
                        .execute(&mut *tx)
                        .await?;
                        sqlx::query(
                            "INSERT INTO repositories (repo, status, next_check_at) VALUES ($1, 'new', $2) \
                             ON CONFLICT (repo) DO NOTHING",
                        )
                        .bind(repo)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    }
                    None => {
                        sqlx::query("DELETE FROM paper_repos WHERE paper_id = $1")
                            .bind(&paper.paper_id)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
            }
            sqlx::query(
                "INSERT INTO follow_cursors (name, seq) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq",
            )
            .bind(CURSOR)
            .bind(seq)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Repositories due to be asked about at `now`, the longest waiting first, at most `limit`.
    pub async fn repos_due(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<DueRepo>, DbError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT repo, etag FROM repositories WHERE next_check_at <= $1 \
                 ORDER BY next_check_at, repo LIMIT $2",
            )
            .bind(now)
            .bind(limit)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Records GitHub's answer about `repo` at `now`, and asks again at `next`. The day's
    /// count is kept for what the repository gained.
    pub async fn record_repo(
        &self,
        repo: &str,
        checked: &Checked,
        now: DateTime<Utc>,
        next: DateTime<Utc>,
    ) -> Result<(), DbError> {
        let day = now.date_naive();
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let stars: Option<i64> = match checked {
                Checked::Stars { stars, etag } => {
                    sqlx::query_scalar(
                        "UPDATE repositories SET stars = $1, etag = $2, status = 'ok', checked_at = $3, \
                         next_check_at = $4 WHERE repo = $5 RETURNING stars",
                    )
                    .bind(*stars)
                    .bind(etag.as_deref())
                    .bind(now)
                    .bind(next)
                    .bind(repo)
                    .fetch_optional(&mut *tx)
                    .await?
                }
                Checked::NotModified => {
                    sqlx::query_scalar(
                        "UPDATE repositories SET checked_at = $1, next_check_at = $2 WHERE repo = $3 RETURNING stars",
                    )
                    .bind(now)
                    .bind(next)
                    .bind(repo)
                    .fetch_optional(&mut *tx)
                    .await?
                    .flatten()
                }
                Checked::Missing => {
                    sqlx::query(
                        "UPDATE repositories SET stars = NULL, etag = NULL, status = 'missing', checked_at = $1, \
                         next_check_at = $2 WHERE repo = $3",
                    )
                    .bind(now)
                    .bind(next)
                    .bind(repo)
                    .execute(&mut *tx)
                    .await?;
                    None
                }
            };
            if let Some(stars) = stars {
                sqlx::query(
                    "INSERT INTO repository_stars (repo, day, stars) VALUES ($1, $2, $3) \
                     ON CONFLICT (repo, day) DO UPDATE SET stars = excluded.stars",
                )
                .bind(repo)
                .bind(day)
                .bind(stars)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Asks about `repo` again at `next` only, after a failed attempt.
    pub async fn postpone_repo(&self, repo: &str, next: DateTime<Utc>) -> Result<(), DbError> {
        with_pool!(self, |pool, DB| {
            sqlx::query("UPDATE repositories SET next_check_at = $1 WHERE repo = $2")
                .bind(next)
                .bind(repo)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
