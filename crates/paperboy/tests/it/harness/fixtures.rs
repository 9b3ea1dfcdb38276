//! The papers, feeds and subscriptions tests start from.

use std::path::Path;

use chrono::{Days, Duration, NaiveDate, Utc};
use paperboy::db::Db;
use paperboy::digest::Delivery;
use paperboy::digest::send::SendOptions;
use paperboy::domain::accounts::Email;
use paperboy::domain::digest::Preferences;
use paperboy::domain::feed::{FeatureRules, rule_entries};
use paperboy::domain::secrets::Secret;
use paperboy::mail::Outbox;
use paperboy_arxiv::{Paper, RawPaper};

/// A valid paper with the given id (which may carry a version) and title.
pub fn paper(id: &str, title: &str) -> Paper {
    RawPaper {
        id: Some(id.to_owned()),
        title: Some(title.to_owned()),
        summary: Some(format!("An abstract about {title}.")),
        authors: vec!["Ada Lovelace".into(), "Alan Turing".into()],
        categories: vec!["cs.CL".into(), "cs.LG".into()],
        announce_date: chrono::NaiveDate::from_ymd_opt(2025, 3, 18),
        ..RawPaper::default()
    }
    .validate()
    .unwrap()
}

pub const HOSTILE_TITLE: &str = "<script>alert(1)</script> Bounds for $x<y$ and {braces";
pub const HOSTILE_SUMMARY: &str = "\"><img src=x onerror=alert(1)> We prove $\\alpha \\le \\beta$ at a price of $5, with a stray \\ and \\$.";

/// A paper announced on `day`.
pub fn dated(id: &str, title: &str, day: &str) -> Paper {
    RawPaper {
        id: Some(id.into()),
        title: Some(title.into()),
        summary: Some(format!("An abstract about {title}, with energy $E = mc^2$ in it.")),
        authors: vec!["Ada Lovelace".into(), "Alan Turing".into()],
        categories: vec!["cs.CL".into(), "cs.LG".into()],
        announce_date: day.parse().ok(),
        ..RawPaper::default()
    }
    .validate()
    .unwrap()
}

/// The papers the site tests use: three on Monday 11 May 2026, two on Tuesday (one hostile),
/// one on Monday 18 May, none in between; one in another category.
pub fn sample() -> Vec<Paper> {
    let mut hostile = RawPaper {
        id: Some("2605.00005".into()),
        title: Some(HOSTILE_TITLE.into()),
        summary: Some(HOSTILE_SUMMARY.into()),
        authors: vec!["<b>Bold</b> Author".into(), "Ada O'Neil".into()],
        categories: vec!["cs.CL".into()],
        announce_date: "2026-05-12".parse().ok(),
        ..RawPaper::default()
    }
    .validate()
    .unwrap();
    hostile.doi = Some("10.1000/x\"><img src=x>".into());
    let mut robots = dated("2605.00006", "Robots that grasp", "2026-05-18");
    robots.categories = vec!["cs.RO".into()];
    robots.github_repo = Some("https://github.com/example/grasp".into());
    robots.project_page = Some("https://grasp.example.org/".into());
    vec![
        dated("2605.00001", "Sparse attention", "2026-05-11"),
        dated("2605.00002", "Graph networks", "2026-05-11"),
        dated("2605.00003", "Diffusion models", "2026-05-11"),
        dated("2605.00004", "Language agents", "2026-05-12"),
        hostile,
        robots,
    ]
}

/// Stores `papers` as an import does: with the default feature rules.
pub async fn store(db: &Db, papers: Vec<Paper>) {
    let entries = rule_entries(&FeatureRules::default(), &papers);
    db.upsert_papers(papers).await.unwrap();
    db.add_feed_entries(&entries).await.unwrap();
}

/// Sets a paper's upvote count, and its copy on the paper's feed entry, as many votes would
/// (the counter is set directly, without voters).
pub async fn set_upvotes(db: &Db, id: &str, upvotes: i64) {
    for sql in [
        "UPDATE papers SET upvotes = $1 WHERE id = $2",
        "UPDATE feed_entries SET paper_upvotes = $1 WHERE paper_id = $2",
    ] {
        match db {
            Db::Sqlite(pool) => sqlx::query(sql).bind(upvotes).bind(id).execute(pool).await.map(drop),
            Db::Postgres(pool) => sqlx::query(sql).bind(upvotes).bind(id).execute(pool).await.map(drop),
        }
        .unwrap();
    }
}

/// A paper first published `days` ago, on no feed yet unless stored with `store`.
pub fn recent(id: &str, title: &str, days: i64) -> Paper {
    let published = Utc::now() - Duration::days(days);
    RawPaper {
        id: Some(id.into()),
        title: Some(title.into()),
        summary: Some(format!("An abstract about {title}.")),
        authors: vec!["Ada Lovelace".into()],
        categories: vec!["cs.CL".into()],
        published_at: Some(published),
        announce_date: Some(published.date_naive()),
        ..RawPaper::default()
    }
    .validate()
    .unwrap()
}

/// Yesterday, the feed day the test papers are on.
pub fn yesterday() -> NaiveDate {
    Utc::now().date_naive() - Days::new(1)
}

/// Stores `count` papers on yesterday's feed, the first most upvoted.
pub async fn papers_of_yesterday(db: &Db, count: usize) -> Vec<String> {
    let papers: Vec<_> = (0..count)
        .map(|n| recent(&format!("2611.{:05}", 100 + n), &format!("Paper number {n}"), 1))
        .collect();
    let ids: Vec<String> = papers.iter().map(|p| p.id.to_string()).collect();
    store(db, papers).await;
    for (rank, id) in ids.iter().enumerate() {
        set_upvotes(db, id, (count - rank) as i64 * 3).await;
    }
    ids
}

/// An active subscription, confirmed the way its link would.
pub async fn subscribed(db: &Db, email: &str, prefs: &Preferences) -> i64 {
    let token = Secret::generate("");
    let email: Email = email.parse().unwrap();
    db.subscribe(&email, prefs, &token.hash(), chrono::Duration::hours(1), chrono::Duration::zero())
        .await
        .unwrap();
    let id = match db.confirm_subscription(&token.hash()).await.unwrap() {
        paperboy::db::digests::ConfirmOutcome::Confirmed(subscription) => subscription.id,
        other => panic!("not confirmed: {other:?}"),
    };
    // As if confirmed a while ago: the address may be emailed about its subscription again.
    let sql = "UPDATE subscriptions SET confirm_sent_at = NULL WHERE id = $1";
    match db {
        Db::Sqlite(pool) => sqlx::query(sql).bind(id).execute(pool).await.map(drop),
        Db::Postgres(pool) => sqlx::query(sql).bind(id).execute(pool).await.map(drop),
    }
    .unwrap();
    id
}

pub fn delivery(mail_dir: &Path) -> Delivery {
    Delivery {
        outbox: Outbox::files(mail_dir.to_owned()),
        base_url: "http://paperboy.test".into(),
        send: SendOptions { concurrency: 2, ..SendOptions::default() },
    }
}
