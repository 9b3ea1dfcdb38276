//! People: author pages that gather the spellings of a name, their feeds, and the lookup table
//! behind them, kept with the catalog and filled in for a catalog stored before it. Both
//! engines.

use axum::http::{StatusCode, header};
use paperboy::db::Db;
use paperboy_arxiv::Paper;

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
