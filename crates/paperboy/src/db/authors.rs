//! Who wrote what: the `paper_authors` lookup behind author pages, and the listings it serves.
//!
//! A paper's rows are written with the paper, in the upsert's transaction ([`crate::db::papers`]),
//! keyed by [`AuthorName::key`]; an author is the stored names [`Namesakes::decide`] joins.

use sqlx::QueryBuilder;
use sqlx::types::Json;

use super::papers::{PAPER_SELECT, PaperRow, StoredPaper};
use super::{Db, DbError, with_pool};
use crate::domain::authors::{AuthorName, Namesakes};

/// Stored names one author lookup weighs at most (those sharing a surname and initial).
const NAMESAKES: u32 = 2_000;

/// Papers whose spelling of a name is weighed for the name an author page shows.
const SPELLINGS_WEIGHED: i64 = 200;

/// The author a name stands for, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    /// The key of the page's name: the name asked for, or the one fuller name it abbreviates.
    pub key: String,
    /// How the page's name is written on its newest paper; empty when no paper lists it.
    pub name: String,
    /// Whose papers are the author's: the key and the abbreviations that can stand for nobody
    /// else.
    pub keys: Vec<String>,
    /// How the abbreviations among `keys` are written, for "also written".
    pub also_written: Vec<String>,
    /// Fuller names this one may stand for when it may stand for several, as written.
    pub may_be: Vec<String>,
}

/// What an author's papers add up to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthorTotals {
    pub papers: u64,
    pub upvotes: i64,
    pub comments: i64,
}

impl Db {
    /// The author `name` stands for ([`Namesakes::decide`] over the names stored with its
    /// surname and initial), or `None` when no paper lists it or a name it may stand for.
    pub async fn find_author(&self, name: &AuthorName) -> Result<Option<Author>, DbError> {
        let stored = self.author_keys_from(&name.namesake_prefix(), NAMESAKES).await?;
        let (key, keys, others) = match Namesakes::decide(name, &stored) {
            Namesakes::Unknown => return Ok(None),
            Namesakes::Page { keys, others } => (name.key(), keys, others),
            Namesakes::Moved(fuller) => {
                match AuthorName::from_key(&fuller).map(|n| Namesakes::decide(&n, &stored)) {
                    Some(Namesakes::Page { keys, others }) => (fuller, keys, others),
                    _ => return Ok(None),
                }
            }
        };
        let mut also_written = Vec::new();
        for short in keys.iter().filter(|k| **k != key) {
            also_written.extend(self.author_spelling(short).await?);
        }
        let mut may_be = Vec::new();
        for other in &others {
            may_be.extend(self.author_spelling(other).await?);
        }
        let name = self.author_spelling(&key).await?.unwrap_or_default();
        Ok(Some(Author { key, name, keys, also_written, may_be }))
    }

    /// How the name of `key` is written most often, on the newest papers that list it (the
    /// newest spelling among equals).
    pub async fn author_spelling(&self, key: &str) -> Result<Option<String>, DbError> {
        let rows: Vec<(Json<Vec<String>>, i64)> = with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT p.authors, a.position FROM paper_authors a JOIN papers p ON p.id = a.paper_id \
                 WHERE a.author_key = $1 ORDER BY p.announce_date DESC, p.id DESC LIMIT $2",
            )
            .bind(key)
            .bind(SPELLINGS_WEIGHED)
            .fetch_all(pool)
            .await?
        });
        let mut counts: Vec<(String, usize)> = Vec::new();
        for (Json(authors), position) in rows {
            let Some(spelling) = authors.into_iter().nth(position.max(0) as usize) else { continue };
            match counts.iter_mut().find(|(seen, _)| *seen == spelling) {
                Some((_, count)) => *count += 1,
                None => counts.push((spelling, 1)),
            }
        }
        // The first of the most frequent: max_by_key keeps the last of equals, so go backwards.
        Ok(counts.into_iter().rev().max_by_key(|(_, count)| *count).map(|(spelling, _)| spelling))
    }

    /// The distinct keys stored from `prefix` on (`smith j`: every `smith j...`), at most
    /// `limit`.
    async fn author_keys_from(&self, prefix: &str, limit: u32) -> Result<Vec<String>, DbError> {
        let end = format!("{prefix}\u{10FFFF}");
        let keys = with_pool!(self, |pool, DB| {
            sqlx::query_scalar(
                "SELECT DISTINCT author_key FROM paper_authors WHERE author_key >= $1 AND author_key < $2 \
                 ORDER BY author_key LIMIT $3",
            )
            .bind(prefix)
            .bind(end.as_str())
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        Ok(keys)
    }

    /// The papers one of `keys` wrote, newest announced first, `limit` from `offset`, and what
    /// all of them add up to. Hidden papers are left out.
    pub async fn papers_by_authors(
        &self,
        keys: &[String],
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<StoredPaper>, AuthorTotals), DbError> {
        if keys.is_empty() {
            return Ok((Vec::new(), AuthorTotals::default()));
        }
        let (rows, (papers, upvotes, comments)): (Vec<PaperRow>, (i64, Option<i64>, Option<i64>)) = with_pool!(
            self,
            |pool, DB| {
                let written_by = |sql: &mut QueryBuilder<DB>| {
                    sql.push(" FROM papers p WHERE p.hidden_at IS NULL AND p.id IN (SELECT paper_id FROM paper_authors WHERE author_key IN (");
                    let mut list = sql.separated(", ");
                    for key in keys {
                        list.push_bind(key.as_str());
                    }
                    sql.push("))");
                };
                let mut page = QueryBuilder::<DB>::new(format!("SELECT {PAPER_SELECT}"));
                written_by(&mut page);
                page.push(" ORDER BY p.announce_date DESC, p.id DESC LIMIT ")
                    .push_bind(i64::try_from(limit).unwrap_or(i64::MAX))
                    .push(" OFFSET ")
                    .push_bind(i64::try_from(offset).unwrap_or(i64::MAX));
                let rows = page.build_query_as().fetch_all(pool).await?;
                // SUM of BIGINT is NUMERIC on PostgreSQL: cast back.
                let mut totals = QueryBuilder::<DB>::new(
                    "SELECT COUNT(*), CAST(SUM(p.upvotes) AS BIGINT), CAST(SUM(p.num_comments) AS BIGINT)",
                );
                written_by(&mut totals);
                (rows, totals.build_query_as().fetch_one(pool).await?)
            }
        );
        let mut papers_found: Vec<StoredPaper> =
            rows.into_iter().map(StoredPaper::try_from).collect::<Result<_, _>>()?;
        self.attach_claims(papers_found.iter_mut()).await?;
        let totals = AuthorTotals {
            papers: papers.max(0) as u64,
            upvotes: upvotes.unwrap_or(0),
            comments: comments.unwrap_or(0),
        };
        Ok((papers_found, totals))
    }
}
