//! The site and the API through the router: feed pages by day, week and month, paper pages with
//! math, search, trending, categories, feeds, the Hugging Face compatible endpoints, and what
//! bad or hostile input gets. Both engines.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::NaiveDate;
use paperboy::db::Db;
use paperboy::domain::feed::{FeatureRules, rule_entries};
use paperboy::progress::Progress;
use paperboy::quota::RateLimit;
use paperboy::search::Search;
use serde_json::Value;

use crate::harness::fixtures::{dated, sample, set_upvotes, store};
use crate::harness::{TestApp, keyword_index, on_both_engines};

/// Asserts that hostile markup from the catalog arrives inert.
fn assert_inert(uri: &str, text: &str) {
    for raw in ["<script>alert", "<img src=x", "<b>Bold", "onerror=alert(1)>"] {
        assert!(!text.contains(raw), "{uri} contains {raw}:\n{text}");
    }
}

async fn feed_pages_show_days_weeks_and_months(db: &Db) {
    store(db, sample()).await;
    set_upvotes(db, "2605.00002", 7).await;
    set_upvotes(db, "2605.00004", 3).await;
    let site = TestApp::new(db).await;

    // The newest day with papers, on the home page.
    let home = site.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.text.contains("Monday, 18 May 2026") && home.text.contains("Robots that grasp"),
        "{}",
        home.text
    );
    assert!(home.text.contains("href=\"/papers/date/2026-05-17\""), "a link to the previous day");

    // A day: most upvoted first.
    let day = site.get("/papers/date/2026-05-11").await;
    assert_eq!(day.status, StatusCode::OK);
    let graph = day.text.find("Graph networks").unwrap();
    let sparse = day.text.find("Sparse attention").unwrap();
    assert!(graph < sparse, "the upvoted paper comes first");
    assert!(day.text.contains("3 papers"));
    assert!(day.text.contains("<math"), "math in excerpts is rendered");

    // A day without papers says so and links to the nearest days that have some.
    let weekend = site.get("/papers/date/2026-05-16").await;
    assert_eq!(weekend.status, StatusCode::OK);
    assert!(weekend.text.contains("No papers are on the feed of Saturday, 16 May 2026"));
    assert!(
        weekend.text.contains("href=\"/papers/date/2026-05-12\"")
            && weekend.text.contains("href=\"/papers/date/2026-05-18\"")
    );

    // The week of 11 May holds five papers; the month all six.
    let week = site.get("/papers/week/2026-W20").await;
    assert!(week.text.contains("Week 20 of 2026") && week.text.contains("5 papers"), "{}", week.text);
    assert!(
        week.text.contains("href=\"/papers/week/2026-W19\"")
            && week.text.contains("href=\"/papers/week/2026-W21\"")
    );
    let month = site.get("/papers/month/2026-05").await;
    assert!(month.text.contains("May 2026") && month.text.contains("6 papers"));
    assert_eq!(site.get("/papers/week").await.headers[header::LOCATION], "/papers/week/2026-W21");
    assert_eq!(site.get("/papers/month").await.headers[header::LOCATION], "/papers/month/2026-05");

    // Trending counts back from now: papers of May have left its window (community tests rank
    // papers within it). A category lists newest first.
    let trending = site.get("/papers/trending").await;
    assert!(trending.text.contains("Nothing is trending"), "{}", trending.text);
    let category = site.get("/categories/cs.RO").await;
    assert!(category.text.contains("Robots that grasp") && !category.text.contains("Sparse attention"));

    for uri in [
        "/",
        "/papers/date/2026-05-12",
        "/papers/week/2026-W20",
        "/papers/trending",
        "/categories/cs.CL",
        "/about",
    ] {
        let page = site.get(uri).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}");
        assert!(page.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
        assert!(
            page.text.contains("<main id=\"main\">") && page.text.contains("<nav aria-label=\"Main\">"),
            "{uri}"
        );
        assert_inert(uri, &page.text);
    }
}

on_both_engines!(feed_pages_show_days_weeks_and_months);

async fn a_paper_page_renders_math_links_and_bibtex_safely(db: &Db) {
    store(db, sample()).await;
    let site = TestApp::new(db).await;
    let page = site.get("/papers/2605.00005").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_inert("/papers/2605.00005", &page.text);
    assert!(page.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the title is shown as text");
    assert!(page.text.contains("<math") && page.text.contains("≤"), "math renders: {}", page.text);
    assert!(page.text.contains("price of $5"), "a price stays a price");
    assert!(
        page.text.contains("href=\"https://arxiv.org/abs/2605.00005\"")
            && page.text.contains("https://arxiv.org/pdf/2605.00005")
    );
    assert!(page.text.contains("@misc{author2026script,"), "{}", page.text);
    assert!(page.text.contains("href=\"/papers/date/2026-05-12\""), "the feed day is linked");
    assert!(page.text.contains("Similar papers"));

    let linked = site.get("/papers/2605.00006").await.text;
    assert!(
        linked.contains("<a href=\"https://github.com/example/grasp\" rel=\"noopener\">Code</a>"),
        "{linked}"
    );
    assert!(linked.contains("<a href=\"https://grasp.example.org/\" rel=\"noopener\">Project page</a>"));
    let json = site.get("/api/papers/2605.00006").await.json();
    assert_eq!(json["githubRepo"], "https://github.com/example/grasp");
    assert_eq!(json["projectPage"], "https://grasp.example.org/");
    assert_eq!(site.get("/papers/2605.00005v3").await.headers[header::LOCATION], "/papers/2605.00005");
    assert_eq!(site.get("/papers/2605.99999").await.status, StatusCode::NOT_FOUND);
    let bad = site.get("/papers/not-a-paper").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.text.contains("<h1>") && bad.text.contains("is not an arXiv id"),
        "a friendly page: {}",
        bad.text
    );
}

on_both_engines!(a_paper_page_renders_math_links_and_bibtex_safely);

async fn search_pages_highlight_filter_and_page(db: &Db) {
    store(db, sample()).await;
    let site = TestApp::new(db).await;
    let results = site.get("/search?q=attention").await;
    assert_eq!(results.status, StatusCode::OK);
    assert!(
        results.text.contains("<mark>attention</mark>") || results.text.contains("<mark>Attention</mark>")
    );
    assert!(results.text.contains("1 paper matches"), "{}", results.text);
    let filtered = site.get("/search?q=abstract&cat=cs.RO").await;
    assert!(filtered.text.contains("Robots that grasp") && !filtered.text.contains("Sparse attention"));
    let dated = site.get("/search?q=abstract&from=2026-05-18&to=2026-05-18").await;
    assert!(dated.text.contains("1 paper matches"), "{}", dated.text);
    let hostile = site.get("/search?q=%3Cscript%3E+alert+bounds").await;
    assert_inert("/search", &hostile.text);
    assert!(hostile.text.contains("value=\"&#60;script&#62; alert bounds\""), "{}", hostile.text);
    assert_eq!(site.get("/search?q=2605.00003").await.headers[header::LOCATION], "/papers/2605.00003");
    let feed = site.get("/search?q=attention").await;
    assert!(feed.text.contains("/feeds/search.rss?q=attention"));
}

on_both_engines!(search_pages_highlight_filter_and_page);

#[tokio::test]
async fn bad_page_addresses_get_friendly_pages_never_a_500() {
    let test = crate::harness::TestDb::sqlite().await;
    store(&test.db, sample()).await;
    let site = TestApp::new(&test.db).await;
    for (uri, status) in [
        ("/papers/date/2025-02-30", StatusCode::BAD_REQUEST),
        ("/papers/date/yesterday", StatusCode::BAD_REQUEST),
        ("/papers/week/2025-W54", StatusCode::BAD_REQUEST),
        ("/papers/week/2025-W53", StatusCode::BAD_REQUEST),
        ("/papers/month/2025-13", StatusCode::BAD_REQUEST),
        ("/papers/date/2999-01-01", StatusCode::NOT_FOUND),
        ("/papers/date/2026-05-11?page=0", StatusCode::BAD_REQUEST),
        ("/papers/date/2026-05-11?page=-1", StatusCode::BAD_REQUEST),
        ("/papers/%3Cscript%3E", StatusCode::BAD_REQUEST),
        ("/categories/%3Cscript%3E", StatusCode::BAD_REQUEST),
        ("/categories/astro-ph.XX", StatusCode::NOT_FOUND),
        ("/search?q=x&mode=fuzzy", StatusCode::BAD_REQUEST),
        ("/search?q=x&from=2025-02-30", StatusCode::BAD_REQUEST),
        ("/nothing/here", StatusCode::NOT_FOUND),
        ("/feeds/nothing.rss", StatusCode::NOT_FOUND),
        ("/feeds/search.rss", StatusCode::BAD_REQUEST),
    ] {
        let page = site.get(uri).await;
        assert_eq!(page.status, status, "{uri}: {}", page.text);
        assert!(
            page.text.contains("<!doctype html>") && page.text.contains("<h1>"),
            "{uri}: a page, not JSON"
        );
        assert_inert(uri, &page.text);
    }
    let long = format!("/search?q={}", "a".repeat(300));
    assert_eq!(site.get(&long).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn pages_carry_validators_and_are_compressed() {
    let test = crate::harness::TestDb::sqlite().await;
    store(&test.db, sample()).await;
    let site = TestApp::new(&test.db).await;
    let first = site.get("/papers/date/2026-05-11").await;
    let etag = first.headers[header::ETAG].to_str().unwrap().to_owned();
    assert!(first.headers.contains_key(header::LAST_MODIFIED));
    let again = site.get_with("/papers/date/2026-05-11", header::IF_NONE_MATCH, &etag).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    let zipped = site.get_with("/papers/date/2026-05-11", header::ACCEPT_ENCODING, "gzip").await;
    assert_eq!(zipped.headers[header::CONTENT_ENCODING], "gzip");

    // A change to the catalog shows at once, with a new entity tag.
    store(&test.db, vec![dated("2605.00007", "A late arrival", "2026-05-11")]).await;
    let changed = site.get_with("/papers/date/2026-05-11", header::IF_NONE_MATCH, &etag).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert!(changed.text.contains("A late arrival"));
    assert_ne!(changed.headers[header::ETAG], etag.as_str());

    // The API is compressed too, for clients that ask.
    let api = site.get_with("/api/daily_papers?date=2026-05-11", header::ACCEPT_ENCODING, "gzip").await;
    assert_eq!(api.headers[header::CONTENT_ENCODING], "gzip");
}

/// The API's answers that are the same for every caller come from the page cache: validators,
/// `304`, the `Link` to the next page kept, and a vote or a new paper seen at once.
async fn the_api_answers_from_the_page_cache_and_shows_changes_at_once(db: &Db) {
    store(db, sample()).await;
    let site = TestApp::new(db).await;
    let uri = "/api/daily_papers?date=2026-05-11&limit=2";
    let first = site.get(uri).await;
    assert_eq!(first.status, StatusCode::OK);
    let etag = first.headers[header::ETAG].to_str().unwrap().to_owned();
    let link = first.headers[header::LINK].to_str().unwrap().to_owned();
    assert!(link.contains("p=1") && link.ends_with("rel=\"next\""), "{link}");
    let again = site.get_with(uri, header::IF_NONE_MATCH, &etag).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    let cached = site.get(uri).await;
    assert_eq!(
        (cached.text.as_str(), &cached.headers[header::LINK]),
        (first.text.as_str(), &link.parse().unwrap())
    );

    let paper = site.get("/api/papers/2605.00001").await;
    assert_eq!(paper.json()["upvotes"], 0);
    let paper_etag = paper.headers[header::ETAG].to_str().unwrap().to_owned();
    assert_eq!(
        site.get_with("/api/papers/2605.00001", header::IF_NONE_MATCH, &paper_etag).await.status,
        StatusCode::NOT_MODIFIED
    );
    for uri in ["/api/papers?limit=2", "/api/users/nobody-here/overview"] {
        let answer = site.get(uri).await;
        match answer.headers.get(header::ETAG) {
            Some(etag) => {
                let again = site.get_with(uri, header::IF_NONE_MATCH, etag.to_str().unwrap()).await;
                assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{uri}");
            }
            None => assert_eq!(answer.status, StatusCode::NOT_FOUND, "{uri}: only errors go uncached"),
        }
    }
    // The site's page of the same path is another answer, not the API's.
    assert!(site.get("/papers/2605.00001").await.text.starts_with("<!doctype html>"));

    let email: paperboy::domain::accounts::Email = "voter@example.org".parse().unwrap();
    let name: paperboy::domain::accounts::UserName = "voter".parse().unwrap();
    let voter = db
        .create_user(&name, &email, None, paperboy::domain::accounts::Role::User, false)
        .await
        .unwrap()
        .unwrap();
    db.set_vote(voter.id, &"2605.00001".parse().unwrap(), true).await.unwrap();
    let voted = site.get_with("/api/papers/2605.00001", header::IF_NONE_MATCH, &paper_etag).await;
    assert_eq!(voted.status, StatusCode::OK, "a vote moves the catalog clock");
    assert_eq!(voted.json()["upvotes"], 1);
    store(db, vec![dated("2605.00007", "A late arrival", "2026-05-11")]).await;
    let changed = site.get("/api/daily_papers?date=2026-05-11").await;
    assert!(changed.text.contains("A late arrival"));
    assert_eq!(site.get("/api/papers/2605.99999").await.status, StatusCode::NOT_FOUND, "errors are not kept");
}

on_both_engines!(the_api_answers_from_the_page_cache_and_shows_changes_at_once);

async fn feeds_are_rss_and_atom_with_stable_absolute_links(db: &Db) {
    store(db, sample()).await;
    let site = TestApp::new(db).await;
    for uri in [
        "/feeds/daily.rss",
        "/feeds/daily.atom",
        "/feeds/categories/cs.CL.rss",
        "/feeds/categories/cs.CL.atom",
        "/feeds/search.rss?q=abstract",
        "/feeds/search.atom?q=abstract",
    ] {
        let feed = site.get(uri).await;
        assert_eq!(feed.status, StatusCode::OK, "{uri}");
        let kind = if uri.contains(".rss") { "application/rss+xml" } else { "application/atom+xml" };
        assert!(feed.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with(kind), "{uri}");
        assert_inert(uri, &feed.text);
        assert!(feed.text.contains("http://paperboy.test/papers/2605.0000"), "{uri}: absolute links");
        assert!(!feed.text.contains("href=\"/"), "{uri}: no relative links");
        let mut reader = quick_xml::Reader::from_str(&feed.text);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("{uri} is not well-formed XML: {e}\n{}", feed.text),
            }
        }
    }
    for uri in ["/feeds/trending.rss", "/feeds/trending.atom"] {
        let feed = site.get(uri).await;
        assert_eq!(feed.status, StatusCode::OK, "{uri}");
        assert!(!feed.text.contains("/papers/2605."), "{uri}: nothing of May trends now");
    }
    let rss = site.get("/feeds/daily.rss").await.text;
    assert!(rss.contains("<guid isPermaLink=\"true\">http://paperboy.test/papers/2605.00006</guid>"));
    assert!(rss.contains("<pubDate>Mon, 18 May 2026 00:00:00 +0000</pubDate>"), "{rss}");
}

on_both_engines!(feeds_are_rss_and_atom_with_stable_absolute_links);

async fn daily_papers_follow_hugging_faces_api(db: &Db) {
    store(db, sample()).await;
    set_upvotes(db, "2605.00003", 4).await;
    let site = TestApp::new(db).await;

    let day = site.get("/api/daily_papers?date=2026-05-11").await;
    assert_eq!(day.status, StatusCode::OK);
    let items = day.json();
    let ids: Vec<&str> =
        items.as_array().unwrap().iter().map(|i| i["paper"]["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["2605.00003", "2605.00001", "2605.00002"], "upvotes, then the time they joined");
    let first = &items[0];
    assert_eq!(first["paper"]["upvotes"], 4);
    assert_eq!(first["paper"]["submittedOnDailyAt"], "2026-05-11T00:00:00.000Z");
    assert_eq!(first["publishedAt"], "2026-05-11T00:00:00.000Z");
    assert_eq!(first["title"], first["paper"]["title"]);
    assert_eq!(first["numComments"], 0);
    assert_eq!(first["isAuthorParticipating"], false);
    assert_eq!(first["submittedBy"], Value::Null);

    // A full ISO time names its UTC day; a day without papers is empty.
    assert_eq!(
        site.get("/api/daily_papers?date=2026-05-11T10:00:00.000Z").await.json().as_array().unwrap().len(),
        3
    );
    assert_eq!(site.get("/api/daily_papers?date=2026-05-16").await.json(), serde_json::json!([]));
    assert_eq!(site.get("/api/daily_papers?week=2026-W20").await.json().as_array().unwrap().len(), 5);
    assert_eq!(site.get("/api/daily_papers?month=2026-05").await.json().as_array().unwrap().len(), 6);

    // Newest first without a period; pages announced with Link: rel="next".
    let page = site.get("/api/daily_papers?limit=4").await;
    assert_eq!(page.json()[0]["paper"]["id"], "2605.00006");
    let link = page.headers[header::LINK].to_str().unwrap();
    assert_eq!(link, "<http://paperboy.test/api/daily_papers?limit=4&p=1>; rel=\"next\"");
    let last = site.get("/api/daily_papers?limit=4&p=1").await;
    assert_eq!(last.json().as_array().unwrap().len(), 2);
    assert!(!last.headers.contains_key(header::LINK));
    // Within a past month every score has decayed to 0: the latest to join come first.
    let sorted = site.get("/api/daily_papers?sort=trending&month=2026-05").await.json();
    assert_eq!(sorted.as_array().unwrap().len(), 6);
    let now = site.get("/api/daily_papers?sort=trending").await.json();
    assert_eq!(now, serde_json::json!([]), "nothing of May trends now");
    assert_eq!(site.get("/api/daily_papers?submitter=nobody").await.json(), serde_json::json!([]));

    for (query, message) in [
        ("date=2025-02-30", "invalid date `2025-02-30`"),
        ("week=2025-W54", "2025 has no week 54"),
        ("month=2025-13", "invalid month `2025-13`"),
        ("limit=0", "expected number to be >=1"),
        ("limit=101", "expected number to be <=100"),
        ("p=-1", "p must be a whole number"),
        ("sort=popular", "unknown sort `popular`"),
        ("date=2026-05-11&week=2026-W20", "not several"),
    ] {
        let reply = site.get(&format!("/api/daily_papers?{query}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        let error = reply.json()["error"].as_str().unwrap().to_owned();
        assert!(error.contains(message), "{query}: {error}");
    }
    // Periods of the documented form that name nothing yet, or nothing at all, are not found.
    for (query, message) in
        [("date=2999-01-01", "2999-01-01 is in the future"), ("week=2027-W53", "2027 has no week 53")]
    {
        let reply = site.get(&format!("/api/daily_papers?{query}")).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{query}");
        assert!(reply.json()["error"].as_str().unwrap().contains(message), "{query}: {}", reply.text);
    }
}

on_both_engines!(daily_papers_follow_hugging_faces_api);

async fn search_and_listing_endpoints_check_their_input(db: &Db) {
    store(db, sample()).await;
    let site = TestApp::new(db).await;
    let results = site.get("/api/papers/search?q=graph").await.json();
    assert_eq!(results[0]["paper"]["id"], "2605.00002");
    assert_eq!(results[0]["paper"]["submittedOnDailyAt"], "2026-05-11T00:00:00.000Z");
    assert_eq!(results[0]["title"], "Graph networks");
    assert_eq!(site.get("/api/papers/search?q=abstract&limit=2").await.json().as_array().unwrap().len(), 2);
    for (query, message) in [
        ("", "q is required"),
        ("q=", "q is required"),
        ("q=x&limit=121", "expected number to be <=120"),
        ("q=x&limit=0", "expected number to be >=1"),
        ("q=x&mode=fuzzy", "unknown mode"),
    ] {
        let reply = site.get(&format!("/api/papers/search?{query}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(reply.json()["error"].as_str().unwrap().contains(message), "{query}: {}", reply.text);
    }
    let long = site.get(&format!("/api/papers/search?q={}", "a".repeat(300))).await;
    assert_eq!(long.status, StatusCode::BAD_REQUEST);

    // Every paper once, newest first, page by page.
    let mut seen = Vec::new();
    let mut next = Some("/api/papers?limit=4".to_owned());
    while let Some(uri) = next.take() {
        let page = site.get(&uri).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}: {}", page.text);
        seen.extend(page.json().as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()));
        next = page.headers.get(header::LINK).map(|link| {
            let link = link.to_str().unwrap();
            link[link.find("/api/").unwrap()..link.find('>').unwrap()].to_owned()
        });
    }
    assert_eq!(seen, ["2605.00006", "2605.00005", "2605.00004", "2605.00003", "2605.00002", "2605.00001"]);
    for bad in ["cursor=nonsense", "cursor=2026-05-11~not-an-id", "limit=101", "limit=abc"] {
        let reply = site.get(&format!("/api/papers?{bad}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(reply.json()["error"].is_string());
    }
}

on_both_engines!(search_and_listing_endpoints_check_their_input);

#[tokio::test]
async fn the_openapi_document_covers_every_endpoint() {
    let test = crate::harness::TestDb::sqlite().await;
    store(&test.db, sample()).await;
    let site = TestApp::new(&test.db).await;
    let document = site.get("/api/openapi.json").await.json();
    assert_eq!(document["openapi"], "3.1.0");
    let mut operations = std::collections::BTreeSet::new();
    for (path, methods) in document["paths"].as_object().unwrap() {
        for (method, operation) in methods.as_object().unwrap() {
            operations.insert(format!("{} {path}", method.to_uppercase()));
            let id = if path.starts_with("/api/papers") { "2605.00001" } else { "7" };
            let uri = path
                .replace("{id}", id)
                .replace("{name}", "ada")
                .replace("{owner}", "ada")
                .replace("{slug}", "graphs-0123456789abcdef01234567")
                .replace("{item}", "7")
                .replace("/search", "/search?q=graph");
            let request = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&uri)
                .body(Body::empty())
                .unwrap();
            let reply = site.request(request).await;
            // Public reads answer; everything that needs a token says so; what a token is one
            // way to call (`{}` among the security requirements) says what is missing.
            let security = operation["security"].as_array();
            let token_optional =
                security.is_some_and(|s| s.iter().any(|r| r.as_object().is_some_and(|o| o.is_empty())));
            if method == "get" && path.starts_with("/api/users/") {
                // Members are for everyone to read; there is no member called ada here.
                assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {uri}: {}", reply.text);
            } else if token_optional && method == "get" && path.starts_with("/api/collections") {
                // Public collections are for everyone; this one does not exist.
                let expected = if path.contains("{slug}") { StatusCode::NOT_FOUND } else { StatusCode::OK };
                assert_eq!(reply.status, expected, "{method} {uri}: {}", reply.text);
            } else if token_optional {
                assert!(
                    [StatusCode::BAD_REQUEST, StatusCode::UNAUTHORIZED].contains(&reply.status),
                    "{method} {uri}: {} {}",
                    reply.status,
                    reply.text
                );
                assert!(reply.json()["error"].is_string());
            } else {
                let expected = if security.is_some() { StatusCode::UNAUTHORIZED } else { StatusCode::OK };
                assert_eq!(reply.status, expected, "{method} {uri}: {}", reply.text);
            }
            let documented = operation["responses"].as_object().unwrap();
            assert!(
                documented.keys().any(|code| code.starts_with('2')),
                "{method} {path} documents its answer"
            );
        }
    }
    let routes = [
        "GET /api/daily_papers",
        "GET /api/openapi.json",
        "GET /api/papers",
        "GET /api/papers/search",
        "GET /api/papers/{id}",
        "POST /api/papers/submit",
        "POST /api/papers/{id}/vote",
        "DELETE /api/papers/{id}/vote",
        "GET /api/papers/{id}/comments",
        "POST /api/papers/{id}/comments",
        "POST /api/papers/{id}/links",
        "POST /api/papers/{id}/hide",
        "DELETE /api/papers/{id}/hide",
        "POST /api/papers/{id}/feature",
        "PATCH /api/comments/{id}",
        "DELETE /api/comments/{id}",
        "POST /api/comments/{id}/hide",
        "GET /api/collections",
        "POST /api/collections",
        "GET /api/collections/{owner}/{slug}",
        "PATCH /api/collections/{owner}/{slug}",
        "DELETE /api/collections/{owner}/{slug}",
        "POST /api/collections/{owner}/{slug}/items",
        "PATCH /api/collections/{owner}/{slug}/items/{item}",
        "DELETE /api/collections/{owner}/{slug}/items/{item}",
        "GET /api/users/{name}/overview",
        "GET /api/users/{name}/papers",
        "GET /api/users/{name}/submissions",
        "GET /api/users/{name}/collections",
        "GET /api/whoami-v2",
        "GET /api/tokens",
        "DELETE /api/tokens/{id}",
        "POST /api/users/{name}/role",
        "GET /api/moderation/log",
        "POST /api/subscriptions",
        "GET /api/subscriptions/current",
        "PATCH /api/subscriptions/current",
        "DELETE /api/subscriptions/current",
    ];
    assert_eq!(
        operations,
        routes.iter().map(|r| r.to_string()).collect(),
        "every route of api::routes, and nothing else"
    );

    // Every `$ref` names a schema the document holds, and every schema it holds is used.
    fn refs<'a>(value: &'a serde_json::Value, found: &mut std::collections::BTreeSet<&'a str>) {
        match value {
            serde_json::Value::Object(object) => {
                if let Some(target) = object.get("$ref").and_then(|r| r.as_str()) {
                    found.insert(target);
                }
                object.values().for_each(|v| refs(v, found));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }
    let mut found = std::collections::BTreeSet::new();
    refs(&document, &mut found);
    let schemas = document["components"]["schemas"].as_object().unwrap();
    let held: std::collections::BTreeSet<String> =
        schemas.keys().map(|name| format!("#/components/schemas/{name}")).collect();
    assert_eq!(found.iter().map(|r| r.to_string()).collect::<std::collections::BTreeSet<_>>(), held);
}

#[tokio::test]
async fn clients_are_rate_limited_and_told_their_quota() {
    let test = crate::harness::TestDb::sqlite().await;
    let site = TestApp::with(&test.db, |c| {
        c.rate_limits.reads = Some(RateLimit { requests: 3, window: Duration::from_secs(60) });
    })
    .await;
    for remaining in [2, 1, 0] {
        let reply = site.get("/api/daily_papers").await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.headers["ratelimit-policy"], "\"reads\";q=3;w=60");
        let state = reply.headers["ratelimit"].to_str().unwrap();
        assert!(state.starts_with(&format!("\"reads\";r={remaining};t=")), "{state}");
    }
    let refused = site.get("/api/daily_papers").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait));
    assert!(refused.json()["error"].as_str().unwrap().contains("too many reads"));
    // A person in a browser gets a page that says the same, with the same status and headers.
    let page = site.get("/papers").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.headers.contains_key(header::RETRY_AFTER));
    assert!(
        page.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"),
        "{:?}",
        page.headers
    );
    assert!(page.text.contains("Too many reads: 3 per 60 s from one address"), "{}", page.text);
    assert_eq!(site.get("/healthz").await.status, StatusCode::OK, "health checks are not limited");
    let metrics = site.get("/metrics").await.text;
    assert!(metrics.contains("paperboy_rate_limited_total 2"), "{metrics}");
}

#[tokio::test]
async fn members_count_apart_from_their_address_and_reading_does_not_spend_searches() {
    let test = crate::harness::TestDb::sqlite().await;
    let site = TestApp::with(&test.db, |c| {
        c.rate_limits.reads = Some(RateLimit { requests: 20, window: Duration::from_secs(60) });
        c.rate_limits.searches = Some(RateLimit { requests: 2, window: Duration::from_secs(60) });
    })
    .await;
    let mut member = site.member("ada").await;
    // The first page after signing in recognises the session; from then on it is the member's.
    assert_eq!(member.get("/papers").await.status, StatusCode::OK);
    let mut visitor = site.browser();
    let mut pages = 0;
    while visitor.get("/papers").await.status == StatusCode::OK {
        pages += 1;
        assert!(pages <= 20, "the address was never refused");
    }
    let page = member.get("/papers").await;
    assert_eq!(page.status, StatusCode::OK, "the member is not refused with the address");
    let state = page.headers["ratelimit"].to_str().unwrap();
    assert!(state.starts_with("\"reads\";r=19;"), "{state}");

    // Searching is counted apart: the visitor who read all it may still searches.
    for _ in 0..2 {
        let reply = visitor.get("/search?q=graph").await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.headers["ratelimit-policy"].to_str().unwrap().starts_with("\"searches\";q=2"));
    }
    let refused = visitor.get("/search?q=graph").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.text.contains("Too many searches: 2 per 60 s from one address"), "{}", refused.text);
    for _ in 0..19 {
        member.get("/papers").await;
    }
    let refused = member.get("/papers").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.text.contains("Too many reads: 20 per 60 s from one member"), "{}", refused.text);
}

#[tokio::test]
async fn the_api_allows_any_origin_and_metrics_count_routes() {
    let test = crate::harness::TestDb::sqlite().await;
    store(&test.db, sample()).await;
    let site = TestApp::new(&test.db).await;
    let reply = site.get_with("/api/papers/2605.00001", header::ORIGIN, "https://elsewhere.example").await;
    assert_eq!(reply.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    site.get("/api/papers/search?q=graph").await;
    site.get("/papers/2605.00001").await;
    site.get("/papers/2605.00001").await;
    let metrics = site.get("/metrics").await.text;
    for expected in [
        "paperboy_http_requests_total{method=\"GET\",route=\"/api/papers/{id}\",status=\"200\"} 1",
        "paperboy_http_requests_total{method=\"GET\",route=\"/papers/{*id}\",status=\"200\"} 2",
        "paperboy_search_duration_seconds_count{mode=\"keyword\"} 1",
        "paperboy_page_cache_hits_total 1",
        "paperboy_index_lag_papers{index=\"keyword\"} 0",
    ] {
        assert!(metrics.contains(expected), "missing {expected}:\n{metrics}");
    }
}

async fn curators_feature_papers_and_rules_choose_what_joins(db: &Db) {
    use paperboy::db::feed::Featured;
    let mut papers = sample();
    let rules = FeatureRules::new(vec!["cat:cs.RO".parse().unwrap()]);
    let entries = rule_entries(&rules, &papers);
    assert_eq!(entries.iter().map(|e| e.paper_id.as_str()).collect::<Vec<_>>(), ["2605.00006"]);
    db.upsert_papers(std::mem::take(&mut papers)).await.unwrap();
    assert_eq!(db.add_feed_entries(&entries).await.unwrap(), 1);
    assert_eq!(db.add_feed_entries(&entries).await.unwrap(), 0, "a paper joins once");

    let id = "2605.00001".parse().unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 5, 13).unwrap();
    assert_eq!(db.feature(None, &id, day).await.unwrap(), Some(Featured::Added));
    assert_eq!(db.feature(None, &id, day).await.unwrap(), Some(Featured::AlreadyThere));
    let later = NaiveDate::from_ymd_opt(2026, 5, 14).unwrap();
    assert_eq!(db.feature(None, &id, later).await.unwrap(), Some(Featured::Moved { from: day }));
    assert_eq!(db.feature(None, &"2605.99999".parse().unwrap(), day).await.unwrap(), None);
    let site = TestApp::new(db).await;
    let moved = site.get("/api/daily_papers?date=2026-05-14").await.json();
    assert_eq!(moved[0]["paper"]["id"], "2605.00001");
    assert_eq!(site.get("/api/daily_papers?date=2026-05-13").await.json(), serde_json::json!([]));
}

on_both_engines!(curators_feature_papers_and_rules_choose_what_joins);

#[tokio::test]
async fn with_a_model_search_is_hybrid_and_metrics_show_the_vector_index_catching_up() {
    let test = crate::harness::TestDb::sqlite().await;
    store(&test.db, sample()).await;
    let embedder: Arc<dyn paperboy_embed::Embedder> = Arc::new(paperboy_embed::HashEmbedder::new(64));
    let quiet = Progress::records(false, "embedding");
    paperboy::search::embedding::embed_catalog(&test.db, embedder.clone(), 4, None, &quiet).await.unwrap();
    let semantic = Arc::new(paperboy::search::semantic::Semantic::open(embedder, None).await.unwrap());
    let search = Search::with_semantic(keyword_index(&test.db).await, semantic.clone());
    let site = TestApp::with_search(&test.db, search, |_| {});

    let metrics = site.get("/metrics").await.text;
    assert!(metrics.contains("paperboy_index_lag_papers{index=\"vectors\"} 6"), "{metrics}");
    semantic.catch_up(&test.db).await.unwrap();
    let metrics = site.get("/metrics").await.text;
    assert!(metrics.contains("paperboy_index_lag_papers{index=\"vectors\"} 0"), "{metrics}");

    let page = site.get("/search?q=graph+networks").await.text;
    assert!(page.contains("value=\"hybrid\" checked"), "hybrid is the default with a model: {page}");
    assert!(page.contains("href=\"/papers/2605.00002\""), "{page}");
    let api = site.get("/api/papers/search?q=graph+networks&mode=semantic").await;
    assert_eq!(api.status, StatusCode::OK);
    assert_eq!(api.json().as_array().unwrap().len(), 6, "semantic search ranks every embedded paper");
    let metrics = site.get("/metrics").await.text;
    for mode in ["hybrid", "semantic"] {
        assert!(
            metrics.contains(&format!("paperboy_search_duration_seconds_count{{mode=\"{mode}\"}} 1")),
            "{metrics}"
        );
    }
}
