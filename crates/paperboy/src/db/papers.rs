//! The paper catalog: batched upserts with version rules, and lookups.
//!
//! [`Db::upsert_papers`] stores a batch in one transaction. It reads the stored rows of the
//! batch's ids, plans each id with [`plan_paper`] (the batch's records for that id merged in
//! order over the stored row with [`Paper::merge_over`]: an older version never overwrites a
//! newer one, and a source that lacks a field keeps the stored value), and writes only rows that
//! changed, with multi-row statements, together with their lookup rows (categories, and authors
//! by [`AuthorName::key`](crate::domain::authors::AuthorName::key)). A catalog stored before
//! the authors' table existed is filled in once after the migration
//! ([`Db::backfill_paper_authors`]), in batches that each lock the catalog clock, so a writer
//! storing papers meanwhile never sees its rows undone.
//!
//! Writes are optimistic: each row carries a `revision`, and a write applies only if the row
//! still has the revision that was read (or, for a new paper, still does not exist). A writer
//! that loses a race to another process re-reads those rows and plans them again, so two
//! importers on one PostgreSQL never undo each other's work. On SQLite the write transaction
//! holds the database lock from the start, and no race happens.
//!
//! Every written row takes the next number of the catalog clock as its `change_seq`, which is
//! how the search index follows the catalog. A batch locks the clock before it reads, so
//! batches on PostgreSQL now run one after another as well and the revision check no longer
//! fires between them; it stays as the guard for any writer that does not take the clock.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use paperboy_arxiv::{ArxivId, Merge, Paper};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, QueryBuilder};

use crate::domain::authors::author_keys;

use super::annotations::StoredAnnotation;
use super::claims::ClaimedAuthor;
use super::{Db, DbError, set_clock, take_clock, with_pool};

/// Rows per multi-row statement: 21 parameters each stays under SQLite's 32,766.
const ROWS_PER_STATEMENT: usize = 500;

/// How often a batch re-plans rows that other writers changed under it before giving up.
const MAX_ROUNDS: usize = 8;

/// Papers whose author rows one backfill transaction writes.
const BACKFILL_BATCH: i64 = 2_000;

/// What a batch upsert did with its records.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct UpsertCounts {
    pub inserted: u64,
    pub updated: u64,
    /// Records that matched what was stored, or were of an older version.
    pub unchanged: u64,
}

impl UpsertCounts {
    /// Rows inserted or changed.
    pub fn written(&self) -> u64 {
        self.inserted + self.updated
    }
}

impl std::ops::AddAssign for UpsertCounts {
    fn add_assign(&mut self, other: Self) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
    }
}

/// A paper as stored, with the catalog's own bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPaper {
    pub paper: Paper,
    /// 1 when first stored, one more on every change.
    pub revision: i64,
    pub created_at: DateTime<Utc>,
    pub changed_at: DateTime<Utc>,
    /// The catalog clock's number at the last change.
    pub change_seq: i64,
    /// Community counters: upvotes and comments.
    pub upvotes: i64,
    pub num_comments: i64,
    /// When curators hid it from feeds, search and listings.
    pub hidden_at: Option<DateTime<Utc>>,
    /// Its verified authors, for listings and pages ([`Db::attach_claims`]); empty otherwise.
    pub claimed: Vec<ClaimedAuthor>,
    /// Its repository's GitHub stars, once counted, for listings and pages (attached with the
    /// claims); `None` otherwise.
    pub stars: Option<i64>,
    /// Its keywords and TL;DR, once the annotation job made them, for listings and pages
    /// (attached with the claims); `None` otherwise.
    pub annotation: Option<StoredAnnotation>,
}

/// The catalog's columns of `papers`, declared once: each column, the type a row reads it as,
/// and how a paper binds it. The key comes first. Each use expands from this one list
/// (`catalog_columns!(use!(...))`), so the column list, the select, the row type, the `SET`
/// list and the binds cannot drift apart, and a new field cannot be bound in the wrong place.
macro_rules! catalog_columns {
    ($use:ident!($($args:tt)*)) => {
        $use! { $($args)*;
            id: String = |paper| paper.id.as_str();
            // Validated to 1..=9999.
            version: Option<i32> = |paper| paper.version.map(|v| v as i32),
            title: String = |paper| paper.title.as_str(),
            summary: String = |paper| paper.summary.as_str(),
            authors: Json<Vec<String>> = |paper| Json(&paper.authors),
            categories: Json<Vec<String>> = |paper| Json(&paper.categories),
            comment: Option<String> = |paper| paper.comment.as_deref(),
            journal_ref: Option<String> = |paper| paper.journal_ref.as_deref(),
            doi: Option<String> = |paper| paper.doi.as_deref(),
            license: Option<String> = |paper| paper.license.as_deref(),
            submitter: Option<String> = |paper| paper.submitter.as_deref(),
            github_repo: Option<String> = |paper| paper.github_repo.as_deref(),
            project_page: Option<String> = |paper| paper.project_page.as_deref(),
            published_at: Option<DateTime<Utc>> = |paper| paper.published_at,
            updated_at: Option<DateTime<Utc>> = |paper| paper.updated_at,
            announce_date: Option<NaiveDate> = |paper| paper.announce_date,
            announce_date_estimated: bool = |paper| paper.announce_date_estimated,
        }
    };
}

/// The SQL fragments and the row type, from [`catalog_columns!`].
macro_rules! paper_sql {
    (; $key:ident: $key_type:ty = |$key_paper:ident| $key_bind:expr;
        $($column:ident: $type:ty = |$paper:ident| $bind:expr),* $(,)?) => {
        /// The columns an upsert writes, in bind order: the catalog's, then the bookkeeping.
        const PAPER_COLUMNS: &str = concat!(
            stringify!($key), $(", ", stringify!($column),)* ", revision, created_at, changed_at, change_seq"
        );

        /// What a [`PaperRow`] reads: the catalog's columns, the bookkeeping and the community
        /// counters, qualified with `p.` so that queries joining other tables can use them
        /// (`FROM papers p`).
        pub(super) const PAPER_SELECT: &str = concat!(
            "p.", stringify!($key), $(", p.", stringify!($column),)*
            ", p.revision, p.created_at, p.changed_at, p.change_seq, p.upvotes, p.num_comments, p.hidden_at"
        );

        /// What an upsert changes in a stored row: every catalog column but the key, and the
        /// bookkeeping (not `created_at`).
        const PAPER_UPDATES: &str = concat!(
            $(stringify!($column), " = excluded.", stringify!($column), ", ",)*
            "revision = excluded.revision, changed_at = excluded.changed_at, change_seq = excluded.change_seq"
        );

        #[derive(sqlx::FromRow)]
        pub(super) struct PaperRow {
            $key: $key_type,
            $($column: $type,)*
            revision: i64,
            created_at: DateTime<Utc>,
            changed_at: DateTime<Utc>,
            change_seq: i64,
            upvotes: i64,
            num_comments: i64,
            hidden_at: Option<DateTime<Utc>>,
        }
    };
}

catalog_columns!(paper_sql!());

/// Binds `$source`'s catalog columns to `$row`, in [`PAPER_COLUMNS`] order, from
/// [`catalog_columns!`].
macro_rules! bind_paper {
    ($row:ident, $source:expr; $key:ident: $key_type:ty = |$key_paper:ident| $key_bind:expr;
        $($column:ident: $type:ty = |$paper:ident| $bind:expr),* $(,)?) => {{
        let $key_paper: &Paper = $source;
        $row.push_bind($key_bind);
        $({
            let $paper: &Paper = $source;
            $row.push_bind($bind);
        })*
    }};
}

/// Replaces the rows of the lookup table `$table` (`"name (column, paper_id, column)"`) of the
/// papers `$ids` with `$rows` (three values each, in the columns' order), inside the transaction
/// `$tx` of the pool type `$DB`.
macro_rules! rewrite_rows {
    ($tx:ident, $DB:ident, $table:literal, $ids:expr, $rows:expr) => {{
        let table_name = $table.split(' ').next().unwrap_or($table);
        let mut delete = QueryBuilder::<$DB>::new(format!("DELETE FROM {table_name} WHERE paper_id IN ("));
        let mut list = delete.separated(", ");
        for id in $ids {
            list.push_bind(*id);
        }
        delete.push(")");
        delete.build().execute(&mut *$tx).await?;
        // Three parameters a row: a larger chunk than for papers still fits.
        for chunk in $rows.chunks(ROWS_PER_STATEMENT * 4) {
            let mut insert = QueryBuilder::<$DB>::new(concat!("INSERT INTO ", $table, " "));
            insert.push_values(chunk, |mut row, (a, paper_id, b)| {
                row.push_bind(a).push_bind(*paper_id).push_bind(b);
            });
            insert.build().execute(&mut *$tx).await?;
        }
    }};
}

/// The `paper_authors` rows of papers given by id and author list: key, paper id, place. In key
/// order, so that a batch's inserts walk the primary key's B-tree once instead of jumping
/// about it.
fn author_rows<'a>(papers: impl IntoIterator<Item = (&'a str, &'a [String])>) -> Vec<(String, &'a str, i64)> {
    let mut rows: Vec<(String, &str, i64)> = papers
        .into_iter()
        .flat_map(|(id, authors)| author_keys(authors).map(move |(key, position)| (key, id, position as i64)))
        .collect();
    rows.sort_unstable();
    rows
}

impl TryFrom<PaperRow> for StoredPaper {
    type Error = DbError;

    fn try_from(row: PaperRow) -> Result<Self, DbError> {
        let corrupt = |reason: String| DbError::CorruptRow { id: row.id.clone(), reason };
        let id = row.id.parse::<ArxivId>().map_err(|e| corrupt(e.to_string()))?;
        let version = row
            .version
            .map(u32::try_from)
            .transpose()
            .map_err(|_| corrupt(format!("negative version {:?}", row.version)))?;
        Ok(StoredPaper {
            paper: Paper {
                id,
                version,
                title: row.title,
                summary: row.summary,
                authors: row.authors.0,
                categories: row.categories.0,
                comment: row.comment,
                journal_ref: row.journal_ref,
                doi: row.doi,
                license: row.license,
                submitter: row.submitter,
                github_repo: row.github_repo,
                project_page: row.project_page,
                published_at: row.published_at,
                updated_at: row.updated_at,
                announce_date: row.announce_date,
                announce_date_estimated: row.announce_date_estimated,
            },
            revision: row.revision,
            created_at: row.created_at,
            changed_at: row.changed_at,
            change_seq: row.change_seq,
            upvotes: row.upvotes,
            num_comments: row.num_comments,
            hidden_at: row.hidden_at,
            claimed: Vec::new(),
            stars: None,
            annotation: None,
        })
    }
}

/// What storing a batch's records for one id comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The row to write, if anything changed.
    pub write: Option<Paper>,
    pub counts: UpsertCounts,
}

/// Merges `incoming` (records of one paper, in the order read) over the `stored` row.
pub fn plan_paper(stored: Option<&Paper>, incoming: &[Paper]) -> Plan {
    let mut counts = UpsertCounts::default();
    // Borrowed until something changes: a re-import of the same records copies nothing.
    let mut current: Option<Cow<Paper>> = stored.map(Cow::Borrowed);
    let mut dirty = false;
    for record in incoming {
        match current.as_deref() {
            None => {
                counts.inserted += 1;
                current = Some(Cow::Owned(record.clone()));
                dirty = true;
            }
            Some(existing) if existing == record => counts.unchanged += 1,
            Some(existing) => match record.clone().merge_over(existing) {
                Merge::Changed(merged) => {
                    counts.updated += 1;
                    current = Some(Cow::Owned(merged));
                    dirty = true;
                }
                Merge::Stale | Merge::Unchanged => counts.unchanged += 1,
            },
        }
    }
    Plan { write: current.filter(|_| dirty).map(Cow::into_owned), counts }
}

impl Db {
    /// Stores a batch of papers in one transaction. See the module docs for the rules.
    pub async fn upsert_papers(&self, batch: Vec<Paper>) -> Result<UpsertCounts, DbError> {
        let mut by_id: HashMap<ArxivId, Vec<Paper>> = HashMap::with_capacity(batch.len());
        for paper in batch {
            by_id.entry(paper.id.clone()).or_default().push(paper);
        }
        // A fixed order (by id) makes concurrent writers on PostgreSQL take row locks in the
        // same order, so they wait for each other instead of deadlocking.
        let mut pending: Vec<ArxivId> = by_id.keys().cloned().collect();
        pending.sort_unstable();
        let mut counts = UpsertCounts::default();
        let now = Utc::now();

        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let mut clock = take_clock!(tx);
            for _round in 0..MAX_ROUNDS {
                let mut stored: HashMap<ArxivId, StoredPaper> = HashMap::with_capacity(pending.len());
                for chunk in pending.chunks(ROWS_PER_STATEMENT) {
                    let mut query =
                        QueryBuilder::<DB>::new(format!("SELECT {PAPER_SELECT} FROM papers p WHERE id IN ("));
                    let mut list = query.separated(", ");
                    for id in chunk {
                        list.push_bind(id.as_str());
                    }
                    query.push(")");
                    let rows: Vec<PaperRow> = query.build_query_as().fetch_all(&mut *tx).await?;
                    for row in rows {
                        let row = StoredPaper::try_from(row)?;
                        stored.insert(row.paper.id.clone(), row);
                    }
                }

                let mut plans: Vec<(Paper, i64, UpsertCounts, i64)> = Vec::new();
                for id in &pending {
                    let current = stored.get(id);
                    let plan = plan_paper(current.map(|s| &s.paper), &by_id[id]);
                    match plan.write {
                        Some(paper) => {
                            clock += 1;
                            plans.push((paper, current.map_or(0, |s| s.revision), plan.counts, clock));
                        }
                        None => counts += plan.counts,
                    }
                }

                let mut lost = Vec::new();
                for chunk in plans.chunks(ROWS_PER_STATEMENT) {
                    let mut query = QueryBuilder::<DB>::new(format!("INSERT INTO papers ({PAPER_COLUMNS}) "));
                    query.push_values(chunk, |mut row, (paper, read_revision, _, change_seq)| {
                        catalog_columns!(bind_paper!(row, paper));
                        row.push_bind(read_revision + 1).push_bind(now).push_bind(now).push_bind(*change_seq);
                    });
                    // The update applies only over the revision that was read; a new paper
                    // (read revision 0) never overwrites a row another writer inserted.
                    query.push(format!(
                        " ON CONFLICT (id) DO UPDATE SET {PAPER_UPDATES} \
                         WHERE papers.revision + 1 = excluded.revision RETURNING id"
                    ));
                    let written: HashSet<String> =
                        query.build_query_scalar().fetch_all(&mut *tx).await?.into_iter().collect();

                    let mut written_papers = Vec::with_capacity(written.len());
                    for (paper, _, plan_counts, _) in chunk {
                        if written.contains(paper.id.as_str()) {
                            counts += *plan_counts;
                            written_papers.push(paper);
                        } else {
                            lost.push(paper.id.clone());
                        }
                    }
                    if !written_papers.is_empty() {
                        let ids: Vec<&str> = written_papers.iter().map(|p| p.id.as_str()).collect();
                        let categories: Vec<(&str, &str, bool)> = written_papers
                            .iter()
                            .flat_map(|paper| {
                                paper
                                    .categories
                                    .iter()
                                    .enumerate()
                                    .map(|(i, c)| (c.as_str(), paper.id.as_str(), i == 0))
                            })
                            .collect();
                        rewrite_rows!(
                            tx,
                            DB,
                            "paper_categories (category, paper_id, is_primary)",
                            &ids,
                            &categories
                        );
                        let authors =
                            author_rows(written_papers.iter().map(|p| (p.id.as_str(), p.authors.as_slice())));
                        rewrite_rows!(
                            tx,
                            DB,
                            "paper_authors (author_key, paper_id, position)",
                            &ids,
                            &authors
                        );
                    }
                }
                if lost.is_empty() {
                    set_clock!(tx, clock);
                    tx.commit().await?;
                    return Ok(counts);
                }
                pending = lost;
            }
            Err(DbError::Contention(pending.len()))
        })
    }

    /// One paper by id, if stored, with its verified authors.
    pub async fn get_paper(&self, id: &ArxivId) -> Result<Option<StoredPaper>, DbError> {
        let sql = format!("SELECT {PAPER_SELECT} FROM papers p WHERE id = $1");
        let row: Option<PaperRow> = with_pool!(self, |pool, DB| {
            sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(id.as_str()).fetch_optional(pool).await?
        });
        let mut paper = row.map(StoredPaper::try_from).transpose()?;
        self.attach_claims(paper.iter_mut()).await?;
        Ok(paper)
    }

    /// Fills in the `claimed` authors of `papers` ([`Db::claimed_authors`]), their
    /// repositories' `stars` and their `annotation`s.
    pub(super) async fn attach_claims<'a>(
        &self,
        papers: impl IntoIterator<Item = &'a mut StoredPaper>,
    ) -> Result<(), DbError> {
        let papers: Vec<&mut StoredPaper> = papers.into_iter().collect();
        if papers.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = papers.iter().map(|p| p.paper.id.to_string()).collect();
        let mut claimed = self.claimed_authors(&ids).await?;
        let mut annotations = self.annotations(&ids).await?;
        let stars: HashMap<String, i64> = with_pool!(self, |pool, DB| {
            let mut sql = QueryBuilder::<DB>::new(
                "SELECT pr.paper_id, r.stars FROM paper_repos pr JOIN repositories r ON r.repo = pr.repo \
                 WHERE r.stars IS NOT NULL AND pr.paper_id IN (",
            );
            let mut list = sql.separated(", ");
            for id in &ids {
                list.push_bind(id.as_str());
            }
            sql.push(")");
            sql.build_query_as::<(String, i64)>().fetch_all(pool).await?.into_iter().collect()
        });
        for paper in papers {
            paper.claimed = claimed.remove(paper.paper.id.as_str()).unwrap_or_default();
            paper.stars = stars.get(paper.paper.id.as_str()).copied();
            paper.annotation = annotations.remove(paper.paper.id.as_str());
        }
        Ok(())
    }

    /// How many papers the catalog holds.
    pub async fn count_papers(&self) -> Result<u64, DbError> {
        let count: i64 = with_pool!(self, |pool, DB| {
            sqlx::query_scalar("SELECT COUNT(*) FROM papers").fetch_one(pool).await?
        });
        Ok(count.max(0) as u64)
    }

    /// The ids filed under `category`, for checking the lookup table.
    pub async fn paper_ids_in_category(&self, category: &str) -> Result<Vec<String>, DbError> {
        let ids = with_pool!(self, |pool, DB| {
            sqlx::query_scalar("SELECT paper_id FROM paper_categories WHERE category = $1 ORDER BY paper_id")
                .bind(category)
                .fetch_all(pool)
                .await?
        });
        Ok(ids)
    }
}

impl Db {
    /// Papers written after the catalog clock read `after`, in clock order, at most `limit`.
    pub async fn papers_changed_since(&self, after: i64, limit: u32) -> Result<Vec<StoredPaper>, DbError> {
        let sql =
            format!("SELECT {PAPER_SELECT} FROM papers p WHERE change_seq > $1 ORDER BY change_seq LIMIT $2");
        let rows: Vec<PaperRow> = with_pool!(self, |pool, DB| {
            sqlx::query_as(AssertSqlSafe(sql.as_str()))
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(StoredPaper::try_from).collect()
    }

    /// The clock number of the latest paper write (0 for an empty catalog).
    pub async fn latest_paper_change(&self) -> Result<i64, DbError> {
        let latest: Option<i64> = with_pool!(self, |pool, DB| {
            sqlx::query_scalar("SELECT MAX(change_seq) FROM papers").fetch_one(pool).await?
        });
        Ok(latest.unwrap_or(0))
    }

    /// How many papers were written after the catalog clock read `after`.
    pub async fn count_papers_changed_since(&self, after: i64) -> Result<u64, DbError> {
        let count: i64 = with_pool!(self, |pool, DB| {
            sqlx::query_scalar("SELECT COUNT(*) FROM papers WHERE change_seq > $1")
                .bind(after)
                .fetch_one(pool)
                .await?
        });
        Ok(count.max(0) as u64)
    }
}

impl Db {
    /// Fills `paper_authors` for every stored paper, when the migration that made the table
    /// found papers already there; then forgets the task. Resumable: an interrupted run starts
    /// again and writes the same rows.
    pub(super) async fn backfill_paper_authors(&self) -> Result<(), DbError> {
        let pending: Option<String> = with_pool!(self, |pool, DB| {
            sqlx::query_scalar("SELECT name FROM backfills WHERE name = 'paper_authors'")
                .fetch_optional(pool)
                .await?
        });
        if pending.is_none() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let mut after = String::new();
        let mut filled = 0_u64;
        loop {
            let last: Option<String> = with_pool!(self, |pool, DB| {
                let mut tx = pool.begin_with(self.begin_write()).await?;
                let _clock = take_clock!(tx);
                let rows: Vec<(String, Json<Vec<String>>)> =
                    sqlx::query_as("SELECT id, authors FROM papers WHERE id > $1 ORDER BY id LIMIT $2")
                        .bind(after.as_str())
                        .bind(BACKFILL_BATCH)
                        .fetch_all(&mut *tx)
                        .await?;
                let ids: Vec<&str> = rows.iter().map(|(id, _)| id.as_str()).collect();
                let authors =
                    author_rows(rows.iter().map(|(id, Json(authors))| (id.as_str(), authors.as_slice())));
                if !ids.is_empty() {
                    rewrite_rows!(tx, DB, "paper_authors (author_key, paper_id, position)", &ids, &authors);
                }
                if rows.is_empty() {
                    sqlx::query("DELETE FROM backfills WHERE name = 'paper_authors'")
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                filled += rows.len() as u64;
                rows.last().map(|(id, _)| id.clone())
            });
            match last {
                Some(id) => after = id,
                None => break,
            }
        }
        tracing::info!(
            papers = filled,
            seconds = started.elapsed().as_secs_f64(),
            "filled in the authors of stored papers"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use paperboy_arxiv::RawPaper;

    use super::*;

    fn paper(id: &str, title: &str) -> Paper {
        RawPaper {
            id: Some(id.into()),
            title: Some(title.into()),
            summary: Some("S".into()),
            categories: vec!["cs.CL".into()],
            ..RawPaper::default()
        }
        .validate()
        .unwrap()
    }

    fn counts(inserted: u64, updated: u64, unchanged: u64) -> UpsertCounts {
        UpsertCounts { inserted, updated, unchanged }
    }

    #[test]
    fn the_sql_of_a_paper_comes_from_one_column_list() {
        let written: Vec<&str> = PAPER_COLUMNS.split(", ").collect();
        assert_eq!(&written[..4], ["id", "version", "title", "summary"]);
        assert_eq!(&written[written.len() - 4..], ["revision", "created_at", "changed_at", "change_seq"]);
        for column in &written {
            assert!(
                PAPER_SELECT.split(", ").any(|c| c == format!("p.{column}")),
                "{column} is not read back"
            );
        }
        let updated: Vec<&str> =
            PAPER_UPDATES.split(", ").map(|set| set.split(" = ").next().unwrap_or(set)).collect();
        let kept: Vec<&&str> = written.iter().filter(|c| !updated.contains(c)).collect();
        assert_eq!(
            kept,
            [&"id", &"created_at"],
            "an upsert changes every column but the key and the first store's time"
        );
    }

    #[test]
    fn a_new_paper_is_inserted_once_however_often_it_repeats() {
        let plan = plan_paper(None, &[paper("2503.00001", "A"), paper("2503.00001", "A")]);
        assert_eq!(plan.counts, counts(1, 0, 1));
        assert_eq!(plan.write.unwrap().title, "A");
    }

    #[test]
    fn an_update_survives_a_later_repeat_or_an_older_record() {
        let stored = paper("2503.00001v1", "Old");
        for tail in [paper("2503.00001v2", "New"), paper("2503.00001v1", "Old")] {
            let plan = plan_paper(Some(&stored), &[paper("2503.00001v2", "New"), tail]);
            assert_eq!(plan.counts, counts(0, 1, 1));
            assert_eq!(plan.write.unwrap().title, "New");
        }
    }

    #[test]
    fn nothing_is_written_for_stale_or_identical_records() {
        let stored = paper("2503.00001v2", "New");
        let plan = plan_paper(Some(&stored), &[paper("2503.00001v1", "Old"), paper("2503.00001v2", "New")]);
        assert_eq!((plan.write, plan.counts), (None, counts(0, 0, 2)));
    }
}
