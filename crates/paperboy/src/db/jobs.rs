//! The job queue: background jobs in the leased queue ([`super::queue`]), with a de-duplication
//! key, a JSON payload and a most number of attempts per job.
//!
//! A worker claims the oldest due job and holds it under a lease it renews while the job runs;
//! a job whose lease ran out (its worker died) is taken over by the next worker that asks, or
//! fails if that was its last attempt. Finishing and failing check that the worker still holds
//! the job (same worker, same attempt), so a worker that lost its lease cannot mark the job a
//! second time.

use chrono::{DateTime, Duration, Utc};

use super::queue::{self, Counts, Dedupe, Lease, Outcome, Queue, State};
use super::{Db, DbError, with_pool};

/// The jobs table as a leased queue.
pub const JOBS: Queue = Queue {
    table: "jobs",
    due: "run_at",
    // Jobs are never cancelled: the last name is never stored (the table does not allow it).
    states: ["queued", "running", "done", "failed", "cancelled"],
    taken_over: None,
    max_attempts: Some("max_attempts"),
    done_at: "finished_at",
    failed_at: Some("finished_at"),
    done_by_anyone: false,
    error_of_last_attempt: false,
    claimed: "id, kind, payload, attempts, max_attempts",
};

/// A job a worker holds.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedJob {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    /// This attempt's number, from 1.
    pub attempts: i64,
    pub max_attempts: i64,
    /// Whether this worker took it over from one whose lease ran out.
    pub taken_over: bool,
}

impl ClaimedJob {
    fn lease<'a>(&self, worker: &'a str) -> Lease<'a> {
        Lease { id: self.id, attempt: self.attempts, worker }
    }
}

/// How many jobs are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub queued: i64,
    pub running: i64,
    pub done: i64,
    pub failed: i64,
}

impl From<Counts> for JobCounts {
    fn from(counts: Counts) -> Self {
        JobCounts {
            queued: counts.get(State::Queued),
            running: counts.get(State::Leased),
            done: counts.get(State::Done),
            failed: counts.get(State::Failed),
        }
    }
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
        let (key, once) = dedupe.key();
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

    /// Claims the oldest due job for `worker`, under a lease until `now + lease`: a running one
    /// whose lease ran out, or a queued job whose time has come. Jobs abandoned on their last
    /// attempt are marked failed first.
    pub async fn claim_job(
        &self,
        worker: &str,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<ClaimedJob>, DbError> {
        let engine = self.engine();
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let claimed: Vec<ClaimedJob> =
                queue::claim::<DB, _>(&mut tx, engine, &JOBS, worker, now + lease, now, 1).await?;
            tx.commit().await?;
            Ok(claimed.into_iter().next())
        })
    }

    /// Extends the lease of a job `worker` still holds; false when it lost it.
    pub async fn renew_lease(
        &self,
        job: &ClaimedJob,
        worker: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, DbError> {
        with_pool!(self, |pool, DB| queue::renew(pool, &JOBS, job.lease(worker), until).await)
    }

    /// Marks a held job done; false when `worker` no longer held it.
    pub async fn finish_job(&self, job: &ClaimedJob, worker: &str) -> Result<bool, DbError> {
        self.settle_job(job, worker, Outcome::Done).await
    }

    /// Records a failed attempt: queued again for `retry_at`, or failed for good when `None`.
    pub async fn fail_job(
        &self,
        job: &ClaimedJob,
        worker: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<bool, DbError> {
        let outcome = match retry_at {
            Some(at) => Outcome::Retry { at, error },
            None => Outcome::Failed { error },
        };
        self.settle_job(job, worker, outcome).await
    }

    async fn settle_job(
        &self,
        job: &ClaimedJob,
        worker: &str,
        outcome: Outcome<'_>,
    ) -> Result<bool, DbError> {
        let now = Utc::now();
        with_pool!(self, |pool, DB| queue::settle(pool, &JOBS, job.lease(worker), outcome, now).await)
    }

    pub async fn job_counts(&self) -> Result<JobCounts, DbError> {
        Ok(with_pool!(self, |pool, DB| queue::counts(pool, &JOBS).await?).into())
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
