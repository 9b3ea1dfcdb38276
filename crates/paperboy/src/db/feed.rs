//! The daily feed's entries, and the listings pages and the API read: a period's feed, the
//! neighbouring days that have papers, a category's papers, and all papers newest first.
//!
//! A feed listing is ranked from `feed_entries` alone, which keeps copies of its paper's upvotes
//! and hidden mark ([`super::copy_paper_to_entry`], `migrations/*/0012_feed_ranking.sql`); only the
//! papers of the page asked for are then read.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use paperboy_arxiv::ArxivId;
use sqlx::{AssertSqlSafe, QueryBuilder};

use super::moderation::audit;
use super::papers::{PAPER_SELECT, PaperRow, StoredPaper};
use super::users::User;
use super::{Db, DbError, copy_paper_to_entry, set_clock, take_clock, with_pool};
use crate::domain::feed::{FeedEntry, FeedSource};

/// Rows per multi-row insert: 5 parameters each.
const ROWS_PER_STATEMENT: usize = 1000;

/// A feed entry with its paper.
#[derive(Debug, Clone)]
pub struct FeedItem {
    pub paper: StoredPaper,
    pub entry: FeedEntry,
}

/// A feed paper's words and upvotes ([`Db::feed_texts`]).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FeedText {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub upvotes: i64,
}

/// How a feed listing is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedOrder {
    /// Most upvoted first, then the earliest to join: a period's page.
    Upvotes,
    /// The latest to join first.
    Newest,
    /// The trending score ([`crate::domain::trending`]), then the latest to join.
    Trending,
    /// "Trending with code": only papers whose GitHub repository was counted, by the stars it
    /// gained over the last [`STARS_GAINED_DAYS`] days, then by its stars.
    StarsGained,
}

/// The days "trending with code" counts stars gained over.
pub const STARS_GAINED_DAYS: u64 = 7;

/// The stars of the repository of the feed entry `f`, in SQL.
const STARS: &str = "(SELECT r.stars FROM paper_repos pr JOIN repositories r ON r.repo = pr.repo \
                     WHERE pr.paper_id = f.paper_id)";

/// What a feed listing selects.
#[derive(Debug, Clone)]
pub struct FeedQuery {
    /// Days from `first` to `last`, both included; open when `None`.
    pub first: Option<NaiveDate>,
    pub last: Option<NaiveDate>,
    pub submitter: Option<String>,
    /// Only entries with a trending score above 0 (in the trending window, with votes or
    /// comments).
    pub trending_only: bool,
    pub order: FeedOrder,
    pub offset: u64,
    pub limit: u64,
}

impl FeedQuery {
    /// Every entry, in `order`, one page of `limit` from `offset`.
    pub fn all(order: FeedOrder, offset: u64, limit: u64) -> FeedQuery {
        FeedQuery { first: None, last: None, submitter: None, trending_only: false, order, offset, limit }
    }

    /// What is trending now, best first.
    pub fn trending(offset: u64, limit: u64) -> FeedQuery {
        FeedQuery { trending_only: true, ..FeedQuery::all(FeedOrder::Trending, offset, limit) }
    }
}

/// What `paperboy feature` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Featured {
    /// The paper joined the feed of that day.
    Added,
    /// It was on the feed already, of the day given; now it is on the day asked for.
    Moved { from: NaiveDate },
    /// It was on that day's feed already.
    AlreadyThere,
}

/// A paper with its feed entry's columns, all null when it is on no feed.
#[derive(sqlx::FromRow)]
struct PaperEntryRow {
    #[sqlx(flatten)]
    paper: PaperRow,
    feed_date: Option<NaiveDate>,
    source: Option<String>,
    submitted_by: Option<String>,
    submitted_at: Option<DateTime<Utc>>,
}

impl FeedEntry {
    /// The entry of `paper` from its stored columns.
    fn from_columns(
        paper: &StoredPaper,
        feed_date: NaiveDate,
        source: &str,
        submitted_by: Option<String>,
        submitted_at: DateTime<Utc>,
    ) -> Result<FeedEntry, DbError> {
        let source = FeedSource::parse(source).ok_or_else(|| DbError::CorruptRow {
            id: paper.paper.id.to_string(),
            reason: format!("unknown feed source `{source}`"),
        })?;
        Ok(FeedEntry { paper_id: paper.paper.id.clone(), feed_date, source, submitted_by, submitted_at })
    }
}

impl Db {
    /// Puts papers on the feed that are on no day's feed yet; entries of papers already on a
    /// feed are left as they are. Returns how many joined.
    pub async fn add_feed_entries(&self, entries: &[FeedEntry]) -> Result<u64, DbError> {
        if entries.is_empty() {
            return Ok(0);
        }
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let seq = take_clock!(tx) + 1;
            let mut added = 0;
            for chunk in entries.chunks(ROWS_PER_STATEMENT) {
                let mut insert = QueryBuilder::<DB>::new(
                    "INSERT INTO feed_entries (paper_id, feed_date, source, submitted_by, submitted_at, change_seq) ",
                );
                insert.push_values(chunk, |mut row, entry| {
                    row.push_bind(entry.paper_id.as_str())
                        .push_bind(entry.feed_date)
                        .push_bind(entry.source.as_str())
                        .push_bind(entry.submitted_by.as_deref())
                        .push_bind(entry.submitted_at)
                        .push_bind(seq);
                });
                insert.push(" ON CONFLICT (paper_id) DO NOTHING");
                added += insert.build().execute(&mut *tx).await?.rows_affected();
                // New entries start at 0 upvotes and shown; the few papers voted on or hidden
                // before they joined a feed get their copies.
                let mut copy = QueryBuilder::<DB>::new(
                    "UPDATE feed_entries SET \
                     paper_upvotes = (SELECT p.upvotes FROM papers p WHERE p.id = feed_entries.paper_id), \
                     paper_hidden_at = (SELECT p.hidden_at FROM papers p WHERE p.id = feed_entries.paper_id) \
                     WHERE paper_id IN (SELECT id FROM papers WHERE (upvotes <> 0 OR hidden_at IS NOT NULL) AND id IN (",
                );
                let mut ids = copy.separated(", ");
                for entry in chunk {
                    ids.push_bind(entry.paper_id.as_str());
                }
                copy.push("))");
                copy.build().execute(&mut *tx).await?;
            }
            if added > 0 {
                set_clock!(tx, seq);
            }
            tx.commit().await?;
            Ok(added)
        })
    }

    /// Puts the paper on `date`'s feed as a curator's pick, moving it there when it is on
    /// another day's feed (who submitted it is kept), and notes it in the audit log (`actor`
    /// `None`: the command line). `None` when the paper is not stored.
    pub async fn feature(
        &self,
        actor: Option<&User>,
        id: &ArxivId,
        date: NaiveDate,
    ) -> Result<Option<Featured>, DbError> {
        let now = Utc::now();
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let seq = take_clock!(tx) + 1;
            let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM papers WHERE id = $1")
                .bind(id.as_str())
                .fetch_one(&mut *tx)
                .await?;
            if exists == 0 {
                return Ok(None);
            }
            let before: Option<NaiveDate> =
                sqlx::query_scalar("SELECT feed_date FROM feed_entries WHERE paper_id = $1")
                    .bind(id.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
            let outcome = match before {
                Some(day) if day == date => return Ok(Some(Featured::AlreadyThere)),
                Some(day) => {
                    sqlx::query(
                        "UPDATE feed_entries SET feed_date = $1, change_seq = $2 WHERE paper_id = $3",
                    )
                    .bind(date)
                    .bind(seq)
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await?;
                    Featured::Moved { from: day }
                }
                None => {
                    sqlx::query(
                        "INSERT INTO feed_entries (paper_id, feed_date, source, submitted_by, submitted_at, change_seq) \
                         VALUES ($1, $2, $3, NULL, $4, $5)",
                    )
                    .bind(id.as_str())
                    .bind(date)
                    .bind(FeedSource::Curator.as_str())
                    .bind(now)
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                    Featured::Added
                }
            };
            copy_paper_to_entry!(tx, id.as_str());
            audit!(tx, actor, "feature", id.as_str(), format!("{outcome:?} to the feed of {date}"));
            set_clock!(tx, seq);
            tx.commit().await?;
            Ok(Some(outcome))
        })
    }

    /// A page of feed entries with their papers: the page is ranked from the entries alone,
    /// then only its papers are read.
    pub async fn feed(&self, query: &FeedQuery) -> Result<Vec<FeedItem>, DbError> {
        let order = match query.order {
            FeedOrder::Upvotes => "f.paper_upvotes DESC, f.submitted_at, f.paper_id",
            FeedOrder::Newest => "f.submitted_at DESC, f.paper_id DESC",
            FeedOrder::Trending => "f.trending_score DESC, f.submitted_at DESC, f.paper_id DESC",
            FeedOrder::StarsGained => "",
        };
        let ids: Vec<String> = with_pool!(self, |pool, DB| {
            let mut sql = QueryBuilder::<DB>::new("SELECT f.paper_id FROM feed_entries f WHERE 1 = 1");
            push_filters(&mut sql, query);
            if query.order == FeedOrder::StarsGained {
                // Gained: the stars now less the oldest count of the window (none: nothing gained).
                let since = Utc::now().date_naive() - chrono::Days::new(STARS_GAINED_DAYS);
                sql.push(
                    " ORDER BY (SELECT r.stars - COALESCE((SELECT s.stars FROM repository_stars s \
                     WHERE s.repo = r.repo AND s.day >= ",
                )
                .push_bind(since)
                .push(format!(
                    " ORDER BY s.day LIMIT 1), r.stars) FROM paper_repos pr JOIN repositories r ON r.repo = pr.repo \
                     WHERE pr.paper_id = f.paper_id) DESC, {STARS} DESC, f.paper_id DESC LIMIT "
                ));
            } else {
                sql.push(format!(" ORDER BY {order} LIMIT "));
            }
            sql.push_bind(i64::try_from(query.limit).unwrap_or(i64::MAX));
            sql.push(" OFFSET ");
            sql.push_bind(i64::try_from(query.offset).unwrap_or(i64::MAX));
            sql.build_query_scalar().fetch_all(pool).await?
        });
        Ok(self
            .get_papers_with_entries(&ids)
            .await?
            .into_iter()
            .filter_map(|(paper, entry)| Some(FeedItem { paper, entry: entry? }))
            // Hidden between the two reads.
            .filter(|item| item.paper.hidden_at.is_none())
            .collect())
    }

    /// The id, title, abstract and upvotes of the papers on the feeds of `first` to `last`, not
    /// hidden, newest first, at most `limit`: what a ranking reads, without what a page shows.
    pub async fn feed_texts(
        &self,
        first: NaiveDate,
        last: NaiveDate,
        limit: u64,
    ) -> Result<Vec<FeedText>, DbError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT p.id, p.title, p.summary, p.upvotes FROM feed_entries f JOIN papers p ON p.id = f.paper_id \
                 WHERE f.feed_date >= $1 AND f.feed_date <= $2 AND p.hidden_at IS NULL \
                 ORDER BY f.submitted_at DESC, f.paper_id DESC LIMIT $3",
            )
            .bind(first)
            .bind(last)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(pool)
            .await?
        }))
    }

    /// How many entries a feed query selects, ignoring its order and page.
    pub async fn count_feed(&self, query: &FeedQuery) -> Result<u64, DbError> {
        let count: i64 = with_pool!(self, |pool, DB| {
            let mut sql = QueryBuilder::<DB>::new("SELECT COUNT(*) FROM feed_entries f WHERE 1 = 1");
            push_filters(&mut sql, query);
            sql.build_query_scalar().fetch_one(pool).await?
        });
        Ok(count.max(0) as u64)
    }

    /// The nearest day before `first` and the nearest after `last` whose feeds have papers.
    pub async fn feed_days_around(
        &self,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<(Option<NaiveDate>, Option<NaiveDate>), DbError> {
        with_pool!(self, |pool, DB| {
            let before: Option<NaiveDate> =
                sqlx::query_scalar("SELECT MAX(feed_date) FROM feed_entries WHERE feed_date < $1")
                    .bind(first)
                    .fetch_one(pool)
                    .await?;
            let after: Option<NaiveDate> =
                sqlx::query_scalar("SELECT MIN(feed_date) FROM feed_entries WHERE feed_date > $1")
                    .bind(last)
                    .fetch_one(pool)
                    .await?;
            Ok((before, after))
        })
    }

    /// The latest day whose feed has papers, if any has.
    pub async fn latest_feed_date(&self) -> Result<Option<NaiveDate>, DbError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_scalar("SELECT MAX(feed_date) FROM feed_entries").fetch_one(pool).await?
        }))
    }

    /// The catalog clock: it moves whenever a paper, an embedding or a feed entry changes, so
    /// anything rendered from the catalog is current while it stays the same.
    pub async fn catalog_version(&self) -> Result<i64, DbError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_scalar("SELECT seq FROM catalog_clock WHERE id = 1").fetch_one(pool).await?
        }))
    }

    /// Papers of a category (primary or cross-listed), newest announced first, and how many
    /// there are.
    pub async fn papers_in_category(
        &self,
        category: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<StoredPaper>, u64), DbError> {
        let sql = format!(
            "SELECT {PAPER_SELECT} FROM paper_categories c JOIN papers p ON p.id = c.paper_id \
             WHERE c.category = $1 AND p.hidden_at IS NULL ORDER BY p.announce_date DESC, p.id DESC LIMIT $2 OFFSET $3"
        );
        let (rows, count): (Vec<PaperRow>, i64) = with_pool!(self, |pool, DB| {
            let rows = sqlx::query_as(AssertSqlSafe(sql.as_str()))
                .bind(category)
                .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                .bind(i64::try_from(offset).unwrap_or(i64::MAX))
                .fetch_all(pool)
                .await?;
            let count = sqlx::query_scalar(
                "SELECT COUNT(*) FROM paper_categories c JOIN papers p ON p.id = c.paper_id \
                 WHERE c.category = $1 AND p.hidden_at IS NULL",
            )
            .bind(category)
            .fetch_one(pool)
            .await?;
            (rows, count)
        });
        let mut papers: Vec<StoredPaper> =
            rows.into_iter().map(StoredPaper::try_from).collect::<Result<_, _>>()?;
        self.attach_claims(papers.iter_mut()).await?;
        Ok((papers, count.max(0) as u64))
    }

    /// All papers, newest announced first (then by id, newest first), after the paper `after`
    /// names: its announce date and id, as the previous page ended. A paper without an announce
    /// date (no source gave one or a publication time to estimate it from) is not listed.
    pub async fn papers_newest_first(
        &self,
        after: Option<(NaiveDate, &str)>,
        limit: u64,
    ) -> Result<Vec<StoredPaper>, DbError> {
        let rows: Vec<PaperRow> = with_pool!(self, |pool, DB| {
            let mut sql = QueryBuilder::<DB>::new(format!(
                "SELECT {PAPER_SELECT} FROM papers p WHERE p.announce_date IS NOT NULL AND p.hidden_at IS NULL"
            ));
            if let Some((date, id)) = after {
                sql.push(" AND (p.announce_date < ")
                    .push_bind(date)
                    .push(" OR (p.announce_date = ")
                    .push_bind(date)
                    .push(" AND p.id < ")
                    .push_bind(id)
                    .push("))");
            }
            sql.push(" ORDER BY p.announce_date DESC, p.id DESC LIMIT ")
                .push_bind(i64::try_from(limit).unwrap_or(i64::MAX));
            sql.build_query_as().fetch_all(pool).await?
        });
        let mut papers: Vec<StoredPaper> =
            rows.into_iter().map(StoredPaper::try_from).collect::<Result<_, _>>()?;
        self.attach_claims(papers.iter_mut()).await?;
        Ok(papers)
    }

    /// The papers among `ids` that are stored, in the order of `ids`, each with its feed entry
    /// when it is on a feed: one query, for search results.
    pub async fn get_papers_with_entries(
        &self,
        ids: &[String],
    ) -> Result<Vec<(StoredPaper, Option<FeedEntry>)>, DbError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<PaperEntryRow> = with_pool!(self, |pool, DB| {
            let mut sql = QueryBuilder::<DB>::new(format!(
                "SELECT {PAPER_SELECT}, f.feed_date, f.source, f.submitted_by, f.submitted_at \
                 FROM papers p LEFT JOIN feed_entries f ON f.paper_id = p.id WHERE p.id IN ("
            ));
            let mut list = sql.separated(", ");
            for id in ids {
                list.push_bind(id.as_str());
            }
            sql.push(")");
            sql.build_query_as().fetch_all(pool).await?
        });
        let mut found: HashMap<String, (StoredPaper, Option<FeedEntry>)> = HashMap::with_capacity(rows.len());
        for row in rows {
            let paper = StoredPaper::try_from(row.paper)?;
            let entry = match (row.feed_date, row.source, row.submitted_at) {
                (Some(feed_date), Some(source), Some(submitted_at)) => {
                    Some(FeedEntry::from_columns(&paper, feed_date, &source, row.submitted_by, submitted_at)?)
                }
                _ => None,
            };
            found.insert(paper.paper.id.as_str().to_owned(), (paper, entry));
        }
        self.attach_claims(found.values_mut().map(|(paper, _)| paper)).await?;
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// One paper with its feed entry, if the paper is stored.
    pub async fn paper_with_entry(
        &self,
        id: &ArxivId,
    ) -> Result<Option<(StoredPaper, Option<FeedEntry>)>, DbError> {
        Ok(self.get_papers_with_entries(&[id.to_string()]).await?.pop())
    }
}

/// Appends the period and submitter conditions of `query` on the feed entries `f`, and leaves
/// hidden papers out. A single day is asked for by equality, so that its ranking is read in
/// order from the index `feed_entries_ranked`.
fn push_filters<DB: sqlx::Database>(sql: &mut QueryBuilder<DB>, query: &FeedQuery)
where
    NaiveDate: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    DateTime<Utc>: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sql.push(" AND f.paper_hidden_at IS NULL");
    if query.trending_only {
        // The window is checked here too, so that scores a refresh has not yet brought to 0
        // (no worker running) never show.
        let since = Utc::now() - chrono::Duration::days(crate::domain::trending::WINDOW_DAYS);
        sql.push(" AND f.trending_score > 0 AND f.submitted_at > ").push_bind(since);
    }
    match (query.first, query.last) {
        (Some(first), Some(last)) if first == last => {
            sql.push(" AND f.feed_date = ").push_bind(first);
        }
        (first, last) => {
            if let Some(first) = first {
                sql.push(" AND f.feed_date >= ").push_bind(first);
            }
            if let Some(last) = last {
                sql.push(" AND f.feed_date <= ").push_bind(last);
            }
        }
    }
    if let Some(submitter) = &query.submitter {
        sql.push(" AND f.submitted_by = ").push_bind(submitter.clone());
    }
    if query.order == FeedOrder::StarsGained {
        sql.push(format!(" AND {STARS} IS NOT NULL"));
    }
}
