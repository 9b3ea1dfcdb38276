//! People: author pages that gather the spellings of a name, their feeds, and the lookup table
//! behind them, kept with the catalog and filled in for a catalog stored before it; authorship
//! claims and curators' verdicts, with their abuse cases; members' profiles, on the site and
//! through the API. Both engines.

use axum::http::{StatusCode, header};
use paperboy::db::Db;
use paperboy::domain::accounts::Role;
use paperboy_arxiv::Paper;

use crate::harness::app::{Browser, Reply, api_token};
use crate::harness::fixtures::{dated, sample, set_upvotes, store};
use crate::harness::{TestApp, on_both_engines};

/// A paper announced on `day` by `authors`.
fn by(id: &str, day: &str, authors: &[&str]) -> Paper {
    let mut paper = dated(id, &format!("Paper {id}"), day);
    paper.authors = authors.iter().map(|a| (*a).to_owned()).collect();
    paper
}

async fn author_pages_gather_the_spellings_of_a_name(db: &Db) {
    store(
        db,
        vec![
            by("2605.00001", "2026-05-11", &["José García", "Ada Lovelace"]),
            by("2605.00002", "2026-05-12", &["José García"]),
            by("2605.00003", "2026-05-13", &["J. García"]),
            by("2605.00004", "2026-05-14", &["John Smith"]),
            by("2605.00005", "2026-05-15", &["Jane Smith"]),
            by("2605.00006", "2026-05-18", &["J. Smith", "GARCÍA, JOSÉ"]),
            by("2605.00007", "2026-05-19", &["Jose Garcia"]),
        ],
    )
    .await;
    set_upvotes(db, "2605.00002", 7).await;
    let site = TestApp::new(db).await;

    // Case, accents, "Surname, Given" and the one full name an initial can stand for.
    let page = site.get("/authors/Jos%C3%A9%20Garc%C3%ADa").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    for id in ["2605.00001", "2605.00002", "2605.00003", "2605.00006", "2605.00007"] {
        assert!(page.text.contains(&format!("/papers/{id}")), "{id}: {}", page.text);
    }
    assert!(!page.text.contains("/papers/2605.00004"));
    assert!(page.text.contains("5 papers") && page.text.contains("7 upvotes"), "{}", page.text);
    assert!(page.text.contains("Also written J. García"), "{}", page.text);
    let newest = page.text.find("/papers/2605.00007").unwrap();
    let oldest = page.text.find("/papers/2605.00001").unwrap();
    assert!(newest < oldest, "newest first");
    for spelling in ["/authors/jose%20garcia", "/authors/J.%20Garc%C3%ADa", "/authors/garcia,%20jose"] {
        let same = site.get(spelling).await;
        assert_eq!(same.status, StatusCode::OK, "{spelling}");
        assert!(same.text.contains("5 papers"), "{spelling}: {}", same.text);
        assert!(
            same.text.contains(
                "<link rel=\"canonical\" href=\"http://paperboy.test/authors/Jos%C3%A9%20Garc%C3%ADa\">"
            ),
            "{spelling}: the commonest spelling is the page's address: {}",
            same.text
        );
    }

    // An initial two full names share stands for neither; their pages stay apart.
    let initial = site.get("/authors/J.%20Smith").await.text;
    assert!(initial.contains("1 paper<") && initial.contains("/papers/2605.00006"), "{initial}");
    assert!(
        initial.contains("href=\"/authors/Jane%20Smith\"")
            && initial.contains("href=\"/authors/John%20Smith\""),
        "{initial}"
    );
    let john = site.get("/authors/John%20Smith").await.text;
    assert!(john.contains("1 paper<") && !john.contains("/papers/2605.00006"), "{john}");

    // Feeds of an author's papers.
    for (uri, kind) in [
        ("/feeds/authors/Jos%C3%A9%20Garc%C3%ADa.rss", "application/rss+xml"),
        ("/feeds/authors/jose%20garcia.atom", "application/atom+xml"),
    ] {
        let feed = site.get(uri).await;
        assert_eq!(feed.status, StatusCode::OK, "{uri}");
        assert!(feed.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with(kind));
        assert!(feed.text.matches("http://paperboy.test/papers/2605.0000").count() >= 5, "{}", feed.text);
    }

    // Papers link their authors, on cards and on their page.
    assert!(site.get("/papers/2605.00001").await.text.contains("href=\"/authors/Jos%C3%A9%20Garc%C3%ADa\""));
    assert!(site.get("/papers/date/2026-05-11").await.text.contains("href=\"/authors/Ada%20Lovelace\""));

    // A paper whose authors change leaves the old name's page.
    store(
        db,
        vec![{
            let mut moved = by("2605.00003", "2026-05-13", &["Grace Hopper"]);
            moved.version = Some(2);
            moved
        }],
    )
    .await;
    let page = site.get("/authors/jose%20garcia").await.text;
    assert!(page.contains("4 papers") && !page.contains("/papers/2605.00003"), "{page}");
    assert_eq!(site.get("/authors/Grace%20Hopper").await.status, StatusCode::OK);
}

on_both_engines!(author_pages_gather_the_spellings_of_a_name);

#[tokio::test]
async fn unknown_and_malformed_author_names_get_pages_not_errors() {
    let test = crate::harness::TestDb::sqlite().await;
    store(&test.db, sample()).await;
    let site = TestApp::new(&test.db).await;
    for (uri, status) in [
        ("/authors/Nobody%20Here", StatusCode::NOT_FOUND),
        ("/authors/%20.%2C-", StatusCode::BAD_REQUEST),
        ("/feeds/authors/Nobody.rss", StatusCode::NOT_FOUND),
        ("/feeds/authors/Ada%20Lovelace.json", StatusCode::NOT_FOUND),
        ("/authors/Ada%20Lovelace?page=0", StatusCode::BAD_REQUEST),
    ] {
        let page = site.get(uri).await;
        assert_eq!(page.status, status, "{uri}: {}", page.text);
        assert!(page.text.contains("<h1>"), "{uri}: a page");
    }
    let long = format!("/authors/{}", "a".repeat(400));
    assert_eq!(site.get(&long).await.status, StatusCode::BAD_REQUEST);
    // Markup in a name is a name, shown as text.
    let bold = site.get("/authors/%3Cb%3EBold%3C%2Fb%3E%20Author").await;
    assert_eq!(bold.status, StatusCode::OK);
    assert!(
        bold.text.contains("<h1>&#60;b&#62;Bold&#60;/b&#62; Author</h1>") && !bold.text.contains("<b>Bold"),
        "{}",
        bold.text
    );
}

async fn a_catalog_stored_before_author_pages_is_filled_in_once(db: &Db) {
    store(db, sample()).await;
    // As the catalog was before the migration that made the table: no rows, a task to fill it.
    let forget = ["DELETE FROM paper_authors", "INSERT INTO backfills (name) VALUES ('paper_authors')"];
    for sql in forget {
        match db {
            Db::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
            Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        }
        .unwrap();
    }
    let site = TestApp::new(db).await;
    assert_eq!(site.get("/authors/Ada%20Lovelace").await.status, StatusCode::NOT_FOUND);
    db.migrate().await.unwrap();
    let page = site.get("/authors/Ada%20Lovelace").await;
    assert!(page.text.contains("5 papers"), "{}", page.text);
    let pending: i64 = match db {
        Db::Sqlite(pool) => sqlx::query_scalar("SELECT COUNT(*) FROM backfills").fetch_one(pool).await,
        Db::Postgres(pool) => sqlx::query_scalar("SELECT COUNT(*) FROM backfills").fetch_one(pool).await,
    }
    .unwrap();
    assert_eq!(pending, 0, "the task is done and forgotten");
}

on_both_engines!(a_catalog_stored_before_author_pages_is_filled_in_once);

/// `POST`s a claim of `name` on `paper` from `member`'s browser.
async fn claim(member: &mut Browser<'_>, paper: &str, name: &str, all: bool) -> Reply {
    let csrf = member.session_csrf().await;
    let mut fields = vec![("csrf", csrf.as_str()), ("author", name)];
    if all {
        fields.push(("all", "1"));
    }
    member.post(&format!("/papers/{paper}/claim"), &fields).await
}

/// The id of the newest pending claim on the moderation page `curator` sees.
async fn pending_claim(curator: &mut Browser<'_>) -> String {
    let page = curator.get("/moderation").await.text;
    let start = page.find("action=\"/claims/").unwrap_or_else(|| panic!("no claim waiting:\n{page}")) + 16;
    page[start..start + page[start..].find('/').unwrap()].to_owned()
}

async fn members_claim_authorship_and_curators_decide(db: &Db) {
    store(
        db,
        vec![
            by("2605.00001", "2026-05-11", &["Ada Lovelace", "Alan Turing"]),
            by("2605.00002", "2026-05-12", &["ADA LOVELACE"]),
            by("2605.00003", "2026-05-13", &["Grace Hopper"]),
        ],
    )
    .await;
    let site = TestApp::new(db).await;
    let mut ada = site.member("ada").await;
    let mut bob = site.member("bob").await;
    let mut cora = site.member("cora").await;
    db.grant(None, &site.user("cora").await, Role::Curator).await.unwrap();

    // The paper must list the name; nobody decides their own claim; claims wait for a curator.
    assert_eq!(claim(&mut ada, "2605.00003", "Ada Lovelace", false).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(claim(&mut ada, "2605.00099", "Ada Lovelace", false).await.status, StatusCode::NOT_FOUND);
    let filed = claim(&mut ada, "2605.00001", "Ada Lovelace", true).await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.text);
    assert_eq!(claim(&mut ada, "2605.00001", "Ada Lovelace", true).await.status, StatusCode::CONFLICT);
    assert!(!site.get("/papers/2605.00001").await.text.contains("Verified author"), "pending is not shown");
    let id = pending_claim(&mut cora).await;
    let csrf = cora.session_csrf().await;
    let mut ada_decides = ada.session_csrf().await;
    let own = ada.post(&format!("/claims/{id}/verify"), &[("csrf", &ada_decides)]).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "only curators decide");

    // Verified: every paper under the name shows the member, on pages, cards and in the API.
    assert_eq!(
        cora.post(&format!("/claims/{id}/verify"), &[("csrf", &csrf)]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        cora.post(&format!("/claims/{id}/reject"), &[("csrf", &csrf)]).await.status,
        StatusCode::CONFLICT
    );
    for paper in ["2605.00001", "2605.00002"] {
        let page = site.get(&format!("/papers/{paper}")).await.text;
        assert!(page.contains("href=\"/users/ada\" title=\"Verified author: ada\""), "{paper}: {page}");
    }
    assert!(site.get("/papers/date/2026-05-12").await.text.contains("href=\"/users/ada\""), "cards too");
    let json = site.get("/api/papers/2605.00001").await.json();
    assert_eq!(json["authors"][0]["status"], "claimed_verified");
    assert_eq!(json["authors"][0]["user"]["user"], "ada");
    assert!(json["authors"][1].get("user").is_none(), "{json}");
    let log = cora.get("/moderation").await.text;
    assert!(log.contains("verify_claim") && log.contains("ada as Ada Lovelace"), "{log}");

    // A later paper under the name is claimed at once; the verified author may edit its links.
    store(db, vec![by("2605.00004", "2026-05-14", &["Ada Lovelace"])]).await;
    assert!(site.get("/papers/2605.00004").await.text.contains("Verified author: ada"));
    ada_decides = ada.session_csrf().await;
    let links = ada
        .post(
            "/papers/2605.00004/links",
            &[("csrf", &ada_decides), ("github_repo", "https://github.com/ada/engine")],
        )
        .await;
    assert_eq!(links.status, StatusCode::SEE_OTHER, "{}", links.text);

    // Nobody claims for someone else.
    let csrf_bob = bob.session_csrf().await;
    let for_ada = bob
        .post("/papers/2605.00003/claim", &[("csrf", &csrf_bob), ("author", "Grace Hopper"), ("user", "ada")])
        .await;
    assert_eq!(for_ada.status, StatusCode::FORBIDDEN, "{}", for_ada.text);

    // Someone else cannot take a verified entry; a rejected claim is filed again once.
    assert_eq!(claim(&mut bob, "2605.00001", "Ada Lovelace", false).await.status, StatusCode::CONFLICT);
    for round in 0..2 {
        assert_eq!(
            claim(&mut bob, "2605.00003", "Grace Hopper", false).await.status,
            StatusCode::SEE_OTHER,
            "{round}"
        );
        let id = pending_claim(&mut cora).await;
        assert_eq!(
            cora.post(&format!("/claims/{id}/reject"), &[("csrf", &csrf)]).await.status,
            StatusCode::SEE_OTHER
        );
    }
    let third = claim(&mut bob, "2605.00003", "Grace Hopper", false).await;
    assert_eq!(third.status, StatusCode::CONFLICT, "{}", third.text);
    assert!(bob.get("/settings").await.text.contains("rejected"));

    // A curator's own claim waits for another curator.
    assert_eq!(claim(&mut cora, "2605.00003", "Grace Hopper", false).await.status, StatusCode::SEE_OTHER);
    let id = pending_claim(&mut cora).await;
    assert_eq!(
        cora.post(&format!("/claims/{id}/verify"), &[("csrf", &csrf)]).await.status,
        StatusCode::FORBIDDEN
    );
}

on_both_engines!(members_claim_authorship_and_curators_decide);

async fn a_profile_shows_what_a_member_wrote_said_and_submitted(db: &Db) {
    store(db, vec![by("2605.00001", "2026-05-11", &["Ada Lovelace"])]).await;
    let site = TestApp::new(db).await;
    let mut ada = site.member("ada").await;
    let csrf = ada.session_csrf().await;
    let comment =
        ada.post("/papers/2605.00001/comments", &[("csrf", &csrf), ("body", "Lovely **engine**.")]).await;
    assert_eq!(comment.status, StatusCode::SEE_OTHER);
    let saved = ada
        .post(
            "/settings/profile",
            &[("csrf", &csrf), ("bio", "Poet of <b>numbers</b>."), ("links", "https://ada.example.org\n\n")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let profile = site.get("/users/ada").await;
    assert_eq!(profile.status, StatusCode::OK);
    assert!(
        profile.text.contains("Poet of &#60;b&#62;numbers&#60;/b&#62;.")
            && !profile.text.contains("<b>numbers")
    );
    assert!(profile.text.contains("href=\"https://ada.example.org\" rel=\"nofollow ugc noopener\""));
    assert!(
        profile.text.contains("Lovely **engine**.") && profile.text.contains("/papers/2605.00001#comment-")
    );

    for links in [
        "javascript:alert(1)",
        "https://a.example\nhttps://b.example\nhttps://c.example\nhttps://d.example\nhttps://e.example\nhttps://f.example",
        "https://x.example/\"><script>",
    ] {
        let refused = ada.post("/settings/profile", &[("csrf", &csrf), ("bio", ""), ("links", links)]).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{links}");
    }
    let long = "a".repeat(501);
    let refused = ada.post("/settings/profile", &[("csrf", &csrf), ("bio", &long), ("links", "")]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(site.get("/users/nobody").await.status, StatusCode::NOT_FOUND);
    assert_eq!(site.get("/users/%3Cscript%3E").await.status, StatusCode::NOT_FOUND);
}

on_both_engines!(a_profile_shows_what_a_member_wrote_said_and_submitted);

async fn members_are_read_through_the_api(db: &Db) {
    store(
        db,
        vec![
            by("2605.00001", "2026-05-11", &["Ada Lovelace"]),
            by("2605.00002", "2026-05-12", &["Ada Lovelace", "Alan Turing"]),
            by("2605.00003", "2026-05-13", &["Grace Hopper"]),
        ],
    )
    .await;
    set_upvotes(db, "2605.00002", 5).await;
    let site = TestApp::new(db).await;
    let mut ada = site.member("ada").await;
    let mut cora = site.member("cora").await;
    db.grant(None, &site.user("cora").await, Role::Curator).await.unwrap();
    assert_eq!(claim(&mut ada, "2605.00001", "Ada Lovelace", true).await.status, StatusCode::SEE_OTHER);
    let id = pending_claim(&mut cora).await;
    let csrf = cora.session_csrf().await;
    assert_eq!(
        cora.post(&format!("/claims/{id}/verify"), &[("csrf", &csrf)]).await.status,
        StatusCode::SEE_OTHER
    );
    let csrf = ada.session_csrf().await;
    let fields = [("csrf", csrf.as_str()), ("bio", "Poet of numbers."), ("links", "https://ada.example.org")];
    assert_eq!(ada.post("/settings/profile", &fields).await.status, StatusCode::SEE_OTHER);
    let voted = ada.post("/papers/2605.00003/vote", &[("csrf", &csrf), ("up", "1")]).await;
    assert_eq!(voted.status, StatusCode::SEE_OTHER);
    let token = api_token(&mut ada).await;
    for (title, private) in [("Open", false), ("Secret", true)] {
        let made = site
            .api(
                "POST",
                "/api/collections",
                Some(&token),
                Some(serde_json::json!({"title": title, "private": private})),
            )
            .await;
        assert_eq!(made.status, StatusCode::OK, "{}", made.text);
    }

    let overview = site.api("GET", "/api/users/ada/overview", None, None).await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.text);
    let overview = overview.json();
    assert_eq!(overview["user"], "ada");
    assert_eq!(overview["details"], "Poet of numbers.");
    assert_eq!(overview["links"], serde_json::json!(["https://ada.example.org"]));
    assert_eq!((overview["numPapers"].as_i64(), overview["numUpvotes"].as_i64()), (Some(2), Some(5)));
    assert_eq!((overview["numLikes"].as_i64(), overview["numCollections"].as_i64()), (Some(1), Some(1)));

    let papers = site.api("GET", "/api/users/ada/papers?limit=1", None, None).await;
    assert_eq!(papers.status, StatusCode::OK, "{}", papers.text);
    assert_eq!(papers.json()[0]["id"], "2605.00002", "newest first");
    assert_eq!(papers.json()[0]["authors"][0]["status"], "claimed_verified");
    let next = papers.headers[header::LINK].to_str().unwrap();
    assert_eq!(next, "<http://paperboy.test/api/users/ada/papers?limit=1&p=1>; rel=\"next\"");
    let second = site.api("GET", "/api/users/ada/papers?limit=1&p=1", None, None).await;
    assert_eq!(second.json()[0]["id"], "2605.00001");
    assert!(second.headers.get(header::LINK).is_none(), "the last page");
    assert_eq!(site.api("GET", "/api/users/ada/submissions", None, None).await.json(), serde_json::json!([]));

    let listed = |reply: Reply| -> Vec<String> {
        reply.json().as_array().unwrap().iter().map(|c| c["title"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(listed(site.api("GET", "/api/users/ada/collections", None, None).await), ["Open"]);
    let own = listed(site.api("GET", "/api/users/ada/collections", Some(&token), None).await);
    assert_eq!(own.len(), 2, "{own:?}");

    for (uri, status) in [
        ("/api/users/nobody/overview", StatusCode::NOT_FOUND),
        ("/api/users/%3Cscript%3E/overview", StatusCode::BAD_REQUEST),
        ("/api/users/ada/papers?limit=0", StatusCode::BAD_REQUEST),
        ("/api/users/ada/papers?p=-1", StatusCode::BAD_REQUEST),
    ] {
        let reply = site.api("GET", uri, None, None).await;
        assert_eq!(reply.status, status, "{uri}: {}", reply.text);
        assert!(reply.json()["error"].is_string(), "{uri}");
    }
}

on_both_engines!(members_are_read_through_the_api);
