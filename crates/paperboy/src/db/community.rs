//! Votes, submissions and comments, and the trending score they feed.
//!
//! Each action is one transaction that checks the community's rules ([`Refusal`]), writes the
//! row, keeps the paper's counters (`upvotes`, `num_comments`) exact, rescores the paper's feed
//! entry, and moves the catalog clock so cached pages show the change. The database enforces
//! one vote per user and paper (the primary key of `votes`): of two concurrent votes by the same
//! user, the second inserts nothing and counts nothing. On PostgreSQL the counters are changed
//! with `SET upvotes = upvotes + 1`, under the row lock, so concurrent votes by many users add
//! up; on SQLite a write transaction holds the database for its whole length.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use paperboy_arxiv::ArxivId;

use super::moderation::audit;
use super::users::User;
use super::{Db, DbError, copy_paper_to_entry, set_clock, take_clock, with_pool};
use crate::domain::accounts::UserId;
use crate::domain::{Refusal, trending};

/// A paper's votes after a vote, and whether the voter's vote is on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoteCount {
    pub upvotes: i64,
    pub voted: bool,
}

/// Where a submission put the paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Submitted {
    pub feed_date: NaiveDate,
    /// The paper was on the feed already (featured by a rule or a curator); the submitter now
    /// stands beside it, on the same day.
    pub claimed: bool,
}

/// A comment as a page shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Comment {
    pub id: i64,
    pub user_id: UserId,
    pub author: String,
    pub parent_id: Option<i64>,
    /// Empty once deleted.
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub hidden_at: Option<DateTime<Utc>>,
}

/// A member's comment as their profile lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProfileComment {
    pub id: i64,
    pub paper_id: String,
    pub title: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// Runs the rule checks of the paper `$id` in `$tx`: it must be stored and not hidden.
macro_rules! open_paper {
    ($tx:ident, $id:expr) => {{
        let state: Option<(Option<DateTime<Utc>>,)> =
            sqlx::query_as("SELECT hidden_at FROM papers WHERE id = $1")
                .bind($id.as_str())
                .fetch_optional(&mut *$tx)
                .await?;
        match state {
            None => return Err(Refusal::NoSuchPaper($id.to_string()).into()),
            Some((Some(_),)) => return Err(Refusal::PaperHidden.into()),
            Some((None,)) => {}
        }
    }};
}

/// Recomputes the trending score of the feed entry of `$id` in `$tx`, at `$now`.
macro_rules! rescore {
    ($tx:ident, $id:expr, $now:expr) => {{
        let row: Option<(i64, i64, DateTime<Utc>)> = sqlx::query_as(
            "SELECT p.upvotes, p.num_comments, f.submitted_at FROM feed_entries f JOIN papers p ON p.id = f.paper_id \
             WHERE f.paper_id = $1",
        )
        .bind($id.as_str())
        .fetch_optional(&mut *$tx)
        .await?;
        if let Some((upvotes, comments, joined)) = row {
            sqlx::query("UPDATE feed_entries SET trending_score = $1 WHERE paper_id = $2")
                .bind(trending::score(upvotes, comments, joined, $now))
                .bind($id.as_str())
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

/// Inserts `$user`'s comment on `$id` (a reply to `$parent`) in `$tx`, counts it on the paper,
/// and evaluates to its id.
macro_rules! insert_comment {
    ($tx:ident, $id:expr, $user:expr, $parent:expr, $body:expr, $now:expr) => {{
        let comment: i64 = sqlx::query_scalar(
            "INSERT INTO comments (paper_id, user_id, parent_id, body, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind($id.as_str())
        .bind($user)
        .bind($parent)
        .bind($body)
        .bind($now)
        .fetch_one(&mut *$tx)
        .await?;
        count_comments!($tx, $id, 1);
        comment
    }};
}

/// Moves the comment counter of paper `$id` by `$step` in `$tx`.
macro_rules! count_comments {
    ($tx:ident, $id:expr, $step:expr) => {
        sqlx::query("UPDATE papers SET num_comments = num_comments + $1 WHERE id = $2")
            .bind($step as i64)
            .bind($id.as_str())
            .execute(&mut *$tx)
            .await?
    };
}

/// The paper, author, and deleted-or-hidden state of comment `$comment`, in `$tx`.
macro_rules! comment_state {
    ($tx:ident, $comment:expr) => {{
        let state: Option<(String, UserId, bool)> = sqlx::query_as(
            "SELECT paper_id, user_id, (deleted_at IS NOT NULL OR hidden_at IS NOT NULL) FROM comments WHERE id = $1",
        )
        .bind($comment)
        .fetch_optional(&mut *$tx)
        .await?;
        state
    }};
}

impl Db {
    /// Puts `user`'s vote on the paper (`up`) or takes it back. Voting twice, or taking back a
    /// vote that is not there, changes nothing.
    pub async fn set_vote(&self, user: UserId, id: &ArxivId, up: bool) -> Result<VoteCount, DbError> {
        let now = Utc::now();
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let seq = take_clock!(tx) + 1;
            open_paper!(tx, id);
            let changed = if up {
                sqlx::query("INSERT INTO votes (paper_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                    .bind(id.as_str())
                    .bind(user)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
            } else {
                sqlx::query("DELETE FROM votes WHERE paper_id = $1 AND user_id = $2")
                    .bind(id.as_str())
                    .bind(user)
                    .execute(&mut *tx)
                    .await?
            }
            .rows_affected();
            let step: i64 = if up { 1 } else { -1 };
            let upvotes: i64 = if changed > 0 {
                sqlx::query_scalar("UPDATE papers SET upvotes = upvotes + $1 WHERE id = $2 RETURNING upvotes")
                    .bind(step)
                    .bind(id.as_str())
                    .fetch_one(&mut *tx)
                    .await?
            } else {
                sqlx::query_scalar("SELECT upvotes FROM papers WHERE id = $1")
                    .bind(id.as_str())
                    .fetch_one(&mut *tx)
                    .await?
            };
            if changed > 0 {
                rescore!(tx, id, now);
                copy_paper_to_entry!(tx, id.as_str());
                set_clock!(tx, seq);
            }
            tx.commit().await?;
            Ok(VoteCount { upvotes, voted: up })
        })
    }

    /// Whether `user` upvoted the paper.
    pub async fn has_voted(&self, user: UserId, id: &ArxivId) -> Result<bool, DbError> {
        let count: i64 = with_pool!(self, |pool, DB| {
            sqlx::query_scalar("SELECT COUNT(*) FROM votes WHERE paper_id = $1 AND user_id = $2")
                .bind(id.as_str())
                .bind(user)
                .fetch_one(pool)
                .await?
        });
        Ok(count > 0)
    }

    /// The names of the paper's upvoters, earliest first, at most `limit`.
    pub async fn upvoters(&self, id: &ArxivId, limit: u64) -> Result<Vec<String>, DbError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_scalar(
                "SELECT u.name FROM votes v JOIN users u ON u.id = v.user_id WHERE v.paper_id = $1 \
                 ORDER BY v.created_at, u.id LIMIT $2",
            )
            .bind(id.as_str())
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(pool)
            .await?
        }))
    }

    /// `user` submits the paper to the feed of `today`, with an optional first comment, at
    /// most `daily_cap` a day. Publication-window checks are the caller's: they need the
    /// paper, which may have to come from arXiv first.
    pub async fn submit(
        &self,
        user: &User,
        id: &ArxivId,
        today: NaiveDate,
        daily_cap: u32,
        comment: Option<&str>,
    ) -> Result<Submitted, DbError> {
        let now = Utc::now();
        let midnight = today.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or(now);
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let seq = take_clock!(tx) + 1;
            open_paper!(tx, id);
            let existing: Option<(NaiveDate, Option<String>)> =
                sqlx::query_as("SELECT feed_date, submitted_by FROM feed_entries WHERE paper_id = $1")
                    .bind(id.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some((date, Some(by))) = &existing {
                return Err(
                    Refusal::AlreadySubmitted { id: id.to_string(), by: by.clone(), date: *date }.into()
                );
            }
            let today_count: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM feed_entries WHERE submitted_by = $1 AND submitted_at >= $2",
            )
            .bind(user.name.as_str())
            .bind(midnight)
            .fetch_one(&mut *tx)
            .await?;
            if today_count >= i64::from(daily_cap) {
                return Err(Refusal::DailyCap(daily_cap).into());
            }
            let submitted = match existing {
                Some((feed_date, None)) => {
                    sqlx::query(
                        "UPDATE feed_entries SET source = 'user', submitted_by = $1, submitted_at = $2, change_seq = $3 \
                         WHERE paper_id = $4",
                    )
                    .bind(user.name.as_str())
                    .bind(now)
                    .bind(seq)
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await?;
                    Submitted { feed_date, claimed: true }
                }
                _ => {
                    sqlx::query(
                        "INSERT INTO feed_entries (paper_id, feed_date, source, submitted_by, submitted_at, change_seq) \
                         VALUES ($1, $2, 'user', $3, $4, $5)",
                    )
                    .bind(id.as_str())
                    .bind(today)
                    .bind(user.name.as_str())
                    .bind(now)
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                    Submitted { feed_date: today, claimed: false }
                }
            };
            if let Some(body) = comment {
                insert_comment!(tx, id, user.id, None::<i64>, body, now);
            }
            rescore!(tx, id, now);
            copy_paper_to_entry!(tx, id.as_str());
            set_clock!(tx, seq);
            tx.commit().await?;
            Ok(submitted)
        })
    }

    /// Puts the paper on the feed of `feed_date` as `user`'s submission made at `at`, whatever
    /// the window and the daily cap say: how the demo data set shows submissions of past days.
    pub async fn seed_submission(
        &self,
        user: &User,
        id: &ArxivId,
        feed_date: NaiveDate,
        at: DateTime<Utc>,
    ) -> Result<(), DbError> {
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let seq = take_clock!(tx) + 1;
            sqlx::query(
                "INSERT INTO feed_entries (paper_id, feed_date, source, submitted_by, submitted_at, change_seq) \
                 VALUES ($1, $2, 'user', $3, $4, $5) ON CONFLICT (paper_id) DO UPDATE SET feed_date = $2, \
                 source = 'user', submitted_by = $3, submitted_at = $4, change_seq = $5",
            )
            .bind(id.as_str())
            .bind(feed_date)
            .bind(user.name.as_str())
            .bind(at)
            .bind(seq)
            .execute(&mut *tx)
            .await?;
            copy_paper_to_entry!(tx, id.as_str());
            set_clock!(tx, seq);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Adds `user`'s comment to the paper, as a reply to `parent` if given. Returns its id.
    pub async fn add_comment(
        &self,
        user: UserId,
        id: &ArxivId,
        parent: Option<i64>,
        body: &str,
    ) -> Result<i64, DbError> {
        let now = Utc::now();
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let seq = take_clock!(tx) + 1;
            open_paper!(tx, id);
            if let Some(parent) = parent {
                let on: Option<String> = sqlx::query_scalar("SELECT paper_id FROM comments WHERE id = $1")
                    .bind(parent)
                    .fetch_optional(&mut *tx)
                    .await?;
                if on.as_deref() != Some(id.as_str()) {
                    return Err(Refusal::ParentElsewhere.into());
                }
            }
            let comment = insert_comment!(tx, id, user, parent, body, now);
            rescore!(tx, id, now);
            set_clock!(tx, seq);
            tx.commit().await?;
            Ok(comment)
        })
    }

    /// Changes a comment: `Some(body)` edits it, `None` deletes it (its replies stay). Only its
    /// author may, and only while it is neither deleted nor hidden. Returns its paper's id.
    pub async fn change_comment(
        &self,
        user: UserId,
        comment: i64,
        body: Option<&str>,
    ) -> Result<ArxivId, DbError> {
        let now = Utc::now();
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let seq = take_clock!(tx) + 1;
            let Some((paper, author, gone)) = comment_state!(tx, comment) else {
                return Err(Refusal::NoSuchComment.into());
            };
            if author != user {
                return Err(Refusal::NotYourComment.into());
            }
            if gone {
                return Err(Refusal::CommentGone.into());
            }
            let paper_id: ArxivId = paper
                .parse()
                .map_err(|_| DbError::CorruptRow { id: paper.clone(), reason: "not an arXiv id".into() })?;
            open_paper!(tx, paper_id);
            match body {
                Some(body) => {
                    sqlx::query("UPDATE comments SET body = $1, edited_at = $2 WHERE id = $3")
                        .bind(body)
                        .bind(now)
                        .bind(comment)
                        .execute(&mut *tx)
                        .await?;
                }
                None => {
                    sqlx::query("UPDATE comments SET body = '', deleted_at = $1 WHERE id = $2")
                        .bind(now)
                        .bind(comment)
                        .execute(&mut *tx)
                        .await?;
                    count_comments!(tx, paper, -1);
                    rescore!(tx, paper, now);
                }
            }
            set_clock!(tx, seq);
            tx.commit().await?;
            Ok(paper_id)
        })
    }

    /// A curator hides a comment; written to the audit log. Returns its paper's id.
    pub async fn hide_comment(&self, actor: &User, comment: i64, reason: &str) -> Result<ArxivId, DbError> {
        let now = Utc::now();
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let seq = take_clock!(tx) + 1;
            let Some((paper, _, gone)) = comment_state!(tx, comment) else {
                return Err(Refusal::NoSuchComment.into());
            };
            if gone {
                return Err(Refusal::CommentGone.into());
            }
            let paper_id: ArxivId = paper
                .parse()
                .map_err(|_| DbError::CorruptRow { id: paper.clone(), reason: "not an arXiv id".into() })?;
            sqlx::query("UPDATE comments SET hidden_at = $1 WHERE id = $2")
                .bind(now)
                .bind(comment)
                .execute(&mut *tx)
                .await?;
            count_comments!(tx, paper, -1);
            rescore!(tx, paper, now);
            audit!(tx, Some(actor), "hide_comment", comment.to_string(), format!("on {paper}: {reason}"));
            set_clock!(tx, seq);
            tx.commit().await?;
            Ok(paper_id)
        })
    }

    /// The paper's comments, oldest first, deleted and hidden ones included (pages show their
    /// place in the thread without their text).
    pub async fn comments(&self, id: &ArxivId) -> Result<Vec<Comment>, DbError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT c.id, c.user_id, u.name AS author, c.parent_id, c.body, c.created_at, c.edited_at, \
                 c.deleted_at, c.hidden_at FROM comments c JOIN users u ON u.id = c.user_id \
                 WHERE c.paper_id = $1 ORDER BY c.created_at, c.id",
            )
            .bind(id.as_str())
            .fetch_all(pool)
            .await?
        }))
    }

    /// Recomputes the trending score of every feed entry that can have one at `now` (joined
    /// within the window) or still has one (to set it to 0 once it leaves the window). Returns
    /// how many scores changed.
    pub async fn refresh_trending(&self, now: DateTime<Utc>) -> Result<usize, DbError> {
        let since = now - chrono::Duration::days(trending::WINDOW_DAYS);
        let select = "SELECT f.paper_id, p.upvotes, p.num_comments, f.submitted_at, f.trending_score \
                      FROM feed_entries f JOIN papers p ON p.id = f.paper_id WHERE ";
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let seq = take_clock!(tx) + 1;
            let mut live: HashMap<String, (i64, i64, DateTime<Utc>, f64)> = HashMap::new();
            for (condition, bound) in [("f.submitted_at > $1", Some(since)), ("f.trending_score > 0", None)] {
                let sql = format!("{select}{condition}");
                let query =
                    sqlx::query_as::<_, (String, i64, i64, DateTime<Utc>, f64)>(sqlx::AssertSqlSafe(sql));
                let query = match bound {
                    Some(since) => query.bind(since),
                    None => query,
                };
                for (id, upvotes, comments, joined, score) in query.fetch_all(&mut *tx).await? {
                    live.insert(id, (upvotes, comments, joined, score));
                }
            }
            let mut changed = 0;
            for (id, (upvotes, comments, joined, old)) in live {
                let new = trending::score(upvotes, comments, joined, now);
                if (new - old).abs() > f64::EPSILON * new.abs().max(1.0) {
                    sqlx::query("UPDATE feed_entries SET trending_score = $1 WHERE paper_id = $2")
                        .bind(new)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    changed += 1;
                }
            }
            if changed > 0 {
                set_clock!(tx, seq);
            }
            tx.commit().await?;
            Ok(changed)
        })
    }
}

impl Db {
    /// `user`'s latest comments that are neither deleted nor hidden, on papers not hidden.
    pub async fn comments_by(&self, user: UserId, limit: u32) -> Result<Vec<ProfileComment>, DbError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT c.id, c.paper_id, p.title, c.body, c.created_at FROM comments c JOIN papers p ON p.id = c.paper_id \
                 WHERE c.user_id = $1 AND c.deleted_at IS NULL AND c.hidden_at IS NULL AND p.hidden_at IS NULL \
                 ORDER BY c.created_at DESC, c.id DESC LIMIT $2",
            )
            .bind(user)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        }))
    }
}
