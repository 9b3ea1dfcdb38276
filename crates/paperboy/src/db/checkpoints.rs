//! Harvest checkpoints: where an interrupted OAI-PMH harvest resumes.

use chrono::{DateTime, Utc};

use super::{Db, DbError, with_pool};

/// The saved state of one harvest request.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Checkpoint {
    /// Everything that identifies the request (endpoint, format, set, from, until).
    pub request: String,
    /// The token for the next page; `None` before the first page and once complete.
    pub resumption_token: Option<String>,
    pub pages: i64,
    pub records: i64,
    pub started_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl Checkpoint {
    /// A fresh checkpoint for a harvest that has fetched nothing yet.
    pub fn new(request: String) -> Checkpoint {
        Checkpoint {
            request,
            resumption_token: None,
            pages: 0,
            records: 0,
            started_at: Utc::now(),
            completed_at: None,
        }
    }
}

impl Db {
    pub async fn load_checkpoint(&self, request: &str) -> Result<Option<Checkpoint>, DbError> {
        let checkpoint = with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT request, resumption_token, pages, records, started_at, completed_at \
                 FROM harvest_checkpoints WHERE request = $1",
            )
            .bind(request)
            .fetch_optional(pool)
            .await?
        });
        Ok(checkpoint)
    }

    pub async fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), DbError> {
        let now = Utc::now();
        with_pool!(self, |pool, DB| {
            sqlx::query(
                "INSERT INTO harvest_checkpoints \
                 (request, resumption_token, pages, records, started_at, updated_at, completed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (request) DO UPDATE SET resumption_token = excluded.resumption_token, \
                 pages = excluded.pages, records = excluded.records, started_at = excluded.started_at, \
                 updated_at = excluded.updated_at, completed_at = excluded.completed_at",
            )
            .bind(&checkpoint.request)
            .bind(&checkpoint.resumption_token)
            .bind(checkpoint.pages)
            .bind(checkpoint.records)
            .bind(checkpoint.started_at)
            .bind(now)
            .bind(checkpoint.completed_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}
