//! Papers' annotations: keywords and a one-sentence summary made by the annotation job
//! ([`crate::annotate`]), each with the method that made it and the hash of the text it came
//! from; and generative summaries from a chat completions endpoint ([`crate::summarize`]), with
//! the model's name, the attempts that failed and the requests spent each day. Writing either
//! moves its paper on the catalog clock, so cached pages show it.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::QueryBuilder;

use super::{Db, DbError, move_paper, with_pool};

/// A paper's annotation, as stored and shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnnotation {
    /// Key phrases, best first; empty, with an empty method, when only a generative summary
    /// was made.
    pub keywords: Vec<String>,
    pub keywords_method: String,
    pub summary: String,
    /// How the summary was made: `central-sentence/all-MiniLM-L6-v2`, or for a generative one
    /// [`GENERATED`] and the model's name: `llm/qwen2.5-7b-instruct`.
    pub summary_method: String,
}

/// A paper's annotation and generative summary as one query reads them.
#[derive(sqlx::FromRow)]
struct AnnotationRow {
    id: String,
    keywords: Option<String>,
    keywords_method: Option<String>,
    summary: Option<String>,
    summary_method: Option<String>,
    text_hash: Option<String>,
    generated: Option<String>,
    model: Option<String>,
    generated_hash: Option<String>,
}

/// The method prefix of a summary a language model wrote.
pub const GENERATED: &str = "llm";

/// A featured paper whose generative summary is due: new, from another model, its text
/// changed, or its last failure's wait over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryDue {
    pub paper_id: String,
    pub title: String,
    pub summary: String,
}

/// What asking for a paper's generative summary came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SummaryOutcome<'a> {
    Written(&'a str),
    Failed { reason: &'a str, retry_at: DateTime<Utc> },
}

/// An annotation to store for a paper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAnnotation {
    pub paper_id: String,
    pub text_hash: String,
    pub annotation: StoredAnnotation,
}

impl Db {
    /// The text hash of every paper's annotation made by `keywords_method`.
    pub async fn annotation_hashes(&self, keywords_method: &str) -> Result<HashMap<String, String>, DbError> {
        let rows: Vec<(String, String)> = with_pool!(self, |pool, DB| {
            sqlx::query_as("SELECT paper_id, text_hash FROM paper_annotations WHERE keywords_method = $1")
                .bind(keywords_method)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().collect())
    }

    /// Stores annotations, replacing the papers' earlier ones, in one transaction; each paper
    /// takes a catalog clock number. A paper deleted meanwhile is skipped.
    pub async fn store_annotations(&self, rows: &[NewAnnotation]) -> Result<(), DbError> {
        if rows.is_empty() {
            return Ok(());
        }
        let now = Utc::now();
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            for new in rows {
                if !move_paper!(tx, new.paper_id.as_str()) {
                    continue;
                }
                let annotation = &new.annotation;
                sqlx::query(
                    "INSERT INTO paper_annotations (paper_id, text_hash, keywords, keywords_method, summary, \
                     summary_method, made_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (paper_id) DO UPDATE SET text_hash = excluded.text_hash, \
                     keywords = excluded.keywords, keywords_method = excluded.keywords_method, \
                     summary = excluded.summary, summary_method = excluded.summary_method, \
                     made_at = excluded.made_at",
                )
                .bind(new.paper_id.as_str())
                .bind(new.text_hash.as_str())
                .bind(serde_json::Value::from(annotation.keywords.clone()).to_string())
                .bind(annotation.keywords_method.as_str())
                .bind(annotation.summary.as_str())
                .bind(annotation.summary_method.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The annotations of `ids` that have one. A generative summary of the paper's current
    /// text takes the place of the extractive one.
    pub async fn annotations(&self, ids: &[String]) -> Result<HashMap<String, StoredAnnotation>, DbError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<AnnotationRow> = with_pool!(self, |pool, DB| {
            let mut sql = QueryBuilder::<DB>::new(
                "SELECT p.id, a.keywords, a.keywords_method, a.summary, a.summary_method, a.text_hash, \
                 s.summary AS generated, s.model, s.text_hash AS generated_hash FROM papers p \
                 LEFT JOIN paper_annotations a ON a.paper_id = p.id \
                 LEFT JOIN paper_summaries s ON s.paper_id = p.id AND s.summary IS NOT NULL \
                 WHERE (a.paper_id IS NOT NULL OR s.paper_id IS NOT NULL) AND p.id IN (",
            );
            let mut list = sql.separated(", ");
            for id in ids {
                list.push_bind(id.as_str());
            }
            sql.push(")");
            sql.build_query_as().fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|row| {
                let keywords: Vec<String> = match &row.keywords {
                    Some(text) => serde_json::from_str(text).map_err(|err| DbError::CorruptRow {
                        id: row.id.clone(),
                        reason: format!("keywords are not a JSON list of phrases: {err}"),
                    })?,
                    None => Vec::new(),
                };
                // A generative summary of an older text gives way to the extractive one of the new.
                let current = row.text_hash.is_none() || row.text_hash == row.generated_hash;
                let (summary, summary_method) = match (row.generated, row.model) {
                    (Some(text), Some(model)) if current => (text, format!("{GENERATED}/{model}")),
                    _ => (row.summary.unwrap_or_default(), row.summary_method.unwrap_or_default()),
                };
                let annotation = StoredAnnotation {
                    keywords,
                    keywords_method: row.keywords_method.unwrap_or_default(),
                    summary,
                    summary_method,
                };
                Ok((row.id, annotation))
            })
            .collect()
    }

    /// Featured papers (on the feed since `since`, not hidden) whose summary by `model` is due
    /// at `now`, the newest feed days and most upvoted first, at most `limit`; `hash` is how a
    /// paper's text is hashed.
    pub async fn summaries_due(
        &self,
        since: NaiveDate,
        model: &str,
        now: DateTime<Utc>,
        limit: usize,
        hash: impl Fn(&str, &str) -> String,
    ) -> Result<Vec<(SummaryDue, String)>, DbError> {
        type Row =
            (String, String, String, Option<String>, Option<String>, Option<bool>, Option<DateTime<Utc>>);
        let rows: Vec<Row> = with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT p.id, p.title, p.summary, s.text_hash, s.model, s.summary IS NOT NULL, s.next_attempt_at \
                 FROM feed_entries e JOIN papers p ON p.id = e.paper_id \
                 LEFT JOIN paper_summaries s ON s.paper_id = p.id \
                 WHERE e.feed_date >= $1 AND p.hidden_at IS NULL \
                 ORDER BY e.feed_date DESC, p.upvotes DESC, p.id DESC",
            )
            .bind(since)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|(paper_id, title, summary, stored_hash, stored_model, written, retry_at)| {
                let text_hash = hash(&title, &summary);
                let same = stored_hash.as_deref() == Some(text_hash.as_str())
                    && stored_model.as_deref() == Some(model);
                let due = !same || (written == Some(false) && retry_at.is_some_and(|at| at <= now));
                due.then_some((SummaryDue { paper_id, title, summary }, text_hash))
            })
            .take(limit)
            .collect())
    }

    /// Records what asking `model` for `paper_id`'s summary came to; a summary written moves
    /// the paper on the catalog clock. A paper deleted meanwhile is skipped.
    pub async fn record_summary(
        &self,
        paper_id: &str,
        text_hash: &str,
        model: &str,
        outcome: &SummaryOutcome<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), DbError> {
        let (summary, reason, retry_at) = match outcome {
            SummaryOutcome::Written(text) => (Some(*text), None, None),
            SummaryOutcome::Failed { reason, retry_at } => (None, Some(*reason), Some(*retry_at)),
        };
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM papers WHERE id = $1")
                .bind(paper_id)
                .fetch_one(&mut *tx)
                .await?;
            if exists == 0 {
                return Ok(());
            }
            sqlx::query(
                "INSERT INTO paper_summaries (paper_id, text_hash, model, summary, reason, attempts, attempted_at, \
                 next_attempt_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $7) \
                 ON CONFLICT (paper_id) DO UPDATE SET \
                 attempts = CASE WHEN paper_summaries.text_hash = excluded.text_hash \
                   AND paper_summaries.model = excluded.model THEN paper_summaries.attempts + 1 ELSE 1 END, \
                 text_hash = excluded.text_hash, model = excluded.model, summary = excluded.summary, \
                 reason = excluded.reason, attempted_at = excluded.attempted_at, \
                 next_attempt_at = excluded.next_attempt_at",
            )
            .bind(paper_id)
            .bind(text_hash)
            .bind(model)
            .bind(summary)
            .bind(reason)
            .bind(now)
            .bind(retry_at)
            .execute(&mut *tx)
            .await?;
            // A failure changes nothing a reader sees; a summary moves the paper's clock.
            if summary.is_some() {
                move_paper!(tx, paper_id);
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The attempts so far to summarise `paper_id`, and why the last one failed.
    pub async fn summary_attempts(&self, paper_id: &str) -> Result<Option<(i64, Option<String>)>, DbError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as("SELECT attempts, reason FROM paper_summaries WHERE paper_id = $1")
                .bind(paper_id)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Takes one request of `day`'s budget of `budget`, for every worker together: false once
    /// it is spent.
    pub async fn take_llm_request(&self, day: NaiveDate, budget: u64) -> Result<bool, DbError> {
        let budget = i64::try_from(budget).unwrap_or(i64::MAX);
        let taken = with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            sqlx::query("INSERT INTO llm_usage (day, requests) VALUES ($1, 0) ON CONFLICT (day) DO NOTHING")
                .bind(day)
                .execute(&mut *tx)
                .await?;
            let taken =
                sqlx::query("UPDATE llm_usage SET requests = requests + 1 WHERE day = $1 AND requests < $2")
                    .bind(day)
                    .bind(budget)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            tx.commit().await?;
            taken
        });
        Ok(taken == 1)
    }
}
