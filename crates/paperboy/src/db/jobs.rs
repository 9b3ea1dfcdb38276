//! The job queue's storage: enqueue, claim under a lease, finish, fail with a retry time.
//!
//! A worker claims the oldest due job and holds it under a lease it renews while the job runs.
//! On PostgreSQL the claim selects with `FOR UPDATE SKIP LOCKED`, so several workers take
//! different jobs without waiting for each other; on SQLite the claim is a single write
//! statement, which the database runs alone. A job whose lease ran out (its worker died) is
//! claimed again by the next worker that asks. Finishing and failing check that the worker
//! still holds the job (same worker, same attempt), so a worker that lost its lease cannot mark
//! the job a second time.

use chrono::{DateTime, Duration, Utc};

use super::{Db, DbError, with_pool};

/// A job a worker holds.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedJob {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    /// This attempt's number, from 1.
    pub attempts: i64,
    pub max_attempts: i64,
}

/// How many jobs are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub queued: i64,
    pub running: i64,
    pub done: i64,
    pub failed: i64,
}

/// How a new job is kept from doubling up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dedupe<'a> {
    /// Every enqueue adds a job.
    None,
    /// At most one job with this key is queued or running at a time.
    WhileActive(&'a str),
    /// A job with this key is added once, ever (such as the harvest of one day).
    Once(&'a str),
}

impl Db {
    /// Adds a job due at `run_at`; `None` when `dedupe` says one exists already.
    pub async fn enqueue(
        &self,
        kind: &str,
        payload: &serde_json::Value,
        dedupe: Dedupe<'_>,
        run_at: DateTime<Utc>,
        max_attempts: i64,
    ) -> Result<Option<i64>, DbError> {
        let (key, once) = match dedupe {
            Dedupe::None => (None, false),
            Dedupe::WhileActive(key) => (Some(key), false),
            Dedupe::Once(key) => (Some(key), true),
        };
        // The partial unique index refuses a second active job with the key; `Once` also
        // looks for finished ones.
        let id: Option<i64> = with_pool!(self, |pool, DB| {
            sqlx::query_scalar(
                "INSERT INTO jobs (kind, dedupe_key, payload, state, attempts, max_attempts, run_at, created_at) \
                 SELECT $1, $2, $3, 'queued', 0, $4, $5, $6 \
                 WHERE NOT ($7 AND EXISTS (SELECT 1 FROM jobs WHERE dedupe_key = $2)) \
                 ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(kind)
            .bind(key)
            .bind(payload.to_string())
            .bind(max_attempts)
            .bind(run_at)
            .bind(Utc::now())
            .bind(once)
            .fetch_optional(pool)
            .await?
        });
        Ok(id)
    }

    /// Claims the oldest due job for `worker`, under a lease until `now + lease`: a queued job
    /// whose time has come, or a running one whose lease ran out. Jobs abandoned on their last
    /// attempt are marked failed first.
    pub async fn claim_job(
        &self,
        worker: &str,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<ClaimedJob>, DbError> {
        let skip_locked = match self {
            Db::Postgres(_) => " FOR UPDATE SKIP LOCKED",
            Db::Sqlite(_) => "",
        };
        let claim = format!(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $1, worker = $2 \
             WHERE id = (SELECT id FROM jobs WHERE (state = 'queued' AND run_at <= $3) \
             OR (state = 'running' AND lease_until < $3) ORDER BY run_at, id LIMIT 1{skip_locked}) \
             RETURNING id, kind, payload, attempts, max_attempts"
        );
        with_pool!(self, |pool, DB| {
            sqlx::query(
                "UPDATE jobs SET state = 'failed', finished_at = $1, lease_until = NULL, \
                 last_error = 'its worker stopped during the last attempt' \
                 WHERE state = 'running' AND lease_until < $1 AND attempts >= max_attempts",
            )
            .bind(now)
            .execute(pool)
            .await?;
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(claim))
                .bind(now + lease)
                .bind(worker)
                .bind(now)
                .fetch_optional(pool)
                .await?)
        })
    }

    /// Extends the lease of a job `worker` still holds; false when it lost it.
    pub async fn renew_lease(
        &self,
        job: &ClaimedJob,
        worker: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, DbError> {
        let renewed = with_pool!(self, |pool, DB| {
            sqlx::query(
                "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND state = 'running' AND worker = $3 AND attempts = $4",
            )
            .bind(until)
            .bind(job.id)
            .bind(worker)
            .bind(job.attempts)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(renewed > 0)
    }

    /// Marks a held job done; false when `worker` no longer held it.
    pub async fn finish_job(&self, job: &ClaimedJob, worker: &str) -> Result<bool, DbError> {
        self.settle(job, worker, "done", None, None).await
    }

    /// Records a failed attempt: queued again for `retry_at`, or failed for good when `None`.
    pub async fn fail_job(
        &self,
        job: &ClaimedJob,
        worker: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<bool, DbError> {
        let state = if retry_at.is_some() { "queued" } else { "failed" };
        self.settle(job, worker, state, Some(error), retry_at).await
    }

    async fn settle(
        &self,
        job: &ClaimedJob,
        worker: &str,
        state: &str,
        error: Option<&str>,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<bool, DbError> {
        let now = Utc::now();
        let finished = (state != "queued").then_some(now);
        let settled = with_pool!(self, |pool, DB| {
            sqlx::query(
                "UPDATE jobs SET state = $1, last_error = COALESCE($2, last_error), run_at = COALESCE($3, run_at), \
                 finished_at = $4, lease_until = NULL \
                 WHERE id = $5 AND state = 'running' AND worker = $6 AND attempts = $7",
            )
            .bind(state)
            .bind(error)
            .bind(retry_at)
            .bind(finished)
            .bind(job.id)
            .bind(worker)
            .bind(job.attempts)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(settled > 0)
    }

    pub async fn job_counts(&self) -> Result<JobCounts, DbError> {
        let rows: Vec<(String, i64)> = with_pool!(self, |pool, DB| {
            sqlx::query_as("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetch_all(pool).await?
        });
        let mut counts = JobCounts::default();
        for (state, count) in rows {
            match state.as_str() {
                "queued" => counts.queued = count,
                "running" => counts.running = count,
                "done" => counts.done = count,
                _ => counts.failed += count,
            }
        }
        Ok(counts)
    }

    /// Deletes finished jobs older than `age`; failed ones stay for an operator to read.
    pub async fn prune_jobs(&self, age: Duration) -> Result<u64, DbError> {
        let cutoff = Utc::now() - age;
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query("DELETE FROM jobs WHERE state = 'done' AND finished_at < $1")
                .bind(cutoff)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}
