//! The job queue: de-duplication, leases, retries with backoff, and two `paperboy worker`
//! processes sharing one PostgreSQL queue while one of them is killed mid-job.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use paperboy::db::Db;
use paperboy::db::queue::Dedupe;
use paperboy::jobs::Job;
use serde_json::json;

use crate::harness::{ReplayServer, Scripted, TestDb, fixture, on_both_engines};

async fn the_queue_deduplicates_retries_and_settles_once(db: &Db) {
    let now = Utc::now();
    let lease = chrono::Duration::seconds(30);
    let payload = json!({"kind": "refresh_trending"});
    let first =
        db.enqueue("refresh_trending", &payload, Dedupe::WhileActive("refresh"), now, 3).await.unwrap();
    assert!(first.is_some());
    assert_eq!(
        db.enqueue("refresh_trending", &payload, Dedupe::WhileActive("refresh"), now, 3).await.unwrap(),
        None
    );

    let job = db.claim_job("a", lease, now).await.unwrap().unwrap();
    assert_eq!((job.attempts, job.kind.as_str()), (1, "refresh_trending"));
    assert!(db.claim_job("b", lease, now).await.unwrap().is_none(), "a held job is nobody else's");
    // A failed attempt comes back after its backoff, not before.
    let retry_at = now + chrono::Duration::seconds(60);
    assert!(db.fail_job(&job, "a", "arXiv said 500", Some(retry_at)).await.unwrap());
    assert!(db.claim_job("b", lease, now).await.unwrap().is_none());
    let again = db.claim_job("b", lease, retry_at).await.unwrap().unwrap();
    assert_eq!(again.attempts, 2);
    assert!(!db.finish_job(&again, "a").await.unwrap(), "only the holder settles a job");
    assert!(db.finish_job(&again, "b").await.unwrap());
    assert!(!db.finish_job(&again, "b").await.unwrap(), "a job is settled once");
    // Done, the key is free again; a `Once` key never is.
    assert!(
        db.enqueue("refresh_trending", &payload, Dedupe::WhileActive("refresh"), now, 3)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        db.enqueue("harvest", &payload, Dedupe::Once("harvest:2026-11-26"), now, 3).await.unwrap().is_some()
    );
    let harvest = db.claim_job("a", lease, now + chrono::Duration::seconds(1)).await.unwrap().unwrap();
    let _refresh = db.claim_job("a", lease, now + chrono::Duration::seconds(1)).await.unwrap().unwrap();
    db.finish_job(&harvest, "a").await.unwrap();
    assert_eq!(
        db.enqueue("harvest", &payload, Dedupe::Once("harvest:2026-11-26"), now, 3).await.unwrap(),
        None
    );
    let counts = db.job_counts().await.unwrap();
    assert_eq!((counts.done, counts.running, counts.queued, counts.failed), (2, 1, 0, 0));
}
on_both_engines!(the_queue_deduplicates_retries_and_settles_once);

async fn a_dead_workers_job_is_taken_over_after_its_lease(db: &Db) {
    let now = Utc::now();
    let lease = chrono::Duration::seconds(10);
    db.enqueue("refresh_trending", &json!({"kind": "refresh_trending"}), Dedupe::None, now, 2).await.unwrap();
    let held = db.claim_job("dead", lease, now).await.unwrap().unwrap();
    let later = now + chrono::Duration::seconds(11);
    let taken = db.claim_job("alive", lease, later).await.unwrap().unwrap();
    assert_eq!((taken.id, taken.attempts), (held.id, 2));
    assert!(!db.renew_lease(&held, "dead", later).await.unwrap(), "the dead worker lost it");
    assert!(!db.finish_job(&held, "dead").await.unwrap());
    // Abandoned again on its last attempt, it fails instead of running a third time.
    let much_later = later + chrono::Duration::seconds(11);
    assert!(db.claim_job("third", lease, much_later).await.unwrap().is_none());
    let counts = db.job_counts().await.unwrap();
    assert_eq!(counts.failed, 1);
    assert!(!db.finish_job(&taken, "alive").await.unwrap());
}
on_both_engines!(a_dead_workers_job_is_taken_over_after_its_lease);

/// Jobs that take a while: harvests of distinct days from a server that answers slowly.
const JOBS: usize = 16;
const ANSWER: Duration = Duration::from_millis(400);

#[tokio::test]
async fn two_workers_share_the_queue_and_a_killed_workers_job_runs_again_once() {
    let test_db = TestDb::postgres().await;
    let db = &test_db.db;
    let replies = (0..JOBS + 4).map(|_| Scripted::file(fixture("oai-last-page.xml")).after(ANSWER)).collect();
    let server = ReplayServer::start(replies).await;
    let first: chrono::NaiveDate = "2026-10-01".parse().unwrap();
    for day in 0..JOBS as u64 {
        let from = first + chrono::Days::new(day);
        Job::Harvest { from, until: Some(from), set: None }.enqueue(db, Dedupe::None).await.unwrap();
    }
    let url = test_db.postgres_url();
    let worker = || {
        Command::new(env!("CARGO_BIN_EXE_paperboy"))
            .args(["--database-url", &url, "worker", "--oai-url", &server.url, "--delay", "0"])
            .args(["--attempts", "1", "--job-lease", "3", "--job-poll", "0.1"])
            .env_remove("PAPERBOY_MODEL_DIR")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut doomed = worker();
    let mut survivor = worker();

    // Kill the first worker while it holds a harvest.
    let started = Instant::now();
    let pattern = format!("{}-%", doomed.id());
    let killed_job: i64 = loop {
        let held: Option<i64> = sqlx_scalar(
            db,
            "SELECT id FROM jobs WHERE kind = 'harvest' AND state = 'running' AND worker LIKE $1",
            &pattern,
        )
        .await;
        if let Some(id) = held {
            break id;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the first worker never took a job");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    doomed.kill().unwrap();
    doomed.wait().unwrap();

    // The survivor finishes everything, the killed job included, once its lease runs out.
    loop {
        let counts = db.job_counts().await.unwrap();
        if counts.queued == 0 && counts.running == 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(90), "jobs left: {counts:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    survivor.kill().unwrap();
    survivor.wait().unwrap();

    let Db::Postgres(pool) = db else { unreachable!() };
    let rows: Vec<(i64, String, String, i64)> =
        sqlx::query_as("SELECT id, state, payload, attempts FROM jobs WHERE kind = 'harvest' ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), JOBS);
    for (id, state, _, attempts) in &rows {
        assert_eq!(state, "done", "job {id}: none is lost");
        let expected = if *id == killed_job { 2 } else { 1 };
        assert_eq!(*attempts, expected, "job {id} ran {attempts} times");
    }
    // At the server: each day asked for once, the killed job's day at most twice, and never by
    // both workers at the same time.
    let mut asked: HashMap<String, Vec<Instant>> = HashMap::new();
    for seen in server.seen() {
        let from = seen.query.split('&').find_map(|p| p.strip_prefix("from=")).unwrap().to_owned();
        asked.entry(from).or_default().push(seen.at);
    }
    let killed_day = rows.iter().find(|r| r.0 == killed_job).map(|r| r.2.clone()).unwrap();
    assert_eq!(asked.len(), JOBS);
    for (day, times) in &asked {
        if killed_day.contains(day.as_str()) {
            assert!(times.len() <= 2, "{day}: {times:?}");
            if let [first, second] = times.as_slice() {
                assert!(
                    second.duration_since(*first) >= Duration::from_secs(2),
                    "the retry waited for the lease"
                );
            }
        } else {
            assert_eq!(times.len(), 1, "{day} was harvested {} times", times.len());
        }
    }
}

async fn sqlx_scalar(db: &Db, sql: &'static str, bind: &str) -> Option<i64> {
    let Db::Postgres(pool) = db else { unreachable!() };
    sqlx::query_scalar(sql).bind(bind).fetch_optional(pool).await.unwrap()
}
