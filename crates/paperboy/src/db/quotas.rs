//! Quota counts every process shares: leasing part of a client's quota, and forgetting the
//! counts of windows that ended (see [`crate::quota`]).

use super::{Db, DbError, with_pool};

/// What one lease of a quota found and took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Lease {
    /// When the window ends, in Unix milliseconds.
    pub window_ends: i64,
    /// How much of the quota all processes have leased in the window, this lease included.
    pub used: i64,
    /// What this lease took: `block`, less where the quota had less left, 0 when none.
    pub granted: i64,
}

impl Db {
    /// Takes up to `block` of the quota `limit` per `window_ms` of `client` in `scope`, at
    /// `now_ms`: in the current window, or in a new one from `now_ms` when it has ended. One
    /// statement, so two processes leasing at once never take more than the quota.
    pub async fn lease_quota(
        &self,
        scope: &str,
        client: &str,
        now_ms: i64,
        window_ms: i64,
        block: i64,
        limit: i64,
    ) -> Result<Lease, DbError> {
        let first = block.min(limit);
        let lease = with_pool!(self, |pool, DB| {
            sqlx::query_as::<DB, Lease>(
                "INSERT INTO quota_counts (scope, client, window_ends, used, granted) \
                 VALUES ($1, $2, $3 + $4, $5, $5) \
                 ON CONFLICT (scope, client) DO UPDATE SET \
                   window_ends = CASE WHEN quota_counts.window_ends <= $3 THEN $3 + $4 \
                                      ELSE quota_counts.window_ends END, \
                   used = CASE WHEN quota_counts.window_ends <= $3 THEN $5 \
                               WHEN quota_counts.used >= $7 THEN quota_counts.used \
                               WHEN quota_counts.used + $6 > $7 THEN $7 \
                               ELSE quota_counts.used + $6 END, \
                   granted = CASE WHEN quota_counts.window_ends <= $3 THEN $5 \
                                  WHEN quota_counts.used >= $7 THEN 0 \
                                  WHEN quota_counts.used + $6 > $7 THEN $7 - quota_counts.used \
                                  ELSE $6 END \
                 RETURNING window_ends, used, granted",
            )
            .bind(scope)
            .bind(client)
            .bind(now_ms)
            .bind(window_ms)
            .bind(first)
            .bind(block)
            .bind(limit)
            .fetch_one(pool)
            .await?
        });
        Ok(lease)
    }

    /// Deletes the counts of windows that ended by `now_ms`; how many.
    pub async fn forget_quotas(&self, now_ms: i64) -> Result<u64, DbError> {
        let deleted = with_pool!(self, |pool, DB| {
            sqlx::query::<DB>("DELETE FROM quota_counts WHERE window_ends <= $1")
                .bind(now_ms)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(deleted)
    }
}
