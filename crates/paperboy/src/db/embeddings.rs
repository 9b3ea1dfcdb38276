//! Stored embeddings: one vector per paper and model, with the hash of the text it was computed
//! from, so that an unchanged text is never embedded twice.
//!
//! Vectors are stored as little-endian `f32` bytes. Writes take catalog clock numbers like paper
//! writes do, so a vector index follows `change_seq` the way the keyword index follows papers.

use chrono::Utc;
use sqlx::{AssertSqlSafe, QueryBuilder};

use super::{Db, DbError, set_clock, take_clock, with_pool};

/// Rows per multi-row statement: 7 parameters each.
const ROWS_PER_STATEMENT: usize = 1_000;

/// The papers that may need a vector of the model `$1` ([`Db::texts_to_embed`]).
const TO_EMBED: &str = "FROM papers p LEFT JOIN embeddings e ON e.paper_id = p.id AND e.model = $1 \
                        WHERE (e.paper_id IS NULL OR p.change_seq > e.paper_seq)";

/// A paper's text for `paperboy embed` as of its `change_seq`, with the hash of the text its
/// stored vector came from.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TextToEmbed {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub change_seq: i64,
    pub text_hash: Option<String>,
}

/// A vector to store for a paper.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEmbedding {
    pub paper_id: String,
    pub text_hash: String,
    pub vector: Vec<f32>,
    /// The paper's `change_seq` when its text was read (0: unknown, checked at the next run).
    pub paper_seq: i64,
}

/// A paper's stored vector and the hash of the text it was made from.
#[derive(Debug, Clone, PartialEq)]
pub struct PaperVector {
    pub paper_id: String,
    pub text_hash: String,
    pub vector: Vec<f32>,
}

/// A stored vector and the clock number it was written at.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEmbedding {
    pub paper_id: String,
    pub vector: Vec<f32>,
    pub change_seq: i64,
}

fn to_bytes(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// A stored vector's bytes as floats, checked against its dimension.
pub(crate) fn vector_from_bytes(paper_id: &str, bytes: &[u8], dim: i32) -> Result<Vec<f32>, DbError> {
    if usize::try_from(dim).ok().map(|d| d * 4) != Some(bytes.len()) {
        return Err(DbError::CorruptRow {
            id: paper_id.to_owned(),
            reason: format!("embedding of {} bytes, expected {dim} floats", bytes.len()),
        });
    }
    Ok(bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
}

impl Db {
    /// The papers after `after_id`, in id order, at most `limit`, that may need a vector of
    /// `model`: those without one, and those written since the version their vector matches
    /// (`paper_seq`), with the hash of the text their vector came from. The input of `paperboy
    /// embed`, read page by page; a catalog that is up to date costs one pass over the index of
    /// each table, not its texts.
    pub async fn texts_to_embed(
        &self,
        model: &str,
        after_id: &str,
        limit: u32,
    ) -> Result<Vec<TextToEmbed>, DbError> {
        Ok(with_pool!(self, |pool, DB| {
            let sql = format!(
                "SELECT p.id, p.title, p.summary, p.change_seq, e.text_hash {TO_EMBED} AND p.id > $2 ORDER BY p.id LIMIT $3"
            );
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(model)
                .bind(after_id)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        }))
    }

    /// How many papers [`Db::texts_to_embed`] would go through for `model`.
    pub async fn count_texts_to_embed(&self, model: &str) -> Result<u64, DbError> {
        let count: i64 = with_pool!(self, |pool, DB| {
            let sql = format!("SELECT COUNT(*) {TO_EMBED}");
            sqlx::query_scalar(AssertSqlSafe(sql)).bind(model).fetch_one(pool).await?
        });
        Ok(count.max(0) as u64)
    }

    /// Notes that the vectors of `model` for `papers` (id, `change_seq`) still match their texts
    /// at those versions, so `paperboy embed` does not read them again until they change. A
    /// vector never goes back to an older version.
    pub async fn mark_embeddings_current(
        &self,
        model: &str,
        papers: &[(String, i64)],
    ) -> Result<(), DbError> {
        if papers.is_empty() {
            return Ok(());
        }
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            for (paper, seq) in papers {
                sqlx::query(
                    "UPDATE embeddings SET paper_seq = $1 WHERE model = $2 AND paper_id = $3 AND paper_seq < $1",
                )
                .bind(seq)
                .bind(model)
                .bind(paper.as_str())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Stores vectors for `model`, replacing earlier ones of the same papers, in one transaction.
    pub async fn store_embeddings(&self, model: &str, rows: &[NewEmbedding]) -> Result<(), DbError> {
        if rows.is_empty() {
            return Ok(());
        }
        let now = Utc::now();
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let first = take_clock!(tx) + 1;
            for (chunk_start, chunk) in (0..).step_by(ROWS_PER_STATEMENT).zip(rows.chunks(ROWS_PER_STATEMENT))
            {
                let mut insert = QueryBuilder::<DB>::new(
                    "INSERT INTO embeddings (paper_id, model, dim, text_hash, vector, change_seq, created_at, paper_seq) ",
                );
                insert.push_values(chunk.iter().enumerate(), |mut row, (i, e)| {
                    row.push_bind(e.paper_id.as_str())
                        .push_bind(model)
                        .push_bind(i32::try_from(e.vector.len()).unwrap_or(i32::MAX))
                        .push_bind(e.text_hash.as_str())
                        .push_bind(to_bytes(&e.vector))
                        .push_bind(first + chunk_start + i as i64)
                        .push_bind(now)
                        .push_bind(e.paper_seq);
                });
                insert.push(
                    " ON CONFLICT (model, paper_id) DO UPDATE SET dim = excluded.dim, \
                     text_hash = excluded.text_hash, vector = excluded.vector, \
                     change_seq = excluded.change_seq, created_at = excluded.created_at, paper_seq = excluded.paper_seq",
                );
                insert.build().execute(&mut *tx).await?;
            }
            set_clock!(tx, first + rows.len() as i64 - 1);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Vectors of `model` written after the clock read `after`, in clock order, at most `limit`.
    pub async fn embeddings_changed_since(
        &self,
        model: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<StoredEmbedding>, DbError> {
        let rows: Vec<(String, i32, Vec<u8>, i64)> = with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT paper_id, dim, vector, change_seq FROM embeddings \
                 WHERE model = $1 AND change_seq > $2 ORDER BY change_seq LIMIT $3",
            )
            .bind(model)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(paper_id, dim, bytes, change_seq)| {
                let vector = vector_from_bytes(&paper_id, &bytes, dim)?;
                Ok(StoredEmbedding { paper_id, vector, change_seq })
            })
            .collect()
    }

    /// How many vectors of `model` were stored after the clock reading `after`.
    pub async fn count_embeddings_changed_since(&self, model: &str, after: i64) -> Result<u64, DbError> {
        let count: i64 = with_pool!(self, |pool, DB| {
            sqlx::query_scalar("SELECT COUNT(*) FROM embeddings WHERE model = $1 AND change_seq > $2")
                .bind(model)
                .bind(after)
                .fetch_one(pool)
                .await?
        });
        Ok(count.max(0) as u64)
    }

    /// The stored vector of one paper for `model`.
    pub async fn embedding(&self, model: &str, paper_id: &str) -> Result<Option<Vec<f32>>, DbError> {
        let row: Option<(i32, Vec<u8>)> = with_pool!(self, |pool, DB| {
            sqlx::query_as("SELECT dim, vector FROM embeddings WHERE model = $1 AND paper_id = $2")
                .bind(model)
                .bind(paper_id)
                .fetch_optional(pool)
                .await?
        });
        row.map(|(dim, bytes)| vector_from_bytes(paper_id, &bytes, dim)).transpose()
    }

    /// The stored vectors of `papers` for `model` that exist, each with the hash of its text,
    /// in one query per thousand papers.
    pub async fn embeddings_of(&self, model: &str, papers: &[String]) -> Result<Vec<PaperVector>, DbError> {
        let mut found = Vec::with_capacity(papers.len());
        for chunk in papers.chunks(1_000) {
            let rows: Vec<(String, String, i32, Vec<u8>)> = with_pool!(self, |pool, DB| {
                let mut query = QueryBuilder::<DB>::new(
                    "SELECT paper_id, text_hash, dim, vector FROM embeddings WHERE model = ",
                );
                query.push_bind(model).push(" AND paper_id IN (");
                let mut ids = query.separated(", ");
                for paper in chunk {
                    ids.push_bind(paper);
                }
                query.push(")");
                query.build_query_as().fetch_all(pool).await?
            });
            for (paper_id, text_hash, dim, bytes) in rows {
                let vector = vector_from_bytes(&paper_id, &bytes, dim)?;
                found.push(PaperVector { paper_id, text_hash, vector });
            }
        }
        Ok(found)
    }

    /// Papers' ids, titles and abstracts in id order after `after_id`, at most `limit`: the
    /// input of `paperboy embed`, read page by page.
    pub async fn paper_texts_after(
        &self,
        after_id: &str,
        limit: u32,
    ) -> Result<Vec<(String, String, String)>, DbError> {
        let rows = with_pool!(self, |pool, DB| {
            sqlx::query_as("SELECT id, title, summary FROM papers WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(after_id)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }

    /// The ids, titles and abstracts of the papers `ids` that exist, in the order given.
    pub async fn paper_texts(&self, ids: &[String]) -> Result<Vec<(String, String, String)>, DbError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut rows: Vec<(String, String, String)> = with_pool!(self, |pool, DB| {
            let mut sql = QueryBuilder::<DB>::new("SELECT id, title, summary FROM papers WHERE id IN (");
            let mut list = sql.separated(", ");
            for id in ids {
                list.push_bind(id.as_str());
            }
            sql.push(")");
            sql.build_query_as().fetch_all(pool).await?
        });
        rows.sort_by_key(|(id, _, _)| ids.iter().position(|wanted| wanted == id));
        Ok(rows)
    }
}
