//! Papers' full texts: the job fetches each queued paper's HTML from a local server answering
//! as arXiv does (the recorded arXiv page, 404, 403, 503 with Retry-After, a captcha page, a
//! redirect loop, a cut transfer, a page over the limit), records every outcome with its
//! reason, and the site serves the paper as Markdown at `/papers/{id}.md` and to
//! `Accept: text/markdown`, with the abstract for a paper that has none. Both engines.

use std::time::Duration;

use axum::http::{StatusCode, header};
use paperboy::db::Db;
use paperboy::fulltext::{FullTextOptions, FullTextReport, fetch_due};
use paperboy_arxiv::client::{ArxivClient, ClientConfig};

use crate::harness::app::TestApp;
use crate::harness::fixtures::{dated, store};
use crate::harness::on_both_engines;
use crate::harness::replay::{ReplayServer, Scripted};
use crate::harness::shared;

const DELAY: Duration = Duration::from_millis(50);

fn arxiv(server: &ReplayServer) -> ArxivClient {
    ArxivClient::new(ClientConfig {
        web_url: server.url.trim_end_matches("/oai").to_owned(),
        delay: DELAY,
        attempts: 2,
        ..ClientConfig::default()
    })
    .unwrap()
}

fn html(body: Vec<u8>) -> Scripted {
    Scripted { headers: vec![("content-type", "text/html; charset=utf-8".into())], ..Scripted::ok(body) }
}

async fn state(db: &Db, id: &str) -> (String, Option<String>, Option<String>) {
    let text = db.full_text(id).await.unwrap().unwrap_or_else(|| panic!("{id} has no full text row"));
    (text.state, text.source, text.reason)
}

async fn full_texts_are_fetched_politely_and_every_outcome_is_recorded(db: &Db) {
    let page = std::fs::read(shared("fixtures/arxiv-fulltext/html/2501.11120v1.html")).unwrap();
    let mut versioned = dated("2501.11120", "Tell me about yourself", "2026-05-11");
    versioned.version = Some(1);
    let mut withdrawn = dated("2605.00005", "Withdrawn", "2026-05-11");
    withdrawn.comment = Some("This paper has been withdrawn by the authors.".into());
    let papers = vec![
        versioned,
        dated("2605.00002", "No rendering", "2026-05-11"),
        dated("2605.00003", "Behind a captcha", "2026-05-11"),
        dated("2605.00004", "Forbidden", "2026-05-11"),
        withdrawn,
        dated("2605.00006", "Enormous", "2026-05-11"),
        dated("2605.00007", "Going round", "2026-05-11"),
        dated("2605.00008", "Cut short", "2026-05-11"),
        dated("2605.00009", "Opened later", "2026-05-11"),
    ];
    store(db, papers).await;
    // reqwest follows 10 redirects and gives up at the 11th.
    let loop_back = (0..11).map(|_| Scripted::status(302, vec![("location", "/html/2605.00007".into())]));
    let mut replies = vec![
        html(page.clone()),
        Scripted::status(404, vec![]),
        Scripted::status(503, vec![("retry-after", "1".into())]),
        html(b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>".to_vec()),
        Scripted::status(403, vec![]),
        html(vec![b' '; 3 << 20]),
    ];
    replies.extend(loop_back);
    replies.push(html(page[..page.len() / 2].to_vec()));
    let server = ReplayServer::start(replies).await;
    let since = "2026-05-11".parse().unwrap();
    let queued = db.queue_featured_full_texts(since, chrono::Utc::now()).await.unwrap();
    assert_eq!(queued, 9);
    // One paper is left for a reader to open first.
    let sql = "DELETE FROM full_texts WHERE paper_id = '2605.00009'";
    match db {
        Db::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
    }
    .unwrap();

    let options = FullTextOptions { max_bytes: 2 << 20, ..FullTextOptions::default() };
    let report = fetch_due(db, &arxiv(&server), options).await.unwrap();
    assert_eq!(
        FullTextReport { fetched_bytes: 0, ..report.clone() },
        FullTextReport { ready: 1, missing: 3, failed: 4, fetched_bytes: 0 },
        "{report:?}"
    );
    assert_eq!(state(db, "2501.11120").await, ("ready".into(), Some("html".into()), None));
    let reason = |id| async move { state(db, id).await.2.unwrap_or_default() };
    assert_eq!(state(db, "2605.00002").await.0, "missing");
    assert!(reason("2605.00002").await.contains("no HTML rendering"));
    assert!(reason("2605.00005").await.contains("withdrawn"));
    assert!(reason("2605.00006").await.contains("larger than the limit"), "{}", reason("2605.00006").await);
    for (id, why) in [
        ("2605.00003", "not a paper"),
        ("2605.00004", "HTTP 403"),
        ("2605.00007", "too many redirects"),
        ("2605.00008", "truncated"),
    ] {
        let (state, _, reason) = state(db, id).await;
        assert_eq!(state, "failed", "{id}");
        assert!(reason.unwrap_or_default().contains(why), "{id}: {why}");
    }

    let seen = server.seen();
    let paths: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths[..5],
        [
            "/html/2501.11120v1",
            "/html/2605.00002",
            "/html/2605.00003",
            "/html/2605.00003",
            "/html/2605.00004"
        ]
    );
    assert!(!paths.contains(&"/html/2605.00005"), "a withdrawn paper is not fetched");
    assert!(seen.iter().all(|s| s.user_agent.starts_with("Paperboy/")));
    // arXiv's pause between exchanges (the hops of one redirect chain follow at once).
    let redirect_hop =
        |w: &[crate::harness::replay::Seen]| w[0].path == "/html/2605.00007" && w[1].path == w[0].path;
    assert!(seen.windows(2).filter(|w| !redirect_hop(w)).all(|w| w[1].at - w[0].at >= DELAY));
    assert_eq!(paths.iter().filter(|p| **p == "/html/2605.00007").count(), 11);
    assert!(seen[3].at - seen[2].at >= Duration::from_secs(1), "Retry-After was honoured");

    // Nothing more is due: failures wait an hour before their next attempt.
    let again = fetch_due(db, &arxiv(&server), options).await.unwrap();
    assert_eq!(again, FullTextReport::default());

    let site = TestApp::new(db).await;
    let markdown = site.get("/papers/2501.11120.md").await;
    assert_eq!(markdown.status, StatusCode::OK);
    assert_eq!(markdown.headers[header::CONTENT_TYPE], "text/markdown; charset=utf-8");
    assert!(markdown.text.starts_with("# Tell me about yourself: LLMs are aware of their learned behaviors\n\nAda Lovelace, Alan Turing\n"), "{}", &markdown.text[..300]);
    assert!(markdown.text.contains("latent policy $z\\in Z$"));
    let asked = site.get_with("/papers/2501.11120", header::ACCEPT, "text/markdown").await;
    assert_eq!((asked.status, &asked.text), (StatusCode::OK, &markdown.text));
    assert_eq!(asked.headers[header::VARY], "Accept");
    let html_page = site.get_with("/papers/2501.11120", header::ACCEPT, "text/html,*/*").await;
    assert_eq!(html_page.headers[header::CONTENT_TYPE], "text/html; charset=utf-8");

    let fallback = site.get("/papers/2605.00002.md").await;
    assert_eq!(fallback.status, StatusCode::OK);
    assert!(
        fallback.text.starts_with(
            "# No rendering\n\nAda Lovelace, Alan Turing\n\n## Abstract\n\nAn abstract about No rendering"
        ),
        "{}",
        fallback.text
    );
    assert!(fallback.text.contains("(arXiv has no HTML rendering of this paper)"), "{}", fallback.text);
    assert_eq!(site.get("/papers/2605.99999.md").await.status, StatusCode::NOT_FOUND);
    assert_eq!(site.get("/papers/not-a-paper.md").await.status, StatusCode::NOT_FOUND);

    // Opening a paper that has no full text queues it.
    assert!(db.full_text("2605.00009").await.unwrap().is_none());
    assert!(site.get("/papers/2605.00009.md").await.text.contains("no full text of this paper yet"));
    assert_eq!(state(db, "2605.00009").await.0, "queued");

    let api = site.api("GET", "/api/papers/2501.11120", None, None).await.json();
    assert_eq!(api["fullText"]["state"], "ready");
    assert_eq!(api["fullText"]["source"], "html");
    assert_eq!(api["fullText"]["markdownUrl"], "http://paperboy.test/papers/2501.11120.md");
    let none = site.api("GET", "/api/papers/2605.00004", None, None).await.json();
    assert_eq!(none["fullText"]["state"], "failed");
    assert!(none["fullText"]["reason"].as_str().unwrap().contains("403"));
}

on_both_engines!(full_texts_are_fetched_politely_and_every_outcome_is_recorded);
