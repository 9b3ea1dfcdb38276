//! Papers' code: the GitHub repository and project page people set, checked and kept one way,
//! and the ones a paper's arXiv comment or abstract links to, shown as found when nobody set one; the stars
//! job against a local server answering as GitHub does (ETags, rate limits, errors, garbage),
//! and "trending with code" on the site, the API and a feed. Both engines.

use axum::http::StatusCode;
use paperboy::db::Db;
use paperboy::domain::accounts::Role;
use serde_json::json;

use paperboy::stars::{GitHub, StarsOptions, refresh};

use crate::harness::app::{TestApp, api_token};
use crate::harness::fixtures::{dated, store};
use crate::harness::on_both_engines;
use crate::harness::replay::{ReplayServer, Scripted};

async fn repositories_are_found_in_comments_and_set_only_on_github(db: &Db) {
    let mut commented = dated("2605.00001", "Graph engines", "2026-05-11");
    commented.comment = Some(
        "12 pages. Code: https://github.com/ada/engine. Project page: https://ada.example.org/engine.".into(),
    );
    let plain = dated("2605.00002", "Plain paper", "2026-05-11");
    store(db, vec![commented, plain]).await;
    let site = TestApp::new(db).await;

    let found = site.api("GET", "/api/papers/2605.00001", None, None).await.json();
    assert_eq!(
        (found["githubRepo"].as_str(), found["githubRepoFound"].as_bool()),
        (Some("https://github.com/ada/engine"), Some(true))
    );
    assert_eq!(
        (found["projectPage"].as_str(), found["projectPageFound"].as_bool()),
        (Some("https://ada.example.org/engine"), Some(true))
    );
    let page = site.get("/papers/2605.00001").await.text;
    assert!(page.contains(">Project page (linked in the abstract)</a>"), "{page}");
    assert!(
        page.contains(
            "href=\"https://github.com/ada/engine\" rel=\"noopener\">Code (linked in the abstract)"
        ),
        "{page}"
    );
    let none = site.api("GET", "/api/papers/2605.00002", None, None).await.json();
    assert_eq!(
        (none["githubRepo"].clone(), none["githubRepoFound"].as_bool()),
        (serde_json::Value::Null, Some(false))
    );
    assert_eq!(
        (none["projectPage"].clone(), none["projectPageFound"].as_bool()),
        (serde_json::Value::Null, Some(false))
    );

    let mut cora = site.member("cora").await;
    db.grant(None, &site.user("cora").await, Role::Curator).await.unwrap();
    let token = api_token(&mut cora).await;
    let links = "/api/papers/2605.00002/links";
    for bad in [
        "https://gitlab.com/ada/engine",
        "https://github.com/ada",
        "https://github.com/ada/engine/tree/main",
        "not a url",
    ] {
        let refused = site.api("POST", links, Some(&token), Some(json!({"githubRepo": bad}))).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}: {}", refused.text);
        assert!(refused.json()["error"].is_string());
        let csrf = cora.session_csrf().await;
        let form = cora
            .post("/papers/2605.00002/links", &[("csrf", &csrf), ("github_repo", bad), ("project_page", "")])
            .await;
        assert_eq!(form.status, StatusCode::BAD_REQUEST, "{bad}: {}", form.text);
    }
    let set = site
        .api(
            "POST",
            links,
            Some(&token),
            Some(json!({"githubRepo": "http://www.github.com/ada/engine.git/", "projectPage": "https://ada.example.org"})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(
        (set.json()["githubRepo"].as_str(), set.json()["githubRepoFound"].as_bool()),
        (Some("https://github.com/ada/engine"), Some(false))
    );
    assert_eq!(
        (set.json()["projectPage"].as_str(), set.json()["projectPageFound"].as_bool()),
        (Some("https://ada.example.org"), Some(false))
    );
}

on_both_engines!(repositories_are_found_in_comments_and_set_only_on_github);

/// GitHub's answer about a repository with `stars` stars, as ETag `etag`, leaving `remaining`
/// requests of the hour.
fn repository(stars: i64, etag: &str, remaining: u32) -> Scripted {
    let body = json!({"full_name": "x/y", "stargazers_count": stars}).to_string();
    Scripted {
        headers: vec![
            ("content-type", "application/json".into()),
            ("etag", etag.into()),
            ("x-ratelimit-remaining", remaining.to_string()),
            ("x-ratelimit-reset", (chrono::Utc::now().timestamp() + 3600).to_string()),
        ],
        ..Scripted::ok(body)
    }
}

/// Makes every repository due now, as if the hours between runs had passed.
async fn all_due(db: &Db) {
    let sql = "UPDATE repositories SET next_check_at = $1";
    let past = chrono::Utc::now() - chrono::Duration::minutes(1);
    match db {
        Db::Sqlite(pool) => sqlx::query(sql).bind(past).execute(pool).await.map(drop),
        Db::Postgres(pool) => sqlx::query(sql).bind(past).execute(pool).await.map(drop),
    }
    .unwrap();
}

async fn stars_are_refreshed_politely_and_rank_trending_with_code(db: &Db) {
    let mut set = dated("2605.00001", "Graph engines", "2026-05-11");
    set.github_repo = Some("https://github.com/ada/engine".into());
    let mut found = dated("2605.00002", "Tools", "2026-05-11");
    found.comment = Some("Code: https://github.com/bob/tool".into());
    let mut third = dated("2605.00003", "Libraries", "2026-05-12");
    third.summary = "See github.com/cy/lib for the library.".into();
    store(db, vec![set, found, third, dated("2605.00004", "No code", "2026-05-12")]).await;

    // First run: a count, an unreadable answer, a server error; the repositories are asked
    // about in name order, with the token, each once.
    let github = ReplayServer::start(vec![
        repository(10, "\"e1\"", 59),
        Scripted {
            headers: vec![("content-type", "text/html".into())],
            ..Scripted::ok("<html>maintenance</html>")
        },
        Scripted::status(503, vec![]),
    ])
    .await;
    let client = GitHub::new(&github.url, Some("test-token".into()), "Paperboy tests").unwrap();
    let options = StarsOptions { max_wait: std::time::Duration::from_secs(5), ..StarsOptions::default() };
    let report = refresh(db, &client, options).await.unwrap();
    assert_eq!((report.papers, report.counted, report.failed), (4, 1, 2), "{}", report.summary());
    let seen = github.seen();
    let paths: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(paths, ["/oai/repos/ada/engine", "/oai/repos/bob/tool", "/oai/repos/cy/lib"]);
    assert!(seen.iter().all(|s| s.authorization.as_deref() == Some("Bearer test-token")));
    assert!(seen.iter().all(|s| s.if_none_match.is_none()));
    assert_eq!(refresh(db, &client, options).await.unwrap().counted, 0, "nothing is due again at once");

    // Second run: unchanged (asked with the ETag), then GitHub's limit is used up for an hour:
    // the run stops instead of asking again.
    all_due(db).await;
    let reset = (chrono::Utc::now().timestamp() + 3600).to_string();
    github.push(vec![
        Scripted::status(304, vec![("x-ratelimit-remaining", "58".into())]),
        Scripted::status(403, vec![("x-ratelimit-remaining", "0".into()), ("x-ratelimit-reset", reset)]),
    ]);
    let report = refresh(db, &client, options).await.unwrap();
    assert_eq!(report.unchanged, 1, "{}", report.summary());
    assert!(report.stopped.as_deref().unwrap_or_default().contains("rate limit"), "{}", report.summary());
    let seen = github.seen();
    assert_eq!(seen.len(), 5, "the refused request is not repeated");
    assert_eq!(seen[3].if_none_match.as_deref(), Some("\"e1\""));

    // Third run: a repository that is gone; a 429 with Retry-After is waited out, then asked
    // again and counted.
    all_due(db).await;
    github.push(vec![
        Scripted::status(404, vec![]),
        Scripted::status(429, vec![("retry-after", "1".into())]),
        repository(7, "\"e2\"", 57),
        repository(30, "\"e3\"", 56),
    ]);
    let report = refresh(db, &client, options).await.unwrap();
    assert_eq!((report.missing, report.counted, report.failed), (1, 2, 0), "{}", report.summary());
    let seen = github.seen();
    assert!(
        seen[7].at.duration_since(seen[6].at) >= std::time::Duration::from_millis(900),
        "Retry-After was honoured"
    );

    // bob/tool had 2 stars six days ago and has 7: it gained 5, and comes before cy/lib (30
    // stars, new: gained 0); the
    // gone repository and the paper without code are not listed.
    let six_days_ago = chrono::Utc::now().date_naive() - chrono::Days::new(6);
    let sql = "INSERT INTO repository_stars (repo, day, stars) VALUES ('https://github.com/bob/tool', $1, 2)";
    match db {
        Db::Sqlite(pool) => sqlx::query(sql).bind(six_days_ago).execute(pool).await.map(drop),
        Db::Postgres(pool) => sqlx::query(sql).bind(six_days_ago).execute(pool).await.map(drop),
    }
    .unwrap();
    let site = TestApp::new(db).await;
    let api = site.api("GET", "/api/daily_papers?sort=trendingWithCode", None, None).await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.text);
    let listed = api.json();
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    assert_eq!(listed[0]["paper"]["id"], "2605.00002");
    assert_eq!(listed[1]["paper"]["id"], "2605.00003");
    let page = site.get("/papers/trending/code").await;
    assert_eq!(page.status, StatusCode::OK);
    let (first, second) =
        (page.text.find("/papers/2605.00002\"").unwrap(), page.text.find("/papers/2605.00003\"").unwrap());
    assert!(first < second && !page.text.contains("/papers/2605.00001\""), "{}", page.text);
    assert!(page.text.contains("<span aria-hidden=\"true\">★</span> 7"), "{}", page.text);
    let feed = site.get("/feeds/trending-code.rss").await;
    assert_eq!(feed.status, StatusCode::OK);
    assert!(feed.text.contains("http://paperboy.test/papers/2605.00002"), "{}", feed.text);
    assert!(site.get("/papers/2605.00002").await.text.contains("Code (linked in the abstract) ★ 7"));
}

on_both_engines!(stars_are_refreshed_politely_and_rank_trending_with_code);
