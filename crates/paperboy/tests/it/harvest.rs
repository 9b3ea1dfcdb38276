//! `harvest` and `fetch` against a real local HTTP server replaying recorded arXiv responses.

use std::time::Duration;

use chrono::NaiveDate;
use paperboy::db::Db;
use paperboy::domain::feed::FeatureRules;
use paperboy::ingest::harvest::{HarvestOptions, fetch, harvest};
use paperboy_arxiv::ArxivId;
use paperboy_arxiv::client::{ArxivClient, ClientConfig};
use paperboy_arxiv::oai::MetadataFormat;

use crate::harness::{ReplayServer, Scripted, TestDb, fixture, shared};

const DELAY: Duration = Duration::from_millis(200);

fn recorded(name: &str) -> Scripted {
    Scripted::file(shared(&format!("fixtures/arxiv-oai-pmh/{name}")))
}

fn client(server: &ReplayServer, attempts: u32) -> ArxivClient {
    ArxivClient::new(ClientConfig {
        oai_url: server.url.clone(),
        api_url: server.url.clone(),
        delay: DELAY,
        attempts,
        ..ClientConfig::default()
    })
    .unwrap()
}

fn options() -> HarvestOptions {
    HarvestOptions {
        from: NaiveDate::from_ymd_opt(2014, 10, 1).unwrap(),
        until: None,
        set: Some("physics".into()),
        format: MetadataFormat::ArxivRaw,
        restart: false,
        progress: false,
        features: FeatureRules::default(),
    }
}

async fn stored(db: &Db, id: &str) -> Option<paperboy_arxiv::Paper> {
    db.get_paper(&id.parse::<ArxivId>().unwrap()).await.unwrap().map(|s| s.paper)
}

#[tokio::test]
async fn follows_the_resumption_token_chain_politely() {
    let test = TestDb::sqlite().await;
    let server = ReplayServer::start(vec![
        recorded("ListRecordsResponse.xml"),
        Scripted::file(fixture("oai-last-page.xml")),
    ])
    .await;
    let report = harvest(&test.db, &client(&server, 3), &options()).await.unwrap();
    assert_eq!((report.pages, report.counts.inserted, report.rejected), (2, 8, 0));

    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].query, "verb=ListRecords&metadataPrefix=arXivRaw&from=2014-10-01&set=physics");
    assert_eq!(seen[1].query, "verb=ListRecords&resumptionToken=726959%7C1001");
    assert!(seen.iter().all(|s| s.user_agent.starts_with("Paperboy/")), "{seen:?}");
    assert!(seen[1].at - seen[0].at >= DELAY, "requests must be spaced by the politeness delay");

    let real = stored(&test.db, "0704.0471").await.unwrap();
    assert!(real.title.starts_with("Density dependence of the symmetry energy"));
    assert_eq!(real.authors, ["D.V. Shetty", "S.J. Yennello", "G.A. Souliotis"]);
    assert!(real.summary.contains("extremely \" stiff \""));
    let handwritten = stored(&test.db, "2503.11731").await.unwrap();
    assert_eq!(handwritten.version, Some(2));
    assert_eq!(handwritten.announce_date.unwrap().to_string(), "2025-03-17");

    // Done: running it again starts a new harvest rather than resuming.
    let key = format!("{} metadataPrefix=arXivRaw set=physics from=2014-10-01 until=", server.url);
    let checkpoint = test.db.load_checkpoint(&key).await.unwrap().unwrap();
    assert!(checkpoint.completed_at.is_some() && checkpoint.resumption_token.is_none());
}

#[tokio::test]
async fn waits_as_long_as_a_503_retry_after_asks() {
    let test = TestDb::sqlite().await;
    let server = ReplayServer::start(vec![
        Scripted::status(503, vec![("retry-after", "1".into())]),
        Scripted::file(fixture("oai-last-page.xml")),
    ])
    .await;
    let report = harvest(&test.db, &client(&server, 3), &options()).await.unwrap();
    assert_eq!(report.counts.inserted, 2);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen[1].at - seen[0].at >= Duration::from_secs(1), "retried after {:?}", seen[1].at - seen[0].at);
    assert_eq!(seen[0].query, seen[1].query);
}

#[tokio::test]
async fn a_short_retry_after_never_undercuts_the_politeness_delay() {
    let test = TestDb::sqlite().await;
    let server = ReplayServer::start(vec![
        Scripted::status(503, vec![("retry-after", "0".into())]),
        Scripted::file(fixture("oai-last-page.xml")),
    ])
    .await;
    harvest(&test.db, &client(&server, 3), &options()).await.unwrap();
    let seen = server.seen();
    assert!(seen[1].at - seen[0].at >= DELAY, "retried after {:?}", seen[1].at - seen[0].at);
}

#[tokio::test]
async fn retry_after_may_be_an_http_date() {
    let test = TestDb::sqlite().await;
    let when = (chrono::Utc::now() + chrono::Duration::seconds(2)).format("%a, %d %b %Y %H:%M:%S GMT");
    let server = ReplayServer::start(vec![
        Scripted::status(503, vec![("retry-after", when.to_string())]),
        Scripted::file(fixture("oai-last-page.xml")),
    ])
    .await;
    harvest(&test.db, &client(&server, 3), &options()).await.unwrap();
    let seen = server.seen();
    assert!(
        seen[1].at - seen[0].at >= Duration::from_millis(900),
        "retried after {:?}",
        seen[1].at - seen[0].at
    );
}

#[tokio::test]
async fn retry_after_waits_do_not_use_up_the_attempts_but_an_hour_is_too_long() {
    let test = TestDb::sqlite().await;
    let busy = Scripted::status(503, vec![("retry-after", "0".into())]);
    let server = ReplayServer::start(vec![
        busy.clone(),
        busy.clone(),
        busy,
        Scripted::file(fixture("oai-last-page.xml")),
    ])
    .await;
    // One attempt, yet three waits: flow control is not failure.
    harvest(&test.db, &client(&server, 1), &options()).await.unwrap();

    let server = ReplayServer::start(vec![Scripted::status(503, vec![("retry-after", "3600".into())])]).await;
    let err = harvest(&test.db, &client(&server, 3), &options()).await.unwrap_err();
    assert!(format!("{err:#}").contains("Retry-After of 3600 s is longer than"), "{err:#}");
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn an_expired_resumption_token_starts_the_harvest_over() {
    let test = TestDb::sqlite().await;
    let server =
        ReplayServer::start(vec![recorded("ListRecordsResponse.xml"), Scripted::status(500, vec![])]).await;
    harvest(&test.db, &client(&server, 1), &options()).await.unwrap_err();

    server.push(vec![
        recorded("ErrorResponseBadResumptionToken.xml"),
        recorded("ListRecordsResponse.xml"),
        Scripted::file(fixture("oai-last-page.xml")),
    ]);
    let report = harvest(&test.db, &client(&server, 1), &options()).await.unwrap();
    assert!(report.resumed);
    let queries: Vec<String> = server.seen().into_iter().skip(2).map(|s| s.query).collect();
    assert_eq!(
        queries,
        [
            "verb=ListRecords&resumptionToken=726959%7C1001",
            "verb=ListRecords&metadataPrefix=arXivRaw&from=2014-10-01&set=physics",
            "verb=ListRecords&resumptionToken=726959%7C1001",
        ]
    );
    assert_eq!(test.db.count_papers().await.unwrap(), 8);
}

#[tokio::test]
async fn a_repeated_resumption_token_stops_the_harvest() {
    let test = TestDb::sqlite().await;
    let page = recorded("ListRecordsResponse.xml");
    let server = ReplayServer::start(vec![page.clone(), page]).await;
    let err = harvest(&test.db, &client(&server, 1), &options()).await.unwrap_err();
    assert!(format!("{err:#}").contains("with the same token again"), "{err:#}");
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn no_records_match_is_an_empty_harvest_not_a_failure() {
    let test = TestDb::sqlite().await;
    let server = ReplayServer::start(vec![recorded("ErrorResponseNoRecordsMatch.xml")]).await;
    let report = harvest(&test.db, &client(&server, 3), &options()).await.unwrap();
    assert_eq!((report.pages, report.counts.inserted), (1, 0));
}

#[tokio::test]
async fn bad_argument_stops_the_harvest_with_the_repository_message() {
    let test = TestDb::sqlite().await;
    let server = ReplayServer::start(vec![recorded("ErrorResponseBadArgument.xml")]).await;
    let err = harvest(&test.db, &client(&server, 3), &options()).await.unwrap_err();
    let message = format!("{err:#}");
    assert!(message.contains("badArgument"), "{message}");
    assert_eq!(server.seen().len(), 1, "a protocol error is not retried");
}

#[tokio::test]
async fn a_page_cut_off_mid_record_keeps_its_complete_records_and_resumes_later() {
    let test = TestDb::sqlite().await;
    let last_page = std::fs::read(fixture("oai-last-page.xml")).unwrap();
    let text = String::from_utf8(last_page.clone()).unwrap();
    let cut_at = text.find("<title>Another Handwritten").unwrap();
    let cut = Scripted::ok(last_page[..cut_at].to_vec());
    let server = ReplayServer::start(vec![recorded("ListRecordsResponse.xml"), cut.clone(), cut]).await;

    let err = harvest(&test.db, &client(&server, 2), &options()).await.unwrap_err();
    let message = format!("{err:#}");
    assert!(
        message.contains("page 2") && message.contains("cut off after oai:arXiv.org:2503.11731"),
        "{message}"
    );
    assert!(message.contains("run the same command again"), "{message}");
    assert_eq!(server.seen().len(), 3, "the cut-off page is retried before giving up");
    assert_eq!(test.db.count_papers().await.unwrap(), 7, "page 1 and the complete record of page 2 are kept");

    // The same command again resumes at page 2 instead of starting over.
    server.push(vec![Scripted::file(fixture("oai-last-page.xml"))]);
    let report = harvest(&test.db, &client(&server, 2), &options()).await.unwrap();
    assert!(report.resumed);
    assert_eq!((report.pages, report.counts.inserted, report.counts.unchanged), (1, 1, 1));
    assert_eq!(server.seen().last().unwrap().query, "verb=ListRecords&resumptionToken=726959%7C1001");
    assert_eq!(test.db.count_papers().await.unwrap(), 8);
}

#[tokio::test]
async fn garbage_instead_of_xml_fails_after_retries_and_stores_nothing() {
    let test = TestDb::sqlite().await;
    let garbage = Scripted::ok(b"<html><body>Service temporarily unavailable".to_vec());
    let server = ReplayServer::start(vec![garbage.clone(), garbage]).await;
    let err = harvest(&test.db, &client(&server, 2), &options()).await.unwrap_err();
    assert!(format!("{err:#}").contains("page 1"), "{err:#}");
    assert_eq!(server.seen().len(), 2, "a broken page is retried");
    assert_eq!(test.db.count_papers().await.unwrap(), 0);
}

#[tokio::test]
async fn fetch_stores_every_entry_of_an_atom_feed() {
    let test = TestDb::sqlite().await;
    let server = ReplayServer::start(vec![Scripted::file(fixture("atom-three-entries.xml"))]).await;
    let ids: Vec<ArxivId> = ["hep-th/9901001", "2503.11731", "2503.12002", "2503.99999"]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let report = fetch(&test.db, &client(&server, 2), &ids).await.unwrap();
    assert_eq!(report.counts.inserted, 3);
    assert_eq!(report.missing, [ids[3].clone()]);
    let seen = server.seen();
    assert_eq!(
        seen[0].query,
        "id_list=hep-th%2F9901001%2C2503.11731%2C2503.12002%2C2503.99999&max_results=4"
    );
    let old_style = stored(&test.db, "hep-th/9901001").await.unwrap();
    assert_eq!(old_style.version, Some(1));
    let with_doi = stored(&test.db, "2503.11731").await.unwrap();
    assert_eq!(with_doi.doi.as_deref(), Some("10.1234/paperboy.test.11731"));
}

#[tokio::test]
async fn fetch_reports_an_api_error() {
    let test = TestDb::sqlite().await;
    let server = ReplayServer::start(vec![Scripted::file(fixture("atom-error.xml"))]).await;
    let err = fetch(&test.db, &client(&server, 2), &["2503.11731".parse().unwrap()]).await.unwrap_err();
    assert!(format!("{err:#}").contains("incorrect id format"), "{err:#}");
}
