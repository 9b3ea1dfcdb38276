//! `paperboy bench digest`: composes and sends one digest to each of `--readers` subscribers
//! through a real SMTP server, into a fresh SQLite database holding the demo papers.
//!
//! Readers get a mix of settings (most the defaults; some categories, keywords, shorter
//! digests), all for the demo's busiest feed day. The baseline, run first in the same process,
//! sends one pre-rendered digest as many times as a run's worth of throughput needs through the
//! same pooled connections and concurrency: what the SMTP server and lettre allow with no
//! database, composing or rendering. Peak RSS is the process's peak during the run, which
//! stays flat as readers grow: subscriptions are read 500 at a time, the outbox one digest at
//! a time.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use tokio::task::JoinSet;

use super::import::{format_rss, median, peak_rss_kib, reset_peak_rss};
use crate::cli::BenchDigestArgs;
use crate::db::{Db, with_pool};
use crate::digest::Delivery;
use crate::digest::compose::Composer;
use crate::digest::send::{SendOptions, deliver};
use crate::domain::digest::{Period, Preferences};
use crate::domain::feed::FeatureRules;
use crate::mail::Outbox;
use crate::mail::{Mail, Mailer};
use crate::progress::Progress;

/// Subscriptions inserted per statement.
const ROWS_PER_INSERT: u64 = 500;

/// Runs the benchmark and returns its report as Markdown.
pub async fn bench_digest(args: &BenchDigestArgs) -> anyhow::Result<String> {
    let scratch = tempfile::tempdir().context("creating a scratch directory")?;
    let db = Db::open_embedded(scratch.path()).await?;
    db.migrate().await?;
    crate::demo::load_demo(&db, &FeatureRules::default(), false).await?;
    let day = busiest_day(&db).await?;
    eprintln!("demo papers loaded; digests of the feed of {day}");
    insert_readers(&db, args.readers).await?;
    let outbox = Outbox {
        mailer: Mailer::new(Some(&args.to), scratch.path().join("unused"))?,
        from: "Paperboy <digest@paperboy.bench>".parse().map_err(|err| anyhow::anyhow!("{err}"))?,
    };
    let delivery = Delivery {
        outbox: outbox.clone(),
        base_url: "https://paperboy.bench".into(),
        send: SendOptions { concurrency: args.concurrency as usize, wait: false, ..SendOptions::default() },
    };
    let period = Period::Day(day);

    let sample = sample_digest(&db, &delivery, period).await?;
    let mut baseline_runs = Vec::new();
    for run in 1..=3 {
        let elapsed = send_raw(&outbox, &sample, args.baseline_messages, args.concurrency as usize).await?;
        eprintln!(
            "baseline run {run}: {} messages in {:.2} s",
            args.baseline_messages,
            elapsed.as_secs_f64()
        );
        baseline_runs.push(elapsed);
    }
    let baseline = median(baseline_runs);
    let baseline_rate = args.baseline_messages as f64 / baseline.as_secs_f64();

    reset_peak_rss();
    let started = Instant::now();
    let mut composer = Composer::new(&db, &delivery.base_url);
    let composed = composer.compose_period(period, &Progress::records(false, "compose")).await?;
    let compose_time = started.elapsed();
    eprintln!("composed in {:.1} s: {}", compose_time.as_secs_f64(), composed.summary());
    let renderer = delivery.renderer(&db).await?;
    let send_started = Instant::now();
    let sent = deliver(&db, &outbox, &renderer, &delivery.send, Progress::records(false, "send")).await?;
    let send_time = send_started.elapsed();
    let total = started.elapsed();
    let peak = peak_rss_kib();
    eprintln!("sent in {:.1} s: {}", send_time.as_secs_f64(), sent.summary());
    let counts = db.outbox_counts().await?;
    anyhow::ensure!(counts.pending() == 0 && counts.failed == 0, "not everything was sent: {counts:?}");
    db.close().await;

    let rate = |n: u64, time: Duration| n as f64 / time.as_secs_f64();
    Ok(format!(
        "digests to {} readers through {} (concurrency {}), feed of {day}\n\n\
         | step | time s | per second | peak RSS | vs baseline |\n\
         | --- | --- | --- | --- | --- |\n\
         | baseline: one pre-rendered message, median of 3 × {} | {:.2} | {:.0} | | 1.00x |\n\
         | compose ({} queued, {} empty) | {:.1} | {:.0} | | |\n\
         | send: claim, render, hand over, record | {:.1} | {:.0} | | {:.2}x |\n\
         | **whole run** | **{:.1}** | **{:.0}** | **{}** | {:.2}x |\n",
        args.readers,
        args.to,
        args.concurrency,
        args.baseline_messages,
        baseline.as_secs_f64(),
        baseline_rate,
        composed.queued,
        composed.empty,
        compose_time.as_secs_f64(),
        rate(composed.readers, compose_time),
        send_time.as_secs_f64(),
        rate(sent.sent, send_time),
        rate(sent.sent, send_time) / baseline_rate,
        total.as_secs_f64(),
        rate(sent.sent, total),
        format_rss(peak),
        rate(sent.sent, total) / baseline_rate,
    ))
}

/// The feed day with the most papers.
async fn busiest_day(db: &Db) -> anyhow::Result<NaiveDate> {
    let day: Option<NaiveDate> = with_pool!(db, |pool, DB| {
        sqlx::query_scalar(
            "SELECT feed_date FROM feed_entries GROUP BY feed_date ORDER BY COUNT(*) DESC LIMIT 1",
        )
        .fetch_optional(pool)
        .await?
    });
    day.context("the demo data put no paper on a feed")
}

/// Active subscriptions `bench-N@example.org`, in a mix of settings.
async fn insert_readers(db: &Db, readers: u64) -> anyhow::Result<()> {
    let settings: Vec<(&str, &str, &str, i64)> = vec![
        ("[]", "[]", "[]", 10),
        ("[\"cs.CL\"]", "[]", "[]", 10),
        ("[\"cs.CV\",\"cs.LG\"]", "[]", "[]", 10),
        ("[]", "[\"language model\",\"diffusion\"]", "[]", 10),
        ("[]", "[]", "[\"survey\"]", 5),
    ];
    let now = Utc::now();
    let mut first = 0;
    while first < readers {
        let last = (first + ROWS_PER_INSERT).min(readers);
        with_pool!(db, |pool, DB| {
            let mut query = sqlx::QueryBuilder::<DB>::new(
                "INSERT INTO subscriptions (email, state, frequency, weekday, send_hour, time_zone, categories, \
                 include_keywords, exclude_keywords, mode, papers_per_email, created_at, confirmed_at, updated_at) ",
            );
            query.push_values(first..last, |mut row, n| {
                // Most readers keep the defaults.
                let (categories, include, exclude, papers) =
                    settings[if n % 10 < 6 { 0 } else { (n % 10 - 5) as usize }];
                row.push_bind(format!("bench-{n}@example.org"))
                    .push_bind("active")
                    .push_bind("daily")
                    .push_bind(1_i64)
                    .push_bind(8_i64)
                    .push_bind("UTC")
                    .push_bind(categories)
                    .push_bind(include)
                    .push_bind(exclude)
                    .push_bind("trending")
                    .push_bind(papers)
                    .push_bind(now)
                    .push_bind(now)
                    .push_bind(now);
            });
            query.build().persistent(false).execute(pool).await?;
        });
        first = last;
    }
    eprintln!("{readers} readers subscribed");
    Ok(())
}

/// One rendered digest of the period, as the baseline sends it.
async fn sample_digest(db: &Db, delivery: &Delivery, period: Period) -> anyhow::Result<Mail> {
    let subscription = db
        .subscription_by_email(&"bench-0@example.org".parse().map_err(anyhow::Error::msg)?)
        .await?
        .context("the first bench reader")?;
    let mut composer = Composer::new(db, &delivery.base_url);
    let picks = composer.choose(&subscription, period).await?;
    let mut papers = Vec::new();
    for pick in &picks {
        if let Some(paper) = db.digest_paper(&pick.id).await? {
            papers.push(crate::digest::render::DigestPaper::new(&delivery.base_url, &paper, pick));
        }
    }
    let renderer = delivery.renderer(db).await?;
    let to = subscription.email.parse().map_err(anyhow::Error::msg)?;
    Ok(renderer.render(
        subscription.id,
        &to,
        Preferences::default().mode,
        period,
        &papers,
        "<sample@paperboy.bench>",
    ))
}

/// Sends `mail` `count` times over `concurrency` lanes; the time it took.
async fn send_raw(outbox: &Outbox, mail: &Mail, count: u64, concurrency: usize) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut lanes = JoinSet::new();
    for lane in 0..concurrency as u64 {
        let (outbox, mail) = (outbox.clone(), mail.clone());
        lanes.spawn(async move {
            let mut n = lane;
            while n < count {
                outbox.mailer.send(&outbox.from, &mail).await?;
                n += concurrency as u64;
            }
            Ok::<(), crate::mail::MailError>(())
        });
    }
    while let Some(lane) = lanes.join_next().await {
        lane??;
    }
    Ok(started.elapsed())
}
