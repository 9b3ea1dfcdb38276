//! Collections and the reading list: papers kept in the owner's order with notes, through the
//! API and the site's forms; their pages, feeds and BibTeX; private collections answered as
//! missing to everyone else; saves teaching the personal digest; a collection of 10,000 papers.
//! Both engines. Hugging Face's own client drives the API in `clients`.

use axum::http::{StatusCode, header};
use paperboy::db::Db;
use paperboy_arxiv::Paper;
use serde_json::json;

use crate::harness::app::{TestApp, api_token};
use crate::harness::fixtures::{dated, sample, store};
use crate::harness::on_both_engines;

/// The slug the API answered for a collection, and its page.
fn slug_of(reply: &serde_json::Value) -> (String, String) {
    let slug = reply["slug"].as_str().unwrap().to_owned();
    let page = format!("/collections/{slug}");
    (slug, page)
}

/// The arXiv ids of a collection's items, in order.
fn ids(collection: &serde_json::Value) -> Vec<String> {
    collection["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect()
}

async fn collections_keep_papers_in_the_owners_order(db: &Db) {
    store(db, sample()).await;
    let site = TestApp::new(db).await;
    let mut ada = site.member("ada").await;
    let token = api_token(&mut ada).await;
    let token = Some(token.as_str());

    let made = site
        .api(
            "POST",
            "/api/collections",
            token,
            Some(json!({"title": "  Graph reading ", "description": "On graphs"})),
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text);
    let (slug, page) = slug_of(&made.json());
    assert!(slug.starts_with("ada/graph-reading-"), "{slug}");
    assert_eq!(made.json()["title"], "Graph reading");
    assert_eq!(made.json()["private"], false);

    // One title per owner; the answer names the one that exists.
    let twice = site.api("POST", "/api/collections", token, Some(json!({"title": "Graph Reading!"}))).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.text);
    assert_eq!(twice.json()["slug"], slug.as_str());

    let items = format!("/api/collections/{slug}/items");
    for (paper, note) in
        [("2605.00002", "Start <here>\nthen the rest"), ("2605.00001", ""), ("2605.00003", "")]
    {
        let added = site
            .api("POST", &items, token, Some(json!({"item": {"id": paper, "type": "paper"}, "note": note})))
            .await;
        assert_eq!(added.status, StatusCode::OK, "{paper}: {}", added.text);
    }
    let collection = site.api("GET", &format!("/api/collections/{slug}"), None, None).await.json();
    assert_eq!(ids(&collection), ["2605.00002", "2605.00001", "2605.00003"]);
    assert_eq!(collection["items"][0]["note"]["html"], "Start &lt;here&gt;<br>then the rest");
    assert!(collection["items"][1].get("note").is_none(), "{collection}");

    // Refusals, each with its status and a message.
    for (body, status) in [
        (json!({"item": {"id": "2605.00002", "type": "paper"}}), StatusCode::CONFLICT),
        (json!({"item": {"id": "2605.99999", "type": "paper"}}), StatusCode::NOT_FOUND),
        (json!({"item": {"id": "gpt2", "type": "model"}}), StatusCode::BAD_REQUEST),
        (
            json!({"item": {"id": "2605.00004", "type": "paper"}, "note": "x".repeat(501)}),
            StatusCode::BAD_REQUEST,
        ),
        (json!({"note": "no item"}), StatusCode::BAD_REQUEST),
    ] {
        let refused = site.api("POST", &items, token, Some(body.clone())).await;
        assert_eq!(refused.status, status, "{body}: {}", refused.text);
        assert!(refused.json()["error"].is_string(), "{}", refused.text);
    }

    // Moving the last first shifts the others; removing one closes the gap.
    let last = collection["items"][2]["_id"].as_str().unwrap();
    let moved = site
        .api("PATCH", &format!("{items}/{last}"), token, Some(json!({"position": 0, "note": "Read first"})))
        .await;
    assert_eq!(moved.status, StatusCode::NO_CONTENT, "{}", moved.text);
    let collection = site.api("GET", &format!("/api/collections/{slug}"), None, None).await.json();
    assert_eq!(ids(&collection), ["2605.00003", "2605.00002", "2605.00001"]);
    let middle = collection["items"][1]["_id"].as_str().unwrap();
    assert_eq!(
        site.api("DELETE", &format!("{items}/{middle}"), token, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        site.api("DELETE", &format!("{items}/{middle}"), token, None).await.status,
        StatusCode::NOT_FOUND
    );
    let collection = site.api("GET", &format!("/api/collections/{slug}"), None, None).await.json();
    let places: Vec<i64> =
        collection["items"].as_array().unwrap().iter().map(|i| i["position"].as_i64().unwrap()).collect();
    assert_eq!(
        (ids(&collection), places),
        (vec!["2605.00003".to_owned(), "2605.00001".to_owned()], vec![0, 1])
    );

    // The page shows them in order with their notes; its feeds and BibTeX follow.
    let shown = site.get(&page).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text);
    let first = shown.text.find("/papers/2605.00003\"").unwrap();
    let second = shown.text.find("/papers/2605.00001\"").unwrap();
    assert!(first < second && shown.text.contains("Read first"), "{}", shown.text);
    assert!(shown.text.contains("A collection by <a href=\"/users/ada\">ada</a>"), "{}", shown.text);
    let feed = site.get(&format!("/feeds{page}.atom")).await;
    assert_eq!(feed.status, StatusCode::OK, "{}", feed.text);
    assert!(feed.text.contains("http://paperboy.test/papers/2605.00003"), "{}", feed.text);
    let bib = site.get(&format!("{page}.bib")).await;
    assert_eq!(bib.status, StatusCode::OK);
    assert!(bib.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/x-bibtex"));
    assert_eq!(bib.text.matches("@misc{").count(), 2, "{}", bib.text);
    assert!(site.get("/users/ada").await.text.contains(&format!("href=\"{page}\"")), "the profile lists it");

    // A new title moves the address; the old one still leads there.
    let renamed = site
        .api(
            "PATCH",
            &format!("/api/collections/{slug}"),
            token,
            Some(json!({"title": "Graphs", "theme": "green"})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text);
    let (new_slug, new_page) = slug_of(&renamed.json()["data"]);
    assert_eq!(&new_slug[new_slug.len() - 24..], &slug[slug.len() - 24..]);
    let old = site.get(&page).await;
    assert_eq!(old.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(old.headers[header::LOCATION], new_page.as_str());
    // Addresses that name no collection, whatever their shape.
    for unknown in [
        "/api/collections/ada/graphs-0123456789abcdef01234567",
        "/api/collections/ada/nokey",
        "/api/collections/not%20a%20name/graphs-0123456789abcdef01234567",
        "/collections/ada/nokey",
        "/collections/ada/graphs-0123456789abcdef01234567.bib",
    ] {
        let reply = site.api("GET", unknown, None, None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{unknown}: {}", reply.text);
    }

    assert_eq!(
        site.api("DELETE", &format!("/api/collections/{new_slug}"), token, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(site.get(&new_page).await.status, StatusCode::NOT_FOUND);
}

async fn private_collections_are_missing_to_everyone_else(db: &Db) {
    store(db, sample()).await;
    let site = TestApp::new(db).await;
    let mut ada = site.member("ada").await;
    let mut bob = site.member("bob").await;
    let ada_token = api_token(&mut ada).await;
    let bob_token = api_token(&mut bob).await;
    let (ada_token, bob_token) = (Some(ada_token.as_str()), Some(bob_token.as_str()));
    let secret = site
        .api("POST", "/api/collections", ada_token, Some(json!({"title": "Secret", "private": true})))
        .await
        .json();
    let (slug, page) = slug_of(&secret);
    let public = site.api("POST", "/api/collections", ada_token, Some(json!({"title": "Open"}))).await.json();
    let (open_slug, _) = slug_of(&public);
    for (slug, paper) in [(&slug, "2605.00001"), (&open_slug, "2605.00002")] {
        let added = site
            .api(
                "POST",
                &format!("/api/collections/{slug}/items"),
                ada_token,
                Some(json!({"item": {"id": paper, "type": "paper"}})),
            )
            .await;
        assert_eq!(added.status, StatusCode::OK, "{}", added.text);
    }

    // The owner sees it everywhere; nobody else anywhere, and a 404 says nothing of it.
    assert_eq!(ada.get(&page).await.status, StatusCode::OK);
    assert_eq!(
        site.api("GET", &format!("/api/collections/{slug}"), ada_token, None).await.status,
        StatusCode::OK
    );
    let unknown = site.get("/collections/ada/secret-0123456789abcdef01234567").await;
    for (what, reply) in [
        ("page, signed out", site.get(&page).await),
        ("page, another member", bob.get(&page).await),
        ("BibTeX", site.get(&format!("{page}.bib")).await),
        ("feed", site.get(&format!("/feeds{page}.rss")).await),
        ("API, signed out", site.api("GET", &format!("/api/collections/{slug}"), None, None).await),
        ("API, another member", site.api("GET", &format!("/api/collections/{slug}"), bob_token, None).await),
    ] {
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{what}: {}", reply.text);
        assert!(!reply.text.contains("Secret"), "{what}: {}", reply.text);
    }
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let listed = |reply: crate::harness::app::Reply| -> Vec<String> {
        reply.json().as_array().unwrap().iter().map(|c| c["slug"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(
        listed(site.api("GET", "/api/collections?owner=ada", bob_token, None).await),
        std::slice::from_ref(&open_slug)
    );
    assert_eq!(
        listed(site.api("GET", "/api/collections?item=papers/2605.00001", None, None).await),
        Vec::<String>::new()
    );
    assert_eq!(listed(site.api("GET", "/api/collections?owner=ada", ada_token, None).await).len(), 2);
    assert!(!site.get("/users/ada").await.text.contains("Secret"));
    assert!(!site.get("/collections").await.text.contains("Secret"));

    // Changing someone else's: a private one is as missing, a public one refused.
    let item = format!("/api/collections/{slug}/items");
    let body = json!({"item": {"id": "2605.00003", "type": "paper"}});
    assert_eq!(site.api("POST", &item, bob_token, Some(body.clone())).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        site.api("DELETE", &format!("/api/collections/{slug}"), bob_token, None).await.status,
        StatusCode::NOT_FOUND
    );
    let open_items = format!("/api/collections/{open_slug}/items");
    assert_eq!(site.api("POST", &open_items, bob_token, Some(body)).await.status, StatusCode::FORBIDDEN);
    let patch = site
        .api("PATCH", &format!("/api/collections/{open_slug}"), bob_token, Some(json!({"title": "Mine"})))
        .await;
    assert_eq!(patch.status, StatusCode::FORBIDDEN, "{}", patch.text);
    let csrf = bob.session_csrf().await;
    let form = bob.post(&format!("/collections/{open_slug}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(form.status, StatusCode::FORBIDDEN, "{}", form.text);
    let namespace = site
        .api("POST", "/api/collections", bob_token, Some(json!({"title": "X", "namespace": "ada"})))
        .await;
    assert_eq!(namespace.status, StatusCode::FORBIDDEN, "{}", namespace.text);
}

async fn saving_puts_papers_on_the_reading_list_and_teaches_the_digest(db: &Db) {
    store(db, sample()).await;
    let site = TestApp::new(db).await;

    // Cards and pages offer "Save"; a visitor is sent to sign in first, and back.
    assert!(site.get("/papers/date/2026-05-11").await.text.contains("href=\"/papers/2605.00001/save\""));
    let visitor = site.get("/papers/2605.00001/save").await;
    assert_eq!(visitor.status, StatusCode::SEE_OTHER);
    assert_eq!(visitor.headers[header::LOCATION], "/login?next=%2Fpapers%2F2605.00001%2Fsave");

    let mut ada = site.member("ada").await;
    let csrf = ada.session_csrf().await;
    for paper in ["2605.00001", "2605.00002", "2605.00002"] {
        let saved = ada.post(&format!("/papers/{paper}/save"), &[("csrf", &csrf), ("saved", "1")]).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    }
    let page = ada.get("/papers/2605.00002").await.text;
    assert!(page.contains("Saved to your reading list"), "{page}");
    let save_page = ada.get("/papers/2605.00002/save").await.text;
    assert!(save_page.contains("It is on <a href=\"/reading-list\">your reading list</a>"), "{save_page}");
    let list = ada.get("/reading-list").await;
    assert_eq!(list.status, StatusCode::SEE_OTHER);
    let list_page = list.headers[header::LOCATION].to_str().unwrap().to_owned();
    assert!(list_page.starts_with("/collections/ada/reading-list-"), "{list_page}");
    let shown = ada.get(&list_page).await.text;
    assert!(shown.contains("2 papers") && shown.contains("private: only you see it"), "{shown}");
    assert_eq!(site.get(&list_page).await.status, StatusCode::NOT_FOUND, "a reading list is private");

    // The save page adds to a new collection and to an existing one.
    let save_page = ada.get("/papers/2605.00003/save").await;
    assert_eq!(save_page.status, StatusCode::OK, "{}", save_page.text);
    let made = ada
        .post(
            "/collections",
            &[
                ("csrf", &csrf),
                ("title", "Diffusion"),
                ("paper", "2605.00003"),
                ("next", "/papers/2605.00003/save"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text);
    let save_page = ada.get("/papers/2605.00003/save").await.text;
    assert!(save_page.contains("Remove from Diffusion"), "{save_page}");
    let user = site.user("ada").await;
    let liked = db.liked_papers(user.id, 10).await.unwrap();
    let liked: Vec<(&str, bool)> = liked.iter().map(|l| (l.id.as_str(), l.saved)).collect();
    assert_eq!(liked, [("2605.00003", true), ("2605.00002", true), ("2605.00001", true)]);
    db.set_vote(user.id, &"2605.00004".parse().unwrap(), true).await.unwrap();
    assert_eq!(db.liked_papers(user.id, 1).await.unwrap()[0].id, "2605.00004", "newest first");

    // Taking one off.
    let off = ada.post("/papers/2605.00001/save", &[("csrf", &csrf), ("saved", "0")]).await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);
    assert!(ada.get(&list_page).await.text.contains("1 paper<"));
    let forged = ada.post("/papers/2605.00001/save", &[("csrf", "forged"), ("saved", "1")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

on_both_engines!(
    collections_keep_papers_in_the_owners_order,
    private_collections_are_missing_to_everyone_else,
    saving_puts_papers_on_the_reading_list_and_teaches_the_digest
);

/// 10,000 papers, numbered from 2601.10000.
fn many_papers() -> Vec<Paper> {
    (0..10_000)
        .map(|n| dated(&format!("2601.{:05}", 10_000 + n), &format!("Paper number {n}"), "2026-01-15"))
        .collect()
}

#[tokio::test]
async fn a_collection_holds_ten_thousand_papers_and_not_one_more() {
    let test = crate::harness::TestDb::sqlite().await;
    let db = &test.db;
    store(db, sample()).await;
    db.upsert_papers(many_papers()).await.unwrap();
    let site = TestApp::new(db).await;
    let mut ada = site.member("ada").await;
    let token = api_token(&mut ada).await;
    let made =
        site.api("POST", "/api/collections", Some(&token), Some(json!({"title": "Everything"}))).await.json();
    let (slug, page) = slug_of(&made);
    let Db::Sqlite(pool) = db else { unreachable!() };
    sqlx::query(
        "INSERT INTO collection_items (collection_id, paper_id, position, note, added_at) \
         SELECT c.id, p.id, ROW_NUMBER() OVER (ORDER BY p.id) - 1, '', '2026-01-16T00:00:00Z' \
         FROM papers p, collections c WHERE p.id LIKE '2601.%' AND c.title = 'Everything'",
    )
    .execute(pool)
    .await
    .unwrap();

    let full = site
        .api(
            "POST",
            &format!("/api/collections/{slug}/items"),
            Some(&token),
            Some(json!({"item": {"id": "2605.00001", "type": "paper"}})),
        )
        .await;
    assert_eq!(full.status, StatusCode::CONFLICT, "{}", full.text);
    assert!(full.text.contains("at most 10000 papers"), "{}", full.text);

    let whole = site.api("GET", &format!("/api/collections/{slug}"), None, None).await.json();
    assert_eq!(whole["items"].as_array().unwrap().len(), 10_000);
    assert_eq!(whole["items"][9_999]["position"], 9_999);
    let shown = site.get(&format!("{page}?page=100")).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(
        shown.text.contains("Page 100 of 100") && shown.text.contains("/papers/2601.19999\""),
        "{}",
        shown.text
    );
    assert_eq!(site.get(&format!("{page}.bib")).await.text.matches("@misc{").count(), 10_000);

    // Moving the last paper first shifts every other one down by one.
    let last = whole["items"][9_999]["_id"].as_str().unwrap();
    let moved = site
        .api(
            "PATCH",
            &format!("/api/collections/{slug}/items/{last}"),
            Some(&token),
            Some(json!({"position": 0})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::NO_CONTENT, "{}", moved.text);
    let whole = site.api("GET", &format!("/api/collections/{slug}"), None, None).await.json();
    assert_eq!(ids(&whole)[..2], ["2601.19999", "2601.10000"]);
    let places: Vec<i64> =
        whole["items"].as_array().unwrap().iter().map(|i| i["position"].as_i64().unwrap()).collect();
    assert_eq!(places, (0..10_000).collect::<Vec<i64>>());
}

/// A paper on the feed of `day` about `topic`.
fn about(id: &str, day: &str, title: &str, topic: &str) -> Paper {
    let mut paper = dated(id, title, day);
    paper.summary = format!("We study {topic}. Our method improves {topic} on three benchmarks.");
    paper
}

async fn for_you_ranks_the_recent_feed_by_what_a_member_liked(db: &Db) {
    store(
        db,
        vec![
            about(
                "2605.00005",
                "2026-05-13",
                "Robot grasping from touch",
                "robot grasping with tactile sensors",
            ),
            about("2605.00001", "2026-05-11", "Quantum error correction codes", "surface codes for qubits"),
            about(
                "2605.00002",
                "2026-05-12",
                "Tactile robot grasping in clutter",
                "robot grasping with tactile sensors",
            ),
            about("2605.00003", "2026-05-13", "Protein language models", "protein structure prediction"),
            about("2605.00004", "2026-05-14", "Sparse attention", "long document transformers"),
        ],
    )
    .await;
    crate::harness::fixtures::set_upvotes(db, "2605.00004", 40).await;
    let site = TestApp::new(db).await;
    let anonymous = site.get("/papers/for-you").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(anonymous.headers[header::LOCATION], "/login?next=%2Fpapers%2Ffor-you");

    let mut ada = site.member("ada").await;
    let empty = ada.get("/papers/for-you").await.text;
    assert!(empty.contains("Upvote or save papers you find worth reading"), "{empty}");
    let csrf = ada.session_csrf().await;
    let saved = ada.post("/papers/2605.00005/save", &[("csrf", &csrf), ("saved", "1")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let page = ada.get("/papers/for-you").await.text;
    let first = page.find("/papers/2605.00002\"").unwrap_or_else(|| panic!("{page}"));
    for other in ["2605.00001", "2605.00003", "2605.00004"] {
        let at = page.find(&format!("/papers/{other}\"")).unwrap_or_else(|| panic!("{other}: {page}"));
        assert!(first < at, "the robot paper first, before {other}, however upvoted: {page}");
    }
    assert!(page.contains("Close to “Robot grasping from touch”, which you saved."), "{page}");
    assert!(!page.contains("/papers/2605.00005\""), "what the member liked is not offered again");
}

on_both_engines!(for_you_ranks_the_recent_feed_by_what_a_member_liked);
