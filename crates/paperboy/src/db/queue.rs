//! The leased queue: background jobs (`jobs`) and the digest outbox (`digests`) are two tables
//! that work as one, through this module.
//!
//! An item is `queued` with a due time. A worker **claims** it: the claim marks it `leased` to
//! that worker until a time, and counts the attempt. On PostgreSQL the claim selects with
//! `FOR UPDATE SKIP LOCKED`, so workers take different items without waiting for each other;
//! SQLite runs one writing transaction at a time. A claim first **takes over** items whose lease
//! ran out (their worker died, perhaps halfway), counting each take-over where the queue keeps
//! that count, then takes the due items, oldest first; an item abandoned on its last attempt
//! fails instead. The holder **renews** its lease while it works and **settles** the item:
//! done, queued again for a later attempt after a [`backoff`], failed for good, or released
//! unattempted. Renewing and settling check the holder (the worker and the attempt that claimed
//! it), so a worker that lost its lease changes nothing; a queue may let "done" through from
//! anyone, for work that cannot be undone (a message handed to the mail server is sent).
//! Claims and settlements run on any executor: the outbox runs them inside its own transactions,
//! so what it records beside (an event, a paused subscription) commits with the change of
//! state; jobs, which record nothing beside, run them on the pool.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, QueryBuilder};

use super::{DbError, Engine};
use crate::domain::secrets::Secret;

/// The longest wait before another attempt.
pub const RETRY_MAX: Duration = Duration::from_secs(3600);

/// The backoff before attempt `attempt + 1`: `base` doubled for each attempt after the first,
/// at most [`RETRY_MAX`].
pub fn backoff(base: Duration, attempt: i64) -> Duration {
    let exponent = u32::try_from(attempt.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    base.saturating_mul(2_u32.saturating_pow(exponent)).min(RETRY_MAX)
}

/// A name for a worker that no other worker has: the process id and a random suffix.
pub fn worker_name() -> String {
    format!("{}-{}", std::process::id(), &Secret::generate("").hash()[..8])
}

/// Where an item of a queue stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Waiting for its due time and a worker.
    Queued,
    /// Held by a worker until its lease ends.
    Leased,
    Done,
    /// Failed for good.
    Failed,
    /// Withdrawn before a worker took it.
    Cancelled,
}

impl State {
    const ALL: [State; 5] = [State::Queued, State::Leased, State::Done, State::Failed, State::Cancelled];
}

/// A table that is a leased queue: its name, and how it names its columns and states. Each has
/// `id`, `state`, `attempts`, `lease_until`, `worker` and `last_error`.
#[derive(Debug)]
pub struct Queue {
    pub table: &'static str,
    /// When an item becomes claimable.
    pub due: &'static str,
    /// The stored name of each state, in the order of [`State`].
    pub states: [&'static str; 5],
    /// A column that counts how often an item was taken over from a worker whose lease ran out.
    pub taken_over: Option<&'static str>,
    /// A column with each item's most attempts: one abandoned on its last attempt fails when
    /// its lease runs out instead of being taken over.
    pub max_attempts: Option<&'static str>,
    /// Set to the time when an item is done.
    pub done_at: &'static str,
    /// Set to the time when an item fails for good.
    pub failed_at: Option<&'static str>,
    /// Whether "done" is recorded whoever holds the item now, not only by its holder.
    pub done_by_anyone: bool,
    /// Whether `last_error` tells of the last attempt (none once done, a note when released)
    /// rather than of the last failure.
    pub error_of_last_attempt: bool,
    /// The columns a claim answers with; [`claim`] adds `taken_over`, whether this claim took
    /// the item over.
    pub claimed: &'static str,
}

impl Queue {
    pub fn name(&self, state: State) -> &'static str {
        self.states[State::ALL.iter().position(|s| *s == state).unwrap_or_default()]
    }

    pub fn state(&self, name: &str) -> Option<State> {
        self.states.iter().position(|s| *s == name).map(|i| State::ALL[i])
    }
}

/// The claim a worker holds: which item, by which of its attempts, for whom.
#[derive(Debug, Clone, Copy)]
pub struct Lease<'a> {
    pub id: i64,
    pub attempt: i64,
    pub worker: &'a str,
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    Done,
    /// This attempt failed; the item is due again at `at`.
    Retry {
        at: DateTime<Utc>,
        error: &'a str,
    },
    /// The item failed for good.
    Failed {
        error: &'a str,
    },
    /// The item was claimed but not attempted: it goes back, and the attempt does not count.
    Released,
}

/// How many items are in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts(HashMap<State, i64>);

impl Counts {
    pub fn get(&self, state: State) -> i64 {
        self.0.get(&state).copied().unwrap_or(0)
    }

    /// Items still to be worked on: queued or leased.
    pub fn pending(&self) -> i64 {
        self.get(State::Queued) + self.get(State::Leased)
    }
}

/// How a new job is kept from doubling up, by a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dedupe<'a> {
    /// Every enqueue adds a job.
    None,
    /// At most one job with this key is queued or leased at a time (a partial unique index).
    WhileActive(&'a str),
    /// A job with this key is added once, ever (such as the harvest of one day).
    Once(&'a str),
}

impl<'a> Dedupe<'a> {
    /// The key, and whether it holds for ever.
    pub fn key(self) -> (Option<&'a str>, bool) {
        match self {
            Dedupe::None => (None, false),
            Dedupe::WhileActive(key) => (Some(key), false),
            Dedupe::Once(key) => (Some(key), true),
        }
    }
}

/// Claims up to `limit` items of `queue` for `worker` until `until`, at `now`: first those whose
/// lease ran out (taken over), then the due ones, oldest first. Items abandoned on their last
/// attempt are failed first.
pub async fn claim<DB, T>(
    conn: &mut DB::Connection,
    engine: Engine,
    queue: &Queue,
    worker: &str,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<T>, DbError>
where
    DB: sqlx::Database,
    T: for<'r> sqlx::FromRow<'r, DB::Row> + Send + Unpin,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> DateTime<Utc>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    for<'e> &'e mut DB::Connection: sqlx::Executor<'e, Database = DB>,
{
    let Queue { table, due, .. } = queue;
    let (queued, leased, failed) =
        (queue.name(State::Queued), queue.name(State::Leased), queue.name(State::Failed));
    if let Some(max_attempts) = queue.max_attempts {
        let stamp = queue.failed_at.map(|column| format!(", {column} = $1")).unwrap_or_default();
        let exhausted = format!(
            "UPDATE {table} SET state = '{failed}', lease_until = NULL, \
             last_error = 'its worker stopped during the last attempt'{stamp} \
             WHERE state = '{leased}' AND lease_until < $1 AND attempts >= {max_attempts}"
        );
        sqlx::query(AssertSqlSafe(exhausted)).bind(now).execute(&mut *conn).await?;
    }
    let skip_locked = match engine {
        Engine::Postgres => " FOR UPDATE SKIP LOCKED",
        Engine::Sqlite => "",
    };
    let mut claimed = Vec::new();
    for taking_over in [true, false] {
        let left = limit - claimed.len() as i64;
        if left <= 0 {
            break;
        }
        let (pick, count) = match taking_over {
            true => (
                format!("state = '{leased}' AND lease_until < $3 ORDER BY lease_until, id"),
                queue.taken_over.map(|column| format!(", {column} = {column} + 1")).unwrap_or_default(),
            ),
            false => (format!("state = '{queued}' AND {due} <= $3 ORDER BY {due}, id"), String::new()),
        };
        let sql = format!(
            "UPDATE {table} SET state = '{leased}', attempts = attempts + 1, lease_until = $1, worker = $2{count} \
             WHERE id IN (SELECT id FROM {table} WHERE {pick} LIMIT $4{skip_locked}) \
             RETURNING {}, {taking_over} AS taken_over",
            queue.claimed
        );
        let more: Vec<T> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(until)
            .bind(worker)
            .bind(now)
            .bind(left)
            .fetch_all(&mut *conn)
            .await?;
        claimed.extend(more);
    }
    Ok(claimed)
}

/// Extends the lease of an item its holder still holds, to `until`; false when it lost it.
pub async fn renew<'c, DB, E>(
    executor: E,
    queue: &Queue,
    lease: Lease<'_>,
    until: DateTime<Utc>,
) -> Result<bool, DbError>
where
    DB: sqlx::Database,
    E: sqlx::Executor<'c, Database = DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> DateTime<Utc>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    (i64,): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let mut update = QueryBuilder::<DB>::new(format!("UPDATE {} SET lease_until = ", queue.table));
    update.push_bind(until);
    held_by(&mut update, queue, lease);
    update.push(" RETURNING id");
    Ok(update.build_query_scalar::<i64>().fetch_optional(executor).await?.is_some())
}

/// Records how an attempt ended, if `lease` still holds the item (or, for a queue whose items
/// are done by anyone, if it is still leased at all); false when it changed nothing.
pub async fn settle<'c, DB, E>(
    executor: E,
    queue: &Queue,
    lease: Lease<'_>,
    outcome: Outcome<'_>,
    now: DateTime<Utc>,
) -> Result<bool, DbError>
where
    DB: sqlx::Database,
    E: sqlx::Executor<'c, Database = DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> DateTime<Utc>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    (i64,): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let state = match outcome {
        Outcome::Done => State::Done,
        Outcome::Retry { .. } | Outcome::Released => State::Queued,
        Outcome::Failed { .. } => State::Failed,
    };
    let mut update = QueryBuilder::<DB>::new(format!(
        "UPDATE {} SET state = '{}', lease_until = NULL",
        queue.table,
        queue.name(state)
    ));
    match outcome {
        Outcome::Done => {
            update.push(format!(", {} = ", queue.done_at)).push_bind(now);
            if queue.error_of_last_attempt {
                update.push(", last_error = NULL");
            }
        }
        Outcome::Retry { at, error } => {
            update.push(format!(", {} = ", queue.due)).push_bind(at);
            update.push(", last_error = ").push_bind(error);
        }
        Outcome::Failed { error } => {
            if let Some(column) = queue.failed_at {
                update.push(format!(", {column} = ")).push_bind(now);
            }
            update.push(", last_error = ").push_bind(error);
        }
        Outcome::Released => {
            update.push(", attempts = attempts - 1");
            if queue.error_of_last_attempt {
                update.push(", last_error = 'given back unattempted'");
            }
        }
    }
    if outcome == Outcome::Done && queue.done_by_anyone {
        update
            .push(" WHERE id = ")
            .push_bind(lease.id)
            .push(format!(" AND state = '{}'", queue.name(State::Leased)));
    } else {
        held_by(&mut update, queue, lease);
    }
    update.push(" RETURNING id");
    Ok(update.build_query_scalar::<i64>().fetch_optional(executor).await?.is_some())
}

/// ` WHERE` the item is leased by `lease`'s worker and attempt.
fn held_by<DB>(query: &mut QueryBuilder<DB>, queue: &Queue, lease: Lease<'_>)
where
    DB: sqlx::Database,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    query.push(" WHERE id = ").push_bind(lease.id);
    query.push(format!(" AND state = '{}' AND worker = ", queue.name(State::Leased))).push_bind(lease.worker);
    query.push(" AND attempts = ").push_bind(lease.attempt);
}

/// How many items of `queue` are in each state.
pub async fn counts<'c, DB, E>(executor: E, queue: &Queue) -> Result<Counts, DbError>
where
    DB: sqlx::Database,
    E: sqlx::Executor<'c, Database = DB>,
    (String, i64): for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
{
    let sql = format!("SELECT state, COUNT(*) FROM {} GROUP BY state", queue.table);
    let rows: Vec<(String, i64)> = sqlx::query_as(AssertSqlSafe(sql)).fetch_all(executor).await?;
    let mut counts = HashMap::new();
    for (name, count) in rows {
        let state = queue.state(&name).ok_or_else(|| DbError::CorruptRow {
            id: format!("{} state", queue.table),
            reason: format!("unknown state {name}"),
        })?;
        *counts.entry(state).or_default() += count;
    }
    Ok(Counts(counts))
}

/// When the next item becomes claimable: the earliest due time of a queued item or lease end
/// of a leased one.
pub async fn next_claimable<'c, DB, E>(executor: E, queue: &Queue) -> Result<Option<DateTime<Utc>>, DbError>
where
    DB: sqlx::Database,
    E: sqlx::Executor<'c, Database = DB>,
    (Option<DateTime<Utc>>,): for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
{
    let (queued, leased) = (queue.name(State::Queued), queue.name(State::Leased));
    let sql = format!(
        "SELECT MIN(CASE WHEN state = '{queued}' THEN {} ELSE lease_until END) FROM {} \
         WHERE state IN ('{queued}', '{leased}')",
        queue.due, queue.table
    );
    let (at,): (Option<DateTime<Utc>>,) = sqlx::query_as(AssertSqlSafe(sql)).fetch_one(executor).await?;
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let base = Duration::from_secs(30);
        assert_eq!(backoff(base, 1), Duration::from_secs(30));
        assert_eq!(backoff(base, 2), Duration::from_secs(60));
        assert_eq!(backoff(base, 4), Duration::from_secs(240));
        assert_eq!(backoff(base, 30), RETRY_MAX);
    }

    #[test]
    fn states_round_trip_through_a_queues_names() {
        let queue = Queue {
            table: "items",
            due: "due_at",
            states: ["queued", "running", "done", "failed", "cancelled"],
            taken_over: None,
            max_attempts: None,
            done_at: "done_at",
            failed_at: None,
            done_by_anyone: false,
            error_of_last_attempt: false,
            claimed: "id",
        };
        for state in State::ALL {
            assert_eq!(queue.state(queue.name(state)), Some(state));
        }
        assert_eq!(queue.state("sending"), None);
    }
}
