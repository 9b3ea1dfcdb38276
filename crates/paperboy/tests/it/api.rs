//! The JSON API and health checks, through the router without a socket.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use paperboy::db::Db;
use paperboy_arxiv::RawPaper;
use serde_json::Value;

use crate::harness::{TestApp, TestDb, on_both_engines, paper};

/// The application over `db` with an empty keyword index, which reads nothing at start (some
/// tests close the database first).
fn app(db: &Db) -> TestApp {
    let index = std::sync::Arc::new(paperboy_search::SearchIndex::in_memory().unwrap());
    TestApp::with_search(db, paperboy::search::Search::new(index), |_| {})
}

async fn get(db: &Db, uri: &str) -> (StatusCode, Value) {
    let reply = app(db).get(uri).await;
    let body = serde_json::from_str(&reply.text).unwrap_or_else(|_| Value::String(reply.text.clone()));
    (reply.status, body)
}

async fn serves_a_paper_in_the_hugging_face_shape(db: &Db) {
    let full = RawPaper {
        id: Some("2503.11731v2".into()),
        title: Some("A <b>bold</b> title".into()),
        summary: Some("An abstract.".into()),
        authors: vec!["Ada Lovelace".into(), "Alan Turing".into()],
        categories: vec!["cs.CL".into(), "cs.LG".into()],
        doi: Some("10.1234/x".into()),
        published_at: "2025-03-14T17:59:00Z".parse().ok(),
        updated_at: "2025-03-20T09:12:45Z".parse().ok(),
        ..RawPaper::default()
    };
    db.upsert_papers(vec![full.validate().unwrap()]).await.unwrap();
    let (status, body) = get(db, "/api/papers/2503.11731").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["id"], "2503.11731");
    assert_eq!(body["title"], "A <b>bold</b> title");
    assert_eq!(body["summary"], "An abstract.");
    assert_eq!(body["publishedAt"], "2025-03-14T17:59:00.000Z");
    assert_eq!(body["upvotes"], 0);
    assert_eq!(body["numComments"], 0);
    assert_eq!(body["authors"][0]["name"], "Ada Lovelace");
    assert_eq!(body["authors"][0]["hidden"], false);
    assert_eq!(body["authors"][1]["_id"].as_str().unwrap().len(), 24);
    assert_ne!(body["authors"][0]["_id"], body["authors"][1]["_id"]);
    assert_eq!(body["linkedModels"], serde_json::json!([]));
    assert_eq!(body["categories"], serde_json::json!(["cs.CL", "cs.LG"]));
    assert_eq!(body["version"], 2);
    assert_eq!(body["announcedOn"], "2025-03-17");
    assert_eq!(body["updatedAt"], "2025-03-20T09:12:45.000Z");

    // A versioned id names the same paper.
    let (status, body) = get(db, "/api/papers/2503.11731v1").await;
    assert_eq!((status, body["id"].as_str()), (StatusCode::OK, Some("2503.11731")));
}

on_both_engines!(serves_a_paper_in_the_hugging_face_shape);

#[tokio::test]
async fn serves_old_style_ids_with_their_slash() {
    let test = TestDb::sqlite().await;
    test.db.upsert_papers(vec![paper("hep-th/9901001", "Old")]).await.unwrap();
    let (status, body) = get(&test.db, "/api/papers/hep-th/9901001").await;
    assert_eq!((status, body["id"].as_str()), (StatusCode::OK, Some("hep-th/9901001")));
    // Sample records have no publication time: the announce day stands in.
    assert_eq!(body["publishedAt"], "2025-03-18T00:00:00.000Z");

    // With neither, the time is unknown, and says so.
    let mut undated = paper("2503.00003", "Undated");
    undated.announce_date = None;
    test.db.upsert_papers(vec![undated]).await.unwrap();
    let (_, body) = get(&test.db, "/api/papers/2503.00003").await;
    assert_eq!(body["publishedAt"], serde_json::Value::Null);
}

#[tokio::test]
async fn unknown_and_malformed_ids_get_json_errors() {
    let test = TestDb::sqlite().await;
    let (status, body) = get(&test.db, "/api/papers/2503.99999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "paper 2503.99999 not found");
    for bad in
        ["not-an-id", "2503.1", "%27%3B%20DROP%20TABLE%20papers%3B--", "..%2F..%2Fetc%2Fpasswd", "%FF%FE"]
    {
        let (status, body) = get(&test.db, &format!("/api/papers/{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(body["error"].is_string(), "{bad}: {body}");
    }
    let long = "1".repeat(5000);
    let (status, _) = get(&test.db, &format!("/api/papers/{long}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = get(&test.db, "/api/nothing-here").await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::NOT_FOUND, Some("no such API endpoint")));
    let (status, body) = get(&test.db, "/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.get("error").is_none(), "pages are not API endpoints: {body}");
}

#[tokio::test]
async fn health_and_readiness() {
    let test = TestDb::sqlite().await;
    assert_eq!(get(&test.db, "/healthz").await.0, StatusCode::OK);
    assert_eq!(get(&test.db, "/readyz").await.0, StatusCode::OK);
    test.db.close().await;
    let (status, body) = get(&test.db, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"], "the database is unavailable");
    assert_eq!(get(&test.db, "/healthz").await.0, StatusCode::OK);
}

async fn request(
    db: &Db,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, String) {
    let mut builder = Request::get(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let reply = app(db).request(builder.body(Body::empty()).unwrap()).await;
    (reply.status, reply.headers, reply.text)
}

#[tokio::test]
async fn a_failure_of_ours_is_answered_with_the_request_id_and_no_details() {
    let test = TestDb::sqlite().await;
    test.db.close().await;
    let (status, headers, body) = request(&test.db, "/api/daily_papers", &[]).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let id = headers["x-request-id"].to_str().unwrap().to_owned();
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"], format!("internal error (request {id})"));

    let (status, headers, body) = request(&test.db, "/papers/trending", &[("x-request-id", "proxy-7")]).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(headers["x-request-id"], "proxy-7", "an id from the proxy in front is kept");
    assert!(headers[axum::http::header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert!(body.contains("Something went wrong on our side") && body.contains("proxy-7"), "{body}");
    for detail in ["pool", "closed", "sqlx", "database"] {
        assert!(!body.to_lowercase().contains(detail), "{detail} in {body}");
    }
}

#[tokio::test]
async fn errors_are_pages_for_people_and_json_for_programs() {
    let test = TestDb::sqlite().await;
    let (status, headers, body) = request(&test.db, "/papers/2503.99999", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(headers[axum::http::header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert!(body.contains("Paper 2503.99999 is not in this catalog."), "{body}");
    let (status, _, body) = request(&test.db, "/papers/2503.99999", &[("accept", "application/json")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"],
        "Paper 2503.99999 is not in this catalog."
    );
    let (status, _, body) = request(&test.db, "/api/papers/2503.99999", &[("accept", "text/html")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"],
        "paper 2503.99999 not found",
        "the API speaks JSON"
    );
}

#[tokio::test]
async fn a_method_an_endpoint_does_not_take_is_a_json_405_with_allow() {
    let test = TestDb::sqlite().await;
    let (status, headers, body) = request(&test.db, "/api/papers/2606.00124/vote", &[]).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let allow = headers[axum::http::header::ALLOW].to_str().unwrap();
    assert!(allow.contains("POST") && allow.contains("DELETE") && !allow.contains("GET"), "{allow}");
    let json: Value = serde_json::from_str(&body).unwrap();
    assert!(json["error"].as_str().unwrap().starts_with("GET is not one of"), "{json}");
}
