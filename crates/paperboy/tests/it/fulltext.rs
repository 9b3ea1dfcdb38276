//! Papers' full texts: the job fetches each queued paper's HTML and PDF from a local server
//! answering as arXiv does (the recorded arXiv page and PDFs, 404, 403, 503 with Retry-After,
//! a captcha page, a redirect loop, a cut transfer, a page over the limit, an encrypted PDF and
//! a decompression bomb, read by `paperboy pdf-worker` under a memory limit), records every
//! outcome with its reason, keeps thumbnails, and the site serves the paper as Markdown at
//! `/papers/{id}.md` and to `Accept: text/markdown`, with the abstract for a paper that has
//! none; and full texts are searched by passage. Both engines.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{StatusCode, header};
use paperboy::db::Db;
use paperboy::db::fulltext::FullTextOutcome;
use paperboy::fulltext::{FullTextOptions, FullTextReport, PdfReader, encode, fetch_due};
use paperboy::progress::Progress;
use paperboy::search::follow;
use paperboy::search::{Mode, Search, SearchRequest, SearchResults};
use paperboy_arxiv::client::{ArxivClient, ClientConfig};
use paperboy_search::SearchIndex;

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

fn pdf(body: Vec<u8>) -> Scripted {
    Scripted { headers: vec![("content-type", "application/pdf".into())], ..Scripted::ok(body) }
}

/// A one-page PDF whose content stream inflates to `mib` MiB: a few kilobytes on the wire.
/// The stream is one deflate segment of a MiB of zeros, repeated (a sync flush ends each on a
/// byte boundary), then an empty final block and the checksum of that many zeros.
fn decompression_bomb(mib: usize) -> Vec<u8> {
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&vec![0u8; 1 << 20]).unwrap();
    encoder.flush().unwrap();
    let segment = encoder.get_ref().clone();
    let mut stream = vec![0x78, 0xda];
    for _ in 0..mib {
        stream.extend_from_slice(&segment);
    }
    let zeros = (mib as u64) << 20;
    stream.extend_from_slice(&[0x03, 0x00]);
    stream.extend_from_slice(&((((zeros % 65_521) as u32) << 16) | 1).to_be_bytes());
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>".to_vec(),
        [
            format!("<< /Length {} /Filter /FlateDecode >>\nstream\n", stream.len()).as_bytes(),
            &stream,
            b"\nendstream",
        ]
        .concat(),
    ];
    for (n, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", n + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1)
            .as_bytes(),
    );
    out
}

async fn state(db: &Db, id: &str) -> (String, Option<String>, Option<String>) {
    let text = db.full_text(id).await.unwrap().unwrap_or_else(|| panic!("{id} has no full text row"));
    (text.state, text.source, text.reason)
}

async fn full_texts_are_fetched_politely_and_every_outcome_is_recorded(db: &Db) {
    let page = std::fs::read(shared("fixtures/arxiv-fulltext/html/2501.11120v1.html")).unwrap();
    let two_columns = std::fs::read(shared("fixtures/arxiv-fulltext/pdf/2304.02623v1.pdf")).unwrap();
    let long = std::fs::read(shared("fixtures/arxiv-fulltext/pdf/2206.10883v3.pdf")).unwrap();
    let encrypted = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../paperboy-fulltext/tests/fixtures/encrypted.pdf"),
    )
    .unwrap();
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
        dated("2605.00010", "A bomb", "2026-05-11"),
        dated("2605.00011", "Locked", "2026-05-11"),
    ];
    store(db, papers).await;
    // reqwest follows 10 redirects and gives up at the 11th.
    let loop_back = (0..11).map(|_| Scripted::status(302, vec![("location", "/html/2605.00007".into())]));
    let mut replies = vec![
        html(page.clone()),
        pdf(two_columns),
        Scripted::status(404, vec![]),
        pdf(long),
        Scripted::status(503, vec![("retry-after", "1".into())]),
        html(b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>".to_vec()),
        Scripted::status(403, vec![]),
        html(vec![b' '; 3 << 20]),
        Scripted::status(404, vec![]),
    ];
    replies.extend(loop_back);
    replies.push(html(page[..page.len() / 2].to_vec()));
    replies.extend([Scripted::status(404, vec![]), pdf(decompression_bomb(1024))]);
    replies.extend([Scripted::status(404, vec![]), pdf(encrypted)]);
    let server = ReplayServer::start(replies).await;
    let since = "2026-05-11".parse().unwrap();
    let queued = db.queue_featured_full_texts(since, chrono::Utc::now()).await.unwrap();
    assert_eq!(queued, 11);
    // One paper is left for a reader to open first.
    let sql = "DELETE FROM full_texts WHERE paper_id = '2605.00009'";
    match db {
        Db::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
    }
    .unwrap();

    let reader = PdfReader {
        program: env!("CARGO_BIN_EXE_paperboy").into(),
        memory: 512 << 20,
        deadline: Duration::from_secs(60),
    };
    let options = FullTextOptions { max_bytes: 2 << 20, pdf: reader, ..FullTextOptions::default() };
    let report = fetch_due(db, &arxiv(&server), options.clone()).await.unwrap();
    assert_eq!(
        FullTextReport { fetched_bytes: 0, ..report.clone() },
        FullTextReport { ready: 2, missing: 4, failed: 4, fetched_bytes: 0 },
        "{report:?}"
    );
    assert_eq!(state(db, "2501.11120").await, ("ready".into(), Some("html".into()), None));
    // Without an HTML rendering, the PDF's text.
    assert_eq!(state(db, "2605.00002").await, ("ready".into(), Some("pdf".into()), None));
    for (id, width, height) in [("2501.11120", 320, 414), ("2605.00002", 320, 414)] {
        let thumbnail = db.thumbnail(id).await.unwrap().unwrap_or_else(|| panic!("{id} has no thumbnail"));
        assert_eq!((thumbnail.width, thumbnail.height), (width, height), "{id}");
        assert!(thumbnail.image.starts_with(b"\x89PNG"));
    }
    let reason = |id| async move { state(db, id).await.2.unwrap_or_default() };
    assert!(reason("2605.00005").await.contains("withdrawn"));
    let too_large = reason("2605.00006").await;
    assert!(too_large.contains("larger than the limit") && too_large.contains("no PDF"), "{too_large}");
    // The bomb ended only the process reading it.
    let bomb = reason("2605.00010").await;
    assert!(bomb.contains("no HTML rendering") && bomb.contains("the PDF reader stopped"), "{bomb}");
    assert!(
        reason("2605.00011").await.ends_with("the PDF: the PDF is encrypted"),
        "{}",
        reason("2605.00011").await
    );
    let no_thumbnail = db.full_text("2605.00011").await.unwrap().unwrap().pdf_reason;
    assert_eq!(no_thumbnail.as_deref(), Some("the PDF is encrypted"));
    assert!(db.thumbnail("2605.00011").await.unwrap().is_none());
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
        paths[..7],
        [
            "/html/2501.11120v1",
            "/pdf/2501.11120v1",
            "/html/2605.00002",
            "/pdf/2605.00002",
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
    assert!(seen[5].at - seen[4].at >= Duration::from_secs(1), "Retry-After was honoured");

    // Nothing more is due: failures wait an hour before their next attempt.
    let again = fetch_due(db, &arxiv(&server), options.clone()).await.unwrap();
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

    let from_pdf = site.get("/papers/2605.00002.md").await.text;
    assert!(
        from_pdf.starts_with(
            "# No rendering\n\nAda Lovelace, Alan Turing\n\n> This text was extracted from the paper's PDF"
        ),
        "{from_pdf}"
    );
    assert!(from_pdf.contains("\n## Page 37\n"));
    let fallback = site.get("/papers/2605.00006.md").await;
    assert_eq!(fallback.status, StatusCode::OK);
    let expected = "# Enormous\n\nAda Lovelace, Alan Turing\n\n## Abstract\n\nAn abstract about Enormous";
    assert!(fallback.text.starts_with(expected), "{}", fallback.text);
    assert!(fallback.text.contains("arXiv has no PDF of this paper)"), "{}", fallback.text);
    assert_eq!(site.get("/papers/2605.99999.md").await.status, StatusCode::NOT_FOUND);
    assert_eq!(site.get("/papers/not-a-paper.md").await.status, StatusCode::NOT_FOUND);

    let thumbnail = site.get("/papers/2501.11120/thumbnail").await;
    assert_eq!(thumbnail.headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(thumbnail.headers[header::CACHE_CONTROL], "public, max-age=604800");
    let placeholder = site.get("/papers/2605.00011/thumbnail").await;
    assert_eq!(
        (placeholder.status, &placeholder.headers[header::CONTENT_TYPE]),
        (StatusCode::OK, &"image/svg+xml".parse().unwrap())
    );
    assert!(placeholder.text.starts_with("<svg") && !placeholder.text.contains("script"));
    assert_eq!(site.get("/papers/2605.99999/thumbnail").await.status, StatusCode::NOT_FOUND);
    let card = site.get("/papers/date/2026-05-11").await.text;
    assert!(
        card.contains(
            r#"<img class="thumb" src="/papers/2501.11120/thumbnail" alt="" width="80" height="104" loading="lazy""#
        ),
        "{card}"
    );

    // The reading view: every link the paper makes to a place in itself has that place.
    let read = site.get("/papers/2501.11120/read").await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(
        read.text.contains(r##"<a href="#S3.SS1">3.1 Finetuning on multiple-choice responses"##),
        "the contents"
    );
    assert!(read.text.contains(r#"<h3 id="S3.SS1"><span class="number">3.1</span> Finetuning"#));
    assert!(read.text.contains(r#"<li id="bib.bib7"><span class="label">Berglund et al. (2023a)</span>"#));
    assert_eq!(read.text.matches("<math").count(), 187, "every formula as MathML");
    let targets: Vec<&str> =
        read.text.split("href=\"#").skip(1).filter_map(|rest| rest.split('"').next()).collect();
    let missing: Vec<&&str> =
        targets.iter().filter(|t| !read.text.contains(&format!("id=\"{t}\""))).collect();
    assert!(
        targets.len() > 350 && missing.is_empty(),
        "{} internal links, these lead nowhere: {missing:?}",
        targets.len()
    );
    for chrome in ["cdn.jsdelivr", "ltx_", "javascript:", "html2canvas", "feedbackOverlay"] {
        assert!(!read.text.contains(chrome), "{chrome} in the reading view");
    }
    assert!(
        site.get("/papers/2501.11120")
            .await
            .text
            .contains(r#"<a href="/papers/2501.11120/read" rel="noopener">Read the full text</a>"#)
    );
    // Searching inside the paper: the passages that match, best first, with their sections.
    let found = site.get("/papers/2501.11120/read?q=backdoor+triggers").await.text;
    assert!(found.contains("passages for “backdoor triggers”"), "{found}");
    let first_hit = found.split("<section class=\"found\"").nth(1).unwrap_or_default();
    assert!(first_hit.contains(r##"<li><a href="#S4"##), "a passage of section 4 (backdoors) first");
    assert!(first_hit.contains("<mark>trigger"), "the words are marked");
    let none = site.get("/papers/2501.11120/read?q=zebra").await.text;
    assert!(none.contains("No passage mentions “zebra”"));
    let hostile = site.get("/papers/2501.11120/read?q=%3Cscript%3Ealert(1)%3C/script%3E").await.text;
    assert!(!hostile.contains("<script>alert(1)") && hostile.contains("alert(1)"), "the search stays text");
    let long = format!("/papers/2501.11120/read?q={}", "a".repeat(251));
    assert_eq!(site.get(&long).await.status, StatusCode::BAD_REQUEST);
    assert!(
        site.get("/papers/2501.11120")
            .await
            .text
            .contains(r#"<form class="in-paper" role="search" action="/papers/2501.11120/read""#)
    );
    let from_pdf = site.get("/papers/2605.00002/read").await.text;
    assert!(
        from_pdf.contains("This text was extracted from the paper's PDF")
            && from_pdf.contains(r#"<h2 id="page-37">"#)
    );
    assert_eq!(site.get("/papers/2605.00006/read").await.status, StatusCode::NOT_FOUND);

    // Opening a paper that has no full text queues it: its Markdown, or its page.
    assert!(db.full_text("2605.00009").await.unwrap().is_none());
    assert!(site.get("/papers/2605.00009.md").await.text.contains("no full text of this paper yet"));
    assert_eq!(state(db, "2605.00009").await.0, "queued");
    let sql = "DELETE FROM full_texts WHERE paper_id = '2605.00009'";
    match db {
        Db::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
    }
    .unwrap();
    assert_eq!(site.get("/papers/2605.00009?again").await.status, StatusCode::OK);
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

/// Full texts are searched as passages beside the abstracts: the follower indexes a paper's
/// passages when its document arrives, drops them when the document goes, and fills a new
/// passages index without a reindex; `in:fulltext`, the search page's toggle and the API's
/// `scope=` find a paper by what its body says, each with its best passage and section.
async fn full_texts_are_searched_by_passage_beside_the_abstracts(db: &Db) {
    let page = std::fs::read(shared("fixtures/arxiv-fulltext/html/2501.11120v1.html")).unwrap();
    let document = paperboy_fulltext::convert(&page, 25 << 20).unwrap();
    let ready = FullTextOutcome::Ready {
        source: "html",
        version: Some(1),
        document: encode(&document),
        fetched_bytes: page.len() as i64,
    };
    let ids = ["2501.11120".to_owned()];
    store(
        db,
        vec![
            dated("2501.11120", "Tell me about yourself", "2026-05-11"),
            dated("2605.00001", "A backdoor in the title", "2026-05-12"),
            dated("2605.00002", "Nothing of the kind", "2026-05-12"),
        ],
    )
    .await;
    let quiet = Progress::records(false, "indexing");
    let dir = tempfile::tempdir().unwrap();
    let index = Arc::new(SearchIndex::open(dir.path()).unwrap());
    let (writer, done) = follow::catch_up(db, &index, index.writer(1).unwrap(), &quiet).await.unwrap();
    assert_eq!((done, index.passage_count()), (3, 0));

    let now = chrono::Utc::now();
    db.queue_full_texts(&ids, false, now).await.unwrap();
    db.record_full_text("2501.11120", &ready, now).await.unwrap();
    let (writer, done) = follow::catch_up(db, &index, writer, &quiet).await.unwrap();
    let passages = index.passage_count();
    assert!(done == 1 && passages > 50, "{done} papers, {passages} passages");

    let search = Search::new(index.clone());
    let request = |query: &str| SearchRequest {
        query: query.into(),
        mode: Mode::Keyword,
        limit: 10,
        ..Default::default()
    };
    let found = |results: &SearchResults| -> Vec<String> {
        results.hits.iter().map(|hit| hit.paper.paper.id.as_str().to_owned()).collect()
    };
    let abstracts = search.search(db, &request("backdoor")).await.unwrap();
    assert_eq!(found(&abstracts), ["2605.00001"], "a title says it; the body is not searched");
    assert!(abstracts.hits[0].passage.is_none());
    let bodies = search.search(db, &request("backdoor in:fulltext")).await.unwrap();
    assert_eq!((found(&bodies), bodies.total), (vec!["2501.11120".to_owned()], 1));
    let passage = bodies.hits[0].passage.clone().unwrap();
    assert!(!passage.anchor.is_empty() && !passage.section.is_empty(), "{passage:?}");
    assert!(passage.snippet_html.to_lowercase().contains("<mark>backdoor"), "{passage:?}");

    let site = TestApp::with_search(db, Search::new(index.clone()), |_| {});
    let results = site.get("/search?q=backdoor&scope=fulltext").await;
    assert_eq!(results.status, StatusCode::OK);
    let link = format!(r#"<p class="passage"><a href="/papers/2501.11120/read#{}">"#, passage.anchor);
    assert!(results.text.contains(&link), "{}", results.text);
    assert!(results.text.contains(r#"value="fulltext" checked"#));
    assert!(!site.get("/search?q=backdoor").await.text.contains(r#"class="passage""#));
    assert_eq!(site.get("/search?q=backdoor&scope=pdf").await.status, StatusCode::BAD_REQUEST);
    let api = site.api("GET", "/api/papers/search?q=backdoor&scope=fulltext", None, None).await.json();
    assert_eq!(api[0]["paper"]["id"], "2501.11120");
    let url = format!("http://paperboy.test/papers/2501.11120/read#{}", passage.anchor);
    assert_eq!(
        (api[0]["passage"]["url"].as_str(), api[0]["passage"]["section"].as_str()),
        (Some(url.as_str()), Some(passage.section.as_str()))
    );
    assert!(api[0]["passage"]["text"].as_str().unwrap().to_lowercase().contains("backdoor"));
    let plain = site.api("GET", "/api/papers/search?q=backdoor", None, None).await.json();
    assert!(plain[0].get("passage").is_none(), "{plain}");
    let refused = site.api("GET", "/api/papers/search?q=backdoor&scope=pdf", None, None).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.json()["error"].as_str().unwrap().contains("use abstract or fulltext"));

    // Fetched again and failing, the paper keeps the text it had.
    db.queue_full_texts(&ids, true, now).await.unwrap();
    assert_eq!(db.full_text_state("2501.11120").await.unwrap().as_deref(), Some("ready"));
    let failed = FullTextOutcome::Failed { reason: "arXiv answered 503".into(), retry_at: None };
    db.record_full_text("2501.11120", &failed, now).await.unwrap();
    assert_eq!(site.get("/papers/2501.11120/read?again").await.status, StatusCode::OK);

    // The document goes (arXiv withdrew the paper): so do its passages and its reading view.
    db.queue_full_texts(&ids, true, now).await.unwrap();
    let gone = FullTextOutcome::Missing { reason: "withdrawn".into(), fetched_bytes: 0 };
    db.record_full_text("2501.11120", &gone, now).await.unwrap();
    let (writer, _) = follow::catch_up(db, &index, writer, &quiet).await.unwrap();
    assert_eq!(index.passage_count(), 0);
    assert!(search.search(db, &request("backdoor in:fulltext")).await.unwrap().hits.is_empty());
    assert_eq!(site.get("/papers/2501.11120/read?gone").await.status, StatusCode::NOT_FOUND);

    // An index from before passages were indexed fills them in from the catalog.
    db.queue_full_texts(&ids, true, now).await.unwrap();
    db.record_full_text("2501.11120", &ready, now).await.unwrap();
    let (writer, _) = follow::catch_up(db, &index, writer, &quiet).await.unwrap();
    drop((writer, search, site, index));
    std::fs::remove_dir_all(dir.path().join("passages")).unwrap();
    let upgraded = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(upgraded.passages_cursor().unwrap(), 0);
    let (_, done) = follow::catch_up(db, &upgraded, upgraded.writer(1).unwrap(), &quiet).await.unwrap();
    assert_eq!((done, upgraded.len(), upgraded.passage_count()), (3, 3, passages));
}

on_both_engines!(full_texts_are_searched_by_passage_beside_the_abstracts);
