//! Papers' code: the GitHub repository people set, checked and kept one way, and the one a
//! paper's arXiv comment or abstract links to, shown as found when nobody set one. Both engines.

use axum::http::StatusCode;
use paperboy::db::Db;
use paperboy::domain::accounts::Role;
use serde_json::json;

use crate::harness::app::{TestApp, api_token};
use crate::harness::fixtures::{dated, store};
use crate::harness::on_both_engines;

async fn repositories_are_found_in_comments_and_set_only_on_github(db: &Db) {
    let mut commented = dated("2605.00001", "Graph engines", "2026-05-11");
    commented.comment = Some("12 pages. Code: https://github.com/ada/engine.".into());
    let plain = dated("2605.00002", "Plain paper", "2026-05-11");
    store(db, vec![commented, plain]).await;
    let site = TestApp::new(db).await;

    let found = site.api("GET", "/api/papers/2605.00001", None, None).await.json();
    assert_eq!(
        (found["githubRepo"].as_str(), found["githubRepoFound"].as_bool()),
        (Some("https://github.com/ada/engine"), Some(true))
    );
    let page = site.get("/papers/2605.00001").await.text;
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
            Some(json!({"githubRepo": "http://www.github.com/ada/engine.git/"})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(
        (set.json()["githubRepo"].as_str(), set.json()["githubRepoFound"].as_bool()),
        (Some("https://github.com/ada/engine"), Some(false))
    );
}

on_both_engines!(repositories_are_found_in_comments_and_set_only_on_github);
