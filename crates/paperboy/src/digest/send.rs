//! Delivering the outbox: concurrent senders, each claiming a few digests at a time, as many at
//! once as the SMTP server answers without keeping messages waiting ([`crate::digest::pace`]).
//! On SQLite the run's writes take turns in process, and a sender hands a message's content to
//! the server only while it holds a turn, until the digest's `sent` record commits: at most
//! `in_doubt` digests of the run (one by default) are ever in doubt, and their records never
//! wait behind other writes.
//!
//! A sender claims digests (marking them `sending` under a lease), then one by one renders
//! each, hands it to the mailer and records the outcome in one transaction: `sent`; `queued`
//! again after a transient failure (no connection, a 4xx reply), at `retry_base` ×
//! 2^(attempt−1), at most an hour; `failed` with a bounce counted on a permanent refusal (5xx),
//! or after `max_attempts`. Unsubscribing (or a pause after bounces) cancels a reader's queued
//! digests. `deliver` returns when nothing is left to claim, or, with `wait`, when nothing is
//! left to send at all: it sleeps until the next retry or lease end, so one
//! `paperboy digest run` outlasts an SMTP outage.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;

use crate::db::digests::{ClaimedDigest, PeriodPaper};
use crate::db::queue::{backoff, worker_name};
use crate::db::{Db, DbError, Engine};
use crate::digest::pace::Pace;
use crate::digest::render::{DigestPaper, Renderer};
use crate::domain::accounts::Email;
use crate::domain::digest::Pick;
use crate::domain::digest::{Mode, Period};
use crate::mail::Outbox;
use crate::progress::Progress;

/// Digests a sender claims at once: fewer claims, and few enough to send well within a lease.
const CLAIM_BATCH: i64 = 8;

/// How a delivery run behaves.
#[derive(Debug, Clone)]
pub struct SendOptions {
    /// Digests handed to the mailer at once, at most: the pace finds how many the server
    /// answers without keeping messages waiting.
    pub concurrency: usize,
    /// Digests that may be in doubt at once (handed to the server, their `sent` record not
    /// committed yet): each is a second copy should the run be killed. With 1, a run sends at
    /// most one message per answer of the server; a distant relay wants more.
    pub in_doubt: usize,
    /// How long a claimed digest is held before another sender may take it over.
    pub lease: Duration,
    /// Backoff of the first retry.
    pub retry_base: Duration,
    /// Attempts before a digest fails for good.
    pub max_attempts: i64,
    /// Keep going until every digest is sent or failed, sleeping through retries.
    pub wait: bool,
}

impl Default for SendOptions {
    fn default() -> Self {
        SendOptions {
            concurrency: 8,
            in_doubt: 1,
            lease: Duration::from_secs(120),
            retry_base: Duration::from_secs(30),
            max_attempts: 8,
            wait: true,
        }
    }
}

/// What a delivery run did.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SendReport {
    pub sent: u64,
    /// Attempts that failed and will be tried again.
    pub retried: u64,
    /// Digests the server refused for good.
    pub bounced: u64,
    /// Digests that failed their last attempt.
    pub failed: u64,
    /// Digests taken over from a sender that died holding them, and sent again.
    pub in_doubt: u64,
    /// Senders the pace let hand messages over at once when the run ended.
    pub senders: usize,
    /// Digests in doubt on average while sending (Little's law over each one's time from the
    /// first byte of its content to the server until its `sent` commit): the second copies a
    /// kill at a random moment would leave.
    pub average_in_doubt: f64,
}

impl SendReport {
    pub fn summary(&self) -> String {
        format!(
            "{} sent, {} attempts to retry, {} bounced, {} failed, {} taken over from a stopped sender; \
             {} senders at once at the end, {:.2} digests in doubt on average",
            self.sent,
            self.retried,
            self.bounced,
            self.failed,
            self.in_doubt,
            self.senders,
            self.average_in_doubt
        )
    }
}

#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    retried: AtomicU64,
    bounced: AtomicU64,
    failed: AtomicU64,
    in_doubt: AtomicU64,
    /// Microseconds digests spent in doubt, summed.
    doubt_micros: AtomicU64,
}

impl Counters {
    fn report(&self, senders: usize, elapsed: Duration) -> SendReport {
        SendReport {
            sent: self.sent.load(Ordering::Relaxed),
            retried: self.retried.load(Ordering::Relaxed),
            bounced: self.bounced.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            in_doubt: self.in_doubt.load(Ordering::Relaxed),
            senders,
            average_in_doubt: self.doubt_micros.load(Ordering::Relaxed) as f64
                / elapsed.as_micros().max(1) as f64,
        }
    }
}

/// What every sender of one run shares.
struct Sender {
    db: Db,
    outbox: Outbox,
    renderer: Renderer,
    options: SendOptions,
    worker: String,
    /// Papers read so far in this run: a period's readers share most of theirs.
    papers: Mutex<HashMap<String, Arc<PeriodPaper>>>,
    counters: Counters,
    progress: Progress,
    pace: Pace,
    /// On SQLite, where one transaction writes at a time: the run's writes take turns here
    /// (`in_doubt` at once), and a digest is handed to the server only by a sender holding a
    /// turn, which keeps it until the digest's `sent` record commits. So at most `in_doubt`
    /// digests of the run are in doubt at once, and their records never wait behind the run's
    /// other writes.
    writes: tokio::sync::Semaphore,
}

/// Sends what the outbox holds; see the module's documentation.
pub async fn deliver(
    db: &Db,
    outbox: &Outbox,
    renderer: &Renderer,
    options: &SendOptions,
    progress: Progress,
) -> Result<SendReport, DbError> {
    let started = Instant::now();
    let sender = Arc::new(Sender {
        db: db.clone(),
        outbox: outbox.clone(),
        renderer: renderer.clone(),
        options: options.clone(),
        worker: worker_name(),
        papers: Mutex::new(HashMap::new()),
        counters: Counters::default(),
        progress,
        pace: Pace::new(options.concurrency, options.in_doubt),
        writes: tokio::sync::Semaphore::new(options.in_doubt.max(1)),
    });
    loop {
        let mut lanes = tokio::task::JoinSet::new();
        for _ in 0..options.concurrency.max(1) {
            let sender = sender.clone();
            lanes.spawn(async move { sender.drain().await });
        }
        while let Some(joined) = lanes.join_next().await {
            joined.unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()))?;
        }
        if !options.wait || db.outbox_counts().await?.pending() == 0 {
            break;
        }
        let now = Utc::now();
        let next = db.next_digest_at().await?.unwrap_or(now);
        let pause = (next - now)
            .to_std()
            .unwrap_or_default()
            .clamp(Duration::from_millis(50), Duration::from_secs(60));
        tokio::time::sleep(pause).await;
    }
    sender.progress.finish();
    Ok(sender.counters.report(sender.pace.allowed(), started.elapsed()))
}

impl Sender {
    /// The run's write turn on SQLite; nothing to wait for on PostgreSQL, which locks rows.
    async fn write_turn(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        match self.db.engine() {
            // The semaphore lives as long as the run and is never closed.
            Engine::Sqlite => self.writes.acquire().await.ok(),
            Engine::Postgres => None,
        }
    }

    /// Claims and sends digests, a few at a time, until none is left to claim now. Digests of
    /// a claim not attempted before half its lease has passed are given back.
    async fn drain(&self) -> Result<(), DbError> {
        let lease = chrono::Duration::from_std(self.options.lease).unwrap_or(chrono::Duration::minutes(2));
        loop {
            let _turn = self.pace.turn().await;
            let claimed_at = Instant::now();
            let claimed = {
                let _writing = self.write_turn().await;
                self.db.claim_digests(&self.worker, lease, Utc::now(), CLAIM_BATCH).await?
            };
            if claimed.is_empty() {
                return Ok(());
            }
            // Every attempt ends while the lease still holds, with a quarter of it left to
            // record the outcome: no other sender takes a digest over while its sender lives.
            let deadline = tokio::time::Instant::from_std(claimed_at + self.options.lease * 3 / 4);
            for (n, digest) in claimed.iter().enumerate() {
                if claimed_at.elapsed() > self.options.lease / 2 {
                    let _writing = self.write_turn().await;
                    self.db.release_digests(&claimed[n..]).await?;
                    break;
                }
                self.send(digest, deadline).await?;
                let c = &self.counters;
                self.progress.set_records(c.sent.load(Ordering::Relaxed) + c.bounced.load(Ordering::Relaxed));
            }
        }
    }

    async fn send(&self, digest: &ClaimedDigest, deadline: tokio::time::Instant) -> Result<(), DbError> {
        let counters = &self.counters;
        if digest.taken_over {
            counters.in_doubt.fetch_add(1, Ordering::Relaxed);
        }
        let mail = match self.mail(digest).await? {
            Ok(mail) => mail,
            Err(why) => {
                counters.failed.fetch_add(1, Ordering::Relaxed);
                let _writing = self.write_turn().await;
                return self.db.digest_failed(digest, false, &why).await;
            }
        };
        let mailer = &self.outbox.mailer;
        let sent = match tokio::time::timeout_at(
            deadline,
            mailer.send_gated(&self.outbox.from, &mail, self.write_turn()),
        )
        .await
        {
            Ok(sent) => sent,
            Err(_) => {
                counters.retried.fetch_add(1, Ordering::Relaxed);
                let at = Utc::now() + chrono::Duration::from_std(self.options.retry_base).unwrap_or_default();
                let _writing = self.write_turn().await;
                return self.db.digest_retry(digest, "the attempt ran out of its lease", at).await;
            }
        };
        let err = match sent {
            Ok((content, _writing)) => {
                counters.sent.fetch_add(1, Ordering::Relaxed);
                let recording = Instant::now();
                self.db.digest_sent(digest).await?;
                if let Some(content) = content {
                    self.pace.accepted(content);
                    let doubt = (content + recording.elapsed()).as_micros() as u64;
                    counters.doubt_micros.fetch_add(doubt, Ordering::Relaxed);
                }
                return Ok(());
            }
            Err(err) => err,
        };
        let _writing = self.write_turn().await;
        if err.is_permanent() {
            let bounce = err.is_bounce();
            let counter = if bounce { &counters.bounced } else { &counters.failed };
            counter.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(digest = digest.id, error = %err, bounce, "digest refused for good");
            self.db.digest_failed(digest, bounce, &err.to_string()).await
        } else if digest.attempts >= self.options.max_attempts {
            counters.failed.fetch_add(1, Ordering::Relaxed);
            let why = format!("gave up after {} attempts: {err}", digest.attempts);
            self.db.digest_failed(digest, false, &why).await
        } else {
            counters.retried.fetch_add(1, Ordering::Relaxed);
            let wait = backoff(self.options.retry_base, digest.attempts);
            let at = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
            tracing::debug!(digest = digest.id, error = %err, "digest not sent; retrying");
            self.db.digest_retry(digest, &err.to_string(), at).await
        }
    }

    /// The rendered digest, or why it cannot be rendered.
    async fn mail(&self, digest: &ClaimedDigest) -> Result<Result<crate::mail::Mail, String>, DbError> {
        let (Ok(email), Ok(period), Ok(picks)) = (
            digest.recipient.parse::<Email>(),
            digest.period.parse::<Period>(),
            serde_json::from_str::<Vec<Pick>>(&digest.papers),
        ) else {
            return Ok(Err("the digest's stored address, period or papers cannot be read".into()));
        };
        let mode = digest.mode.parse().unwrap_or(Mode::Trending);
        let mut papers = Vec::with_capacity(picks.len());
        for pick in &picks {
            if let Some(paper) = self.paper(&pick.id).await? {
                papers.push(DigestPaper::new(self.renderer.base_url(), &paper, pick));
            }
        }
        if papers.is_empty() {
            return Ok(Err("none of its papers is in the catalog any more".into()));
        }
        Ok(Ok(self.renderer.render(
            digest.subscription_id,
            &email,
            mode,
            period,
            &papers,
            &digest.message_id,
        )))
    }

    async fn paper(&self, id: &str) -> Result<Option<Arc<PeriodPaper>>, DbError> {
        if let Some(paper) = self.papers.lock().unwrap_or_else(|e| e.into_inner()).get(id) {
            return Ok(Some(paper.clone()));
        }
        let Some(paper) = self.db.digest_paper(id).await? else { return Ok(None) };
        let paper = Arc::new(paper);
        self.papers.lock().unwrap_or_else(|e| e.into_inner()).insert(id.to_owned(), paper.clone());
        Ok(Some(paper))
    }
}
