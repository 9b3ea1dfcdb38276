//! Snapshots of what people read, kept in `tests/it/snapshots/`: a day page, a paper page with
//! math, a digest email (text and HTML) and the API's main JSON answers. A change to any of them
//! shows as a diff to review; `cargo insta review` (or `INSTA_UPDATE=always`) accepts it. What
//! changes from run to run (a digest link's signed token) is filtered out.

use axum::http::StatusCode;
use paperboy::db::digests::PeriodPaper;
use paperboy::digest::links::LinkKey;
use paperboy::digest::render::{DigestPaper, Renderer};
use paperboy::domain::digest::{Mode, Period, Pick};

use crate::harness::fixtures::{sample, set_upvotes, store};
use crate::harness::{BASE_URL, TestApp, TestDb};

/// A site over the sample papers, two of them upvoted.
async fn sample_site(test: &TestDb) -> TestApp {
    store(&test.db, sample()).await;
    set_upvotes(&test.db, "2605.00002", 7).await;
    set_upvotes(&test.db, "2605.00004", 3).await;
    TestApp::new(&test.db).await
}

async fn page(app: &TestApp, uri: &str) -> String {
    let reply = app.get(uri).await;
    assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.text);
    reply.text
}

async fn json(app: &TestApp, uri: &str) -> String {
    let reply = app.get(uri).await;
    assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.text);
    serde_json::to_string_pretty(&reply.json()).unwrap()
}

#[tokio::test]
async fn a_day_page() {
    let test = TestDb::sqlite().await;
    let app = sample_site(&test).await;
    insta::assert_snapshot!(page(&app, "/papers/date/2026-05-11").await);
}

#[tokio::test]
async fn a_paper_page_with_math() {
    let test = TestDb::sqlite().await;
    let app = sample_site(&test).await;
    let text = page(&app, "/papers/2605.00001").await;
    assert!(text.contains("<math"), "the abstract's $E = mc^2$ is MathML");
    insta::assert_snapshot!(text);
}

#[tokio::test]
async fn the_main_json_answers() {
    let test = TestDb::sqlite().await;
    let app = sample_site(&test).await;
    insta::assert_snapshot!("daily_papers_of_a_day", json(&app, "/api/daily_papers?date=2026-05-11").await);
    insta::assert_snapshot!("a_paper", json(&app, "/api/papers/2605.00002").await);
    insta::assert_snapshot!("a_search", json(&app, "/api/papers/search?q=graph+networks&limit=2").await);
    insta::assert_snapshot!("papers_newest_first", json(&app, "/api/papers?limit=2").await);
}

#[tokio::test]
async fn a_digest_email_in_text_and_html() {
    let test = TestDb::sqlite().await;
    let key = LinkKey::load(&test.db).await.unwrap();
    let renderer = Renderer::new(BASE_URL, key, &"Paperboy <paperboy@paperboy.test>".parse().unwrap());
    let candidate = |id: &str, title: &str, upvotes: i64| PeriodPaper {
        id: id.into(),
        title: title.into(),
        summary: format!(
            "We study {title}, with energy $E = mc^2$, in a long abstract that a digest cuts short after a few lines so that the email stays easy to skim for every reader who opens it."
        ),
        authors: r#"["Ada Lovelace", "Alan Turing", "Grace Hopper", "Emmy Noether", "Kurt Gödel"]"#.into(),
        categories: r#"["cs.CL"]"#.into(),
        upvotes,
        num_comments: 0,
    };
    let papers = [
        DigestPaper::new(
            BASE_URL,
            &candidate("2611.00101", "Sparse attention", 12),
            &Pick { id: "2611.00101".into(), reason: None },
        ),
        DigestPaper::new(
            BASE_URL,
            &candidate("2611.00102", "Graph networks <at scale>", 5),
            &Pick {
                id: "2611.00102".into(),
                reason: Some("Close to “Sparse attention”, which you upvoted.".into()),
            },
        ),
    ];
    let email = "ada@example.org".parse().unwrap();
    let period = Period::Day("2026-11-26".parse().unwrap());
    let mail = renderer.render(
        7,
        &email,
        Mode::Personal,
        period,
        &papers,
        "<digest-7-day-2026-11-26@paperboy.test>",
    );
    let headers: Vec<String> = mail.headers.iter().map(|(name, value)| format!("{name}: {value}")).collect();
    let text = format!("Subject: {}\n{}\n\n{}", mail.subject, headers.join("\n"), mail.text);
    insta::with_settings!({ filters => vec![
        (r"token=[A-Za-z0-9._-]+", "token=[token]"),
        (r"unsubscribe%20[A-Za-z0-9._-]+", "unsubscribe%20[token]"),
    ] }, {
        insta::assert_snapshot!("digest_text", text);
        insta::assert_snapshot!("digest_html", mail.html.unwrap_or_default());
    });
}
