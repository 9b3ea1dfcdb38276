//! Background work: the jobs, the worker that runs them, and the scheduler that enqueues them.
//!
//! Every background task is a [`Job`] in the database's queue ([`crate::db::jobs`], one use of
//! the leased queue of [`crate::db::queue`]). The
//! scheduler only enqueues: the trending refresh every [`TRENDING_EVERY`], the digest run every
//! [`DIGESTS_EVERY`] (it composes what is due at each reader's hour and sends the outbox), and,
//! when a daily harvest is configured, yesterday's arXiv records once a day, and with GitHub
//! settings the repositories' stars every [`STARS_EVERY`], and with full texts enabled the
//! recent feed's full texts every [`FULLTEXT_EVERY`], with a model the vectors of new and changed
//! papers every [`EMBED_EVERY`] (and, asked for, their keywords and TL;DRs every
//! [`ANNOTATE_EVERY`]), and with a language model's endpoint the featured papers' summaries as
//! often. On the trending
//! tick each worker also deletes finished jobs after a week, and expired sessions and links.
//! The scheduler runs inside each worker, and de-duplication keys make several workers enqueue
//! each job once. A worker claims one job at a time, renews its lease while it runs, and
//! settles it: done, or queued again after an exponential backoff (`RETRY_BASE` ×
//! 2^(attempt-1), at most `RETRY_MAX`), or failed after its last attempt. A worker killed
//! mid-job loses its lease when the lease expires, and the job runs again on another worker:
//! jobs are at-least-once, so each is idempotent (a refresh recomputes, a harvest upserts, a
//! digest run composes what is missing and sends what the outbox holds, a full-text run
//! fetches what is still due, an embedding or annotation run does what is still due).
//!
//! `paperboy worker` runs a worker; `paperboy serve --with-worker` runs one beside the server.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use paperboy_arxiv::client::ArxivClient;
use paperboy_arxiv::oai::MetadataFormat;
use paperboy_embed::Embedder;
use serde::{Deserialize, Serialize};

use crate::annotate::{Annotator, annotate_catalog};
use crate::db::Db;
use crate::db::jobs::ClaimedJob;
use crate::db::queue::{Dedupe, backoff, worker_name};
use crate::digest::Delivery;
use crate::digest::send::{SendOptions, SendReport};
use crate::domain::feed::FeatureRules;
use crate::fulltext::{FullTextOptions, fetch_due};
use crate::ingest::harvest::{HarvestOptions, harvest};
use crate::progress::Progress;
use crate::search::embedding::embed_catalog;
use crate::stars::{GitHub, StarsOptions, refresh};
use crate::summarize::{Llm, summarize_featured};

/// How often the trending scores are refreshed.
pub const TRENDING_EVERY: Duration = Duration::from_secs(300);
/// How often the repositories' stars are refreshed.
pub const STARS_EVERY: Duration = Duration::from_secs(3600);
/// How often a worker with full texts enabled queues new feed papers and fetches.
pub const FULLTEXT_EVERY: Duration = Duration::from_secs(600);
/// Feed days whose papers the full-text job queues.
const FULLTEXT_FEED_DAYS: u64 = 7;
/// Papers one full-text job fetches at most (with arXiv's 3 s pause, about ten minutes).
const FULLTEXT_PER_RUN: u64 = 200;
/// How often a worker with a model embeds the papers whose vectors are missing or stale.
pub const EMBED_EVERY: Duration = Duration::from_secs(600);
/// Texts per model call of the embedding job (as `paperboy embed`'s default).
const EMBED_BATCH: usize = 64;
/// Papers one embedding job embeds at most (about a minute of both cores with the model); a
/// first run over a large catalog goes on at the next, and other jobs run in between.
const EMBED_PER_RUN: u64 = 1_000;
/// How often a worker with a model annotates the papers that are due.
pub const ANNOTATE_EVERY: Duration = Duration::from_secs(600);
/// Papers one annotation job annotates at most, the newest first (a few minutes of both cores).
const ANNOTATE_PER_RUN: u64 = 1_000;
/// How often due digests are looked for: readers get theirs within this of their hour.
pub const DIGESTS_EVERY: Duration = Duration::from_secs(60);
/// Backoff of the first retry, doubled for each further one, up to an hour.
const RETRY_BASE: Duration = Duration::from_secs(30);
/// Attempts before a job fails for good.
const MAX_ATTEMPTS: i64 = 5;
/// Finished jobs are deleted after this long.
const KEEP_DONE_DAYS: i64 = 7;

/// A unit of background work, stored as JSON in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Recompute the trending scores of the papers in the trending window.
    RefreshTrending,
    /// Harvest arXiv's OAI-PMH records from `from` (to `until`), in `set`.
    Harvest { from: NaiveDate, until: Option<NaiveDate>, set: Option<String> },
    /// Compose the email digests due now and send what the outbox holds.
    Digests,
    /// Refresh the GitHub stars of papers' repositories that are due.
    RefreshStars,
    /// Queue the recent feed's papers for their full texts, and fetch what is due.
    FetchFullTexts,
    /// Embed the papers whose vectors are missing or stale, for semantic search.
    Embed,
    /// Give the papers that are due their keywords and TL;DR.
    Annotate,
    /// Ask the language model for the summaries of the featured papers that are due.
    Summarize,
}

impl Job {
    pub fn kind(&self) -> &'static str {
        match self {
            Job::RefreshTrending => "refresh_trending",
            Job::Harvest { .. } => "harvest",
            Job::Digests => "digests",
            Job::RefreshStars => "refresh_stars",
            Job::FetchFullTexts => "fetch_full_texts",
            Job::Embed => "embed",
            Job::Annotate => "annotate",
            Job::Summarize => "summarize",
        }
    }

    /// Queues the job now, unless `dedupe` says it is queued already.
    pub async fn enqueue(&self, db: &Db, dedupe: Dedupe<'_>) -> anyhow::Result<Option<i64>> {
        let payload = serde_json::to_value(self)?;
        Ok(db.enqueue(self.kind(), &payload, dedupe, Utc::now(), MAX_ATTEMPTS).await?)
    }
}

/// What a worker needs beyond the database.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// arXiv's client, for harvest jobs.
    pub arxiv: ArxivClient,
    pub features: FeatureRules,
    /// Enqueue a harvest of yesterday's records every day (in `set`, if given).
    pub daily_harvest: bool,
    pub harvest_set: Option<String>,
    /// How long a claimed job is held before other workers may take it over; renewed every
    /// third of it while the job runs.
    pub lease: Duration,
    /// How long an idle worker waits before asking for work again.
    pub poll: Duration,
    /// Backoff of the first retry.
    pub retry_base: Duration,
    /// Email digests: composed and sent at each reader's hour when set.
    pub digests: Option<Delivery>,
    /// GitHub's client: the repositories' stars are refreshed every [`STARS_EVERY`] when set.
    pub stars: Option<GitHub>,
    /// Full texts are fetched from arXiv every [`FULLTEXT_EVERY`] when set.
    pub fulltext: Option<FullTextOptions>,
    /// New and changed papers get their vectors from this model every [`EMBED_EVERY`] when set.
    pub embed: Option<Arc<dyn Embedder>>,
    /// Papers get keywords and a TL;DR from this model every [`ANNOTATE_EVERY`] when set.
    pub annotate: Option<Annotator>,
    /// Featured papers get a generative summary from this endpoint every [`ANNOTATE_EVERY`]
    /// when set.
    pub summarize: Option<Llm>,
}

impl WorkerConfig {
    pub fn new(arxiv: ArxivClient, features: FeatureRules) -> WorkerConfig {
        WorkerConfig {
            arxiv,
            features,
            daily_harvest: false,
            harvest_set: None,
            lease: Duration::from_secs(60),
            poll: Duration::from_secs(2),
            retry_base: RETRY_BASE,
            digests: None,
            stars: None,
            fulltext: None,
            embed: None,
            annotate: None,
            summarize: None,
        }
    }
}

/// Enqueues the digest run unless one is queued or running; safe to call from every worker.
pub async fn schedule_digests(db: &Db, config: &WorkerConfig) -> anyhow::Result<()> {
    if config.digests.is_some() {
        Job::Digests.enqueue(db, Dedupe::WhileActive("digests")).await?;
    }
    Ok(())
}

/// Enqueues what is due at this moment; safe to call from every worker, often.
pub async fn schedule(db: &Db, config: &WorkerConfig) -> anyhow::Result<()> {
    Job::RefreshTrending.enqueue(db, Dedupe::WhileActive("refresh_trending")).await?;
    if config.stars.is_some() {
        let hour = Utc::now().timestamp() / STARS_EVERY.as_secs() as i64;
        Job::RefreshStars.enqueue(db, Dedupe::Once(&format!("refresh_stars:{hour}"))).await?;
    }
    if config.fulltext.is_some() {
        let slot = Utc::now().timestamp() / FULLTEXT_EVERY.as_secs() as i64;
        Job::FetchFullTexts.enqueue(db, Dedupe::Once(&format!("fetch_full_texts:{slot}"))).await?;
    }
    if config.embed.is_some() {
        let slot = Utc::now().timestamp() / EMBED_EVERY.as_secs() as i64;
        Job::Embed.enqueue(db, Dedupe::Once(&format!("embed:{slot}"))).await?;
    }
    if config.annotate.is_some() {
        let slot = Utc::now().timestamp() / ANNOTATE_EVERY.as_secs() as i64;
        Job::Annotate.enqueue(db, Dedupe::Once(&format!("annotate:{slot}"))).await?;
    }
    if config.summarize.is_some() {
        let slot = Utc::now().timestamp() / ANNOTATE_EVERY.as_secs() as i64;
        Job::Summarize.enqueue(db, Dedupe::Once(&format!("summarize:{slot}"))).await?;
    }
    if config.daily_harvest {
        let yesterday = Utc::now().date_naive() - chrono::Days::new(1);
        let job = Job::Harvest { from: yesterday, until: Some(yesterday), set: config.harvest_set.clone() };
        let key = format!("harvest:{yesterday}:{}", config.harvest_set.as_deref().unwrap_or("all"));
        job.enqueue(db, Dedupe::Once(&key)).await?;
    }
    Ok(())
}

/// Runs jobs until `shutdown` completes; the job in hand is finished first.
pub async fn run_worker(
    db: Db,
    config: WorkerConfig,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let name = worker_name();
    tracing::info!(worker = %name, "worker started");
    tokio::pin!(shutdown);
    let mut next_schedule = tokio::time::Instant::now();
    let mut next_digests = tokio::time::Instant::now();
    loop {
        let stopping = tokio::select! {
            biased;
            () = &mut shutdown => true,
            () = std::future::ready(()) => false,
        };
        if stopping {
            break;
        }
        if tokio::time::Instant::now() >= next_schedule {
            if let Err(err) = schedule(&db, &config).await {
                tracing::warn!(error = %err, "cannot enqueue the scheduled jobs");
            }
            if let Err(err) = db.prune_jobs(chrono::Duration::days(KEEP_DONE_DAYS)).await {
                tracing::warn!(error = %err, "cannot prune finished jobs");
            }
            if let Err(err) = db.prune_sessions().await {
                tracing::warn!(error = %err, "cannot prune expired sessions");
            }
            next_schedule = tokio::time::Instant::now() + TRENDING_EVERY;
        }
        if tokio::time::Instant::now() >= next_digests {
            if let Err(err) = schedule_digests(&db, &config).await {
                tracing::warn!(error = %err, "cannot enqueue the digest run");
            }
            next_digests = tokio::time::Instant::now() + DIGESTS_EVERY;
        }
        let claimed = db.claim_job(&name, lease_of(&config), Utc::now()).await;
        match claimed {
            Ok(Some(job)) => run_one(&db, &config, &name, job).await,
            Ok(None) => {
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(config.poll) => {}
                }
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot claim a job; retrying");
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(config.poll.max(Duration::from_secs(1))) => {}
                }
            }
        }
    }
    tracing::info!(worker = %name, "worker stopped");
    Ok(())
}

fn lease_of(config: &WorkerConfig) -> chrono::Duration {
    chrono::Duration::from_std(config.lease).unwrap_or(chrono::Duration::seconds(60))
}

/// Runs one claimed job with its lease renewed, and settles it.
async fn run_one(db: &Db, config: &WorkerConfig, worker: &str, job: ClaimedJob) {
    tracing::info!(job = job.id, kind = %job.kind, attempt = job.attempts, worker, "job started");
    let renew = async {
        loop {
            tokio::time::sleep(config.lease / 3).await;
            match db.renew_lease(&job, worker, Utc::now() + lease_of(config)).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(err) => tracing::warn!(error = %err, job = job.id, "cannot renew the lease"),
            }
        }
    };
    let outcome = tokio::select! {
        outcome = execute(db, config, &job) => outcome,
        () = renew => Err(anyhow::anyhow!("another worker took the job over")),
    };
    let settled = match &outcome {
        Ok(()) => db.finish_job(&job, worker).await,
        Err(err) => {
            let retry = (job.attempts < job.max_attempts).then(|| {
                Utc::now()
                    + chrono::Duration::from_std(backoff(config.retry_base, job.attempts)).unwrap_or_default()
            });
            db.fail_job(&job, worker, &format!("{err:#}"), retry).await
        }
    };
    match (outcome, settled) {
        (Ok(()), Ok(true)) => tracing::info!(job = job.id, kind = %job.kind, worker, "job done"),
        (Err(err), Ok(true)) => {
            tracing::warn!(job = job.id, kind = %job.kind, error = %format!("{err:#}"), "job failed")
        }
        (_, Ok(false)) => {
            tracing::warn!(job = job.id, "the job's lease ran out before it finished; another worker has it")
        }
        (_, Err(err)) => tracing::error!(job = job.id, error = %err, "cannot record the job's outcome"),
    }
}

async fn execute(db: &Db, config: &WorkerConfig, job: &ClaimedJob) -> anyhow::Result<()> {
    let parsed: Job = serde_json::from_str(&job.payload).with_context(|| {
        format!("job {} of kind {} has a payload this version cannot read", job.id, job.kind)
    })?;
    match parsed {
        Job::RefreshTrending => {
            let changed = db.refresh_trending(Utc::now()).await?;
            tracing::debug!(changed, "trending scores refreshed");
        }
        Job::Harvest { from, until, set } => {
            let options = HarvestOptions {
                from,
                until,
                set,
                format: MetadataFormat::ArxivRaw,
                restart: false,
                progress: false,
                features: config.features.clone(),
            };
            let report = harvest(db, &config.arxiv, &options).await?;
            tracing::info!(report = %report.summary(), "harvest job");
        }
        Job::RefreshStars => {
            let github = config.stars.as_ref().context("this worker has no GitHub settings for stars")?;
            let report = refresh(db, github, StarsOptions::default()).await?;
            tracing::info!(report = %report.summary(), "stars");
        }
        Job::FetchFullTexts => {
            let options = config.fulltext.clone().context("this worker does not fetch full texts")?;
            let since = Utc::now().date_naive() - chrono::Days::new(FULLTEXT_FEED_DAYS);
            let queued = db.queue_featured_full_texts(since, Utc::now()).await?;
            let options = FullTextOptions { limit: Some(FULLTEXT_PER_RUN), progress: false, ..options };
            let report = fetch_due(db, &config.arxiv, options).await?;
            tracing::info!(queued, report = %report.summary(), "full texts");
        }
        Job::Embed => {
            let model = config.embed.clone().context("this worker has no model to embed with")?;
            let report = embed_catalog(
                db,
                model,
                EMBED_BATCH,
                Some(EMBED_PER_RUN),
                &Progress::records(false, "embedding"),
            )
            .await?;
            tracing::info!(report = %report.summary(), "embeddings");
        }
        Job::Annotate => {
            let Annotator(model) =
                config.annotate.clone().context("this worker has no model to annotate with")?;
            let report =
                annotate_catalog(db, model, Some(ANNOTATE_PER_RUN), &Progress::records(false, "annotating"))
                    .await?;
            tracing::info!(report = %report.summary(), "annotations");
        }
        Job::Summarize => {
            let llm = config.summarize.as_ref().context("this worker has no summary endpoint")?;
            let report = summarize_featured(db, llm).await?;
            tracing::info!(report = %report.summary(), "summaries");
        }
        Job::Digests => {
            let delivery = config.digests.as_ref().context("this worker has no mail settings for digests")?;
            // Retries wait for the next run rather than holding the job.
            let delivery =
                Delivery { send: SendOptions { wait: false, ..delivery.send.clone() }, ..delivery.clone() };
            let (composed, sent) = delivery.run(db, None, false, false).await?;
            if composed.readers > 0 || sent.is_some_and(|sent| sent != SendReport::default()) {
                tracing::info!(
                    composed = %composed.summary(),
                    sent = %sent.map(|sent| sent.summary()).unwrap_or_default(),
                    "digests"
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_round_trip_as_json() {
        let job =
            Job::Harvest { from: "2026-11-26".parse().expect("date"), until: None, set: Some("cs".into()) };
        let text = serde_json::to_string(&job).expect("json");
        assert_eq!(text, r#"{"kind":"harvest","from":"2026-11-26","until":null,"set":"cs"}"#);
        assert_eq!(serde_json::from_str::<Job>(&text).expect("back"), job);
        assert_eq!(
            serde_json::to_string(&Job::RefreshTrending).expect("json"),
            r#"{"kind":"refresh_trending"}"#
        );
    }
}
