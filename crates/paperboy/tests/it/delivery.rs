//! Digest delivery against a real SMTP server on loopback (`tests/clients/smtp_sink.py`, on
//! aiosmtpd from `PAPERBOY_TEST_PYTHON`), counted at the server: a thousand digests while the
//! sender is killed with SIGKILL again and again, a run that outlasts the server going down,
//! and bounces that pause a subscription. Without `PAPERBOY_TEST_PYTHON` each test says loudly
//! that it checked nothing.
//!
//! What the design guarantees, and so what these tests assert: every digest is delivered; a
//! reader gets a second copy only of a digest whose attempt was cut off after the server may
//! have taken it (the outbox counts those attempts), and every copy carries the digest's one
//! `Message-ID`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use paperboy::db::Db;
use paperboy::db::digests::{DigestRecord, SubscriptionState};
use paperboy::db::queue::State;
use paperboy::digest::Delivery;
use paperboy::digest::send::SendOptions;
use paperboy::domain::digest::{Period, Preferences};
use paperboy::mail::Mailer;
use paperboy::mail::Outbox;

use crate::harness::TestDb;
use crate::harness::fixtures::{papers_of_yesterday, recent, store, subscribed, yesterday};
use crate::harness::mail::{Sink, header, python};

/// `paperboy digest run` for yesterday's digests, as a child process.
fn digest_run(database: &[String], smtp: &str, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_paperboy"))
        .args(database)
        .args([
            "--smtp-url",
            smtp,
            "--base-url",
            "http://paperboy.test",
            "--mail-from",
            "Paperboy <news@paperboy.test>",
        ])
        .args(["digest", "run", "--period", &format!("day:{}", yesterday())])
        .args(extra)
        .env_remove("PAPERBOY_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_for(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("`paperboy digest run` did not finish within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Messages received per recipient, with their Message-IDs.
fn received(sink: &Sink) -> HashMap<String, Vec<String>> {
    let mut by_reader: HashMap<String, Vec<String>> = HashMap::new();
    for message in sink.messages() {
        let to = header(&message, "To").unwrap();
        by_reader.entry(to).or_default().push(header(&message, "Message-ID").unwrap());
    }
    by_reader
}

/// Checks what the design guarantees for every digest of the period; returns the copies
/// received beyond one.
fn assert_delivered_once_each(
    records: &[DigestRecord],
    received: &HashMap<String, Vec<String>>,
    allowance: impl Fn(&DigestRecord) -> i64,
) -> usize {
    let mut extra = 0;
    for record in records {
        assert_eq!(record.state, State::Done, "sent: {record:?}");
        let copies =
            received.get(&record.email).unwrap_or_else(|| panic!("nothing reached {}", record.email));
        assert!(
            copies.iter().all(|id| *id == record.message_id),
            "{}: {copies:?} vs {}",
            record.email,
            record.message_id
        );
        let allowed = 1 + allowance(record);
        assert!(
            copies.len() as i64 <= allowed,
            "{} got {} copies; {allowed} allowed: {record:?}",
            record.email,
            copies.len()
        );
        extra += copies.len() - 1;
    }
    assert_eq!(received.len(), records.len(), "mail went to someone without a digest");
    extra
}

async fn readers(db: &Db, count: usize) {
    papers_of_yesterday(db, 5).await;
    for n in 0..count {
        subscribed(db, &format!("reader{n:04}@example.org"), &Preferences::default()).await;
    }
}

/// A small random generator, seeded from the clock and printed, so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[tokio::test]
async fn a_thousand_digests_arrive_once_each_while_the_sender_is_killed() {
    let Some(python) = python() else { return };
    let test_db = TestDb::sqlite().await;
    readers(&test_db.db, 1000).await;
    let sink = Sink::start(&python);
    let database = vec!["--data-dir".to_owned(), test_db.data_dir().display().to_string()];
    let options = ["--lease", "1", "--retry-base", "0.2", "--concurrency", "8"];
    let seed = std::env::var("PAPERBOY_TEST_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    });
    eprintln!("kill schedule seed {seed} (PAPERBOY_TEST_SEED replays it)");
    let mut random = Lcg(seed);
    let mut kills = 0;
    let mut received_before_kills = Vec::new();
    for _ in 0..6 {
        // Each run is killed once the server has taken 50 to 250 more messages, and then up to
        // 20 ms more, so that the kill is mid-sending however fast this machine sends, and not
        // tied to the moment the server stores a message.
        let mut child = digest_run(&database, &sink.url(), &options);
        let target = sink.count() + 50 + random.below(200) as usize;
        let deadline = Instant::now() + Duration::from_secs(60);
        while sink.count() < target && child.try_wait().unwrap().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(random.below(20)));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            kills += 1;
            received_before_kills.push(sink.count());
        }
        child.wait().unwrap();
    }
    let mut last = digest_run(&database, &sink.url(), &options);
    let status = wait_for(&mut last, Duration::from_secs(240));
    let mut stderr = String::new();
    std::io::Read::read_to_string(last.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "{stderr}");
    eprintln!("SIGKILLed {kills} times, with {received_before_kills:?} messages at the server at each kill");
    assert!(kills >= 3, "the runs finished before they could be killed: make the test bigger");
    assert!(received_before_kills.iter().any(|n| *n > 0 && *n < 1000), "no kill landed mid-sending");

    let records = test_db.db.digest_records(Some(Period::Day(yesterday()))).await.unwrap();
    assert_eq!(records.len(), 1000);
    let received = received(&sink);
    let extra = assert_delivered_once_each(&records, &received, |record| record.in_doubt);
    let in_doubt: i64 = records.iter().map(|r| r.in_doubt).sum();
    eprintln!("1000 readers: {extra} second copies, {in_doubt} attempts in doubt after a kill");
    assert!(extra as i64 <= in_doubt);
}

#[tokio::test]
async fn a_run_outlasts_the_smtp_server_going_down() {
    let Some(python) = python() else { return };
    let test_db = TestDb::postgres().await;
    readers(&test_db.db, 400).await;
    let mut sink = Sink::start(&python);
    let database = vec!["--database-url".to_owned(), test_db.postgres_url()];
    let mut run = digest_run(&database, &sink.url(), &["--retry-base", "0.3", "--concurrency", "4"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while sink.count() < 100 {
        assert!(Instant::now() < deadline, "the run sent nothing");
        std::thread::sleep(Duration::from_millis(20));
    }
    sink.kill();
    let at_outage = sink.count();
    std::thread::sleep(Duration::from_secs(2));
    sink.restart();
    let status = wait_for(&mut run, Duration::from_secs(180));
    assert!(status.success());
    let records = test_db.db.digest_records(Some(Period::Day(yesterday()))).await.unwrap();
    assert_eq!(records.len(), 400);
    let retried = records.iter().filter(|r| r.attempts > 1).count();
    assert!(retried > 0 && at_outage < 400, "the outage happened mid-run: {at_outage} sent before it");
    let stale: Vec<_> = records.iter().filter(|r| r.last_error.is_some()).collect();
    assert!(stale.is_empty(), "a digest sent after a retry keeps no error: {stale:?}");
    let received = received(&sink);
    // Only an attempt the server cut off can have left a copy behind: at most one per retry.
    let extra = assert_delivered_once_each(&records, &received, |record| record.attempts - 1);
    eprintln!("400 readers: {at_outage} sent before the outage, {retried} retried, {extra} second copies");
}

#[tokio::test]
async fn permanent_refusals_are_recorded_and_pause_the_subscription() {
    let Some(python) = python() else { return };
    let test_db = TestDb::sqlite().await;
    let db = &test_db.db;
    let sink = Sink::start(&python);
    let papers = (1..=4).map(|days| recent(&format!("2611.0070{days}"), "A paper", days)).collect();
    store(db, papers).await;
    let bounce = subscribed(db, "bounce@example.org", &Preferences::default()).await;
    let rejected = subscribed(db, "reject@example.org", &Preferences::default()).await;
    subscribed(db, "fine@example.org", &Preferences::default()).await;
    let outbox = Outbox {
        mailer: Mailer::new(Some(&sink.url()), PathBuf::from("unused")).unwrap(),
        from: "Paperboy <news@paperboy.test>".parse().unwrap(),
    };
    let delivery = Delivery { outbox, base_url: "http://paperboy.test".into(), send: SendOptions::default() };
    for days in (1..=4).rev() {
        let period = Period::Day(chrono::Utc::now().date_naive() - chrono::Days::new(days));
        delivery.run(db, Some(period), false, false).await.unwrap();
    }
    let records = db.digest_records(None).await.unwrap();
    let of = |email: &str| records.iter().filter(|r| r.email == email).collect::<Vec<_>>();
    assert_eq!(of("fine@example.org").len(), 4);
    let bounced = of("bounce@example.org");
    assert_eq!(bounced.len(), 3, "three refusals in a row pause it: the fourth is not composed");
    for record in &bounced {
        assert_eq!((record.state, record.attempts), (State::Failed, 1), "a 5xx is not retried");
        assert!(record.last_error.as_deref().unwrap().contains("550"), "{record:?}");
    }
    let history = db.digest_history(bounced[0].id).await.unwrap();
    assert_eq!(history.last().unwrap().1, "bounced");
    let subscription = db.subscription(bounce).await.unwrap().unwrap();
    assert_eq!((subscription.state, subscription.bounces), (SubscriptionState::Paused, 3));
    // A refused message is not the reader's fault: recorded, not retried, not a bounce.
    let refused = of("reject@example.org");
    assert_eq!(refused.len(), 4);
    assert!(refused.iter().all(|r| r.state == State::Failed && r.attempts == 1), "{refused:?}");
    assert!(refused[0].last_error.as_deref().unwrap().contains("554"), "{refused:?}");
    let subscription = db.subscription(rejected).await.unwrap().unwrap();
    assert_eq!((subscription.state, subscription.bounces), (SubscriptionState::Active, 0));
    assert_eq!(sink.count(), 4);
}
