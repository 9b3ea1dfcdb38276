//! Generative summaries from a chat completions endpoint: a local server that speaks the
//! OpenAI protocol answers as llama.cpp's server, vLLM or Ollama would (JSON and server-sent
//! events), and as a failing one does: 429 and 5xx (retried with backoff), a timeout, a
//! malformed body, an HTML page, an empty choice list, an empty text, ten megabytes. A summary
//! is stored with the model's name and shown instead of the extractive TL;DR; a failure shows
//! nothing and waits; the daily budget and the requests in flight are bounded.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use paperboy::db::Db;
use paperboy::summarize::{Llm, LlmError, LlmOptions, PROMPT, summarize_featured};

use crate::harness::app::TestApp;
use crate::harness::fixtures::{recent, set_upvotes, store};
use crate::harness::on_both_engines;
use crate::harness::replay::{ReplayServer, Scripted};
use crate::harness::text;

const MODEL: &str = "test-model-7b";
const SUMMARY: &str = "Sparse attention halves the memory of long-document models at equal accuracy.";

fn json(body: String) -> Scripted {
    Scripted { headers: vec![("content-type", "application/json".into())], ..Scripted::ok(body) }
}

fn completion(text: &str) -> Scripted {
    json(serde_json::json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": MODEL,
        "choices": [{ "index": 0, "finish_reason": "stop", "message": { "role": "assistant", "content": text } }],
    })
    .to_string())
}

fn streamed(pieces: &[&str]) -> Scripted {
    let mut body = String::new();
    for piece in pieces {
        let event = serde_json::json!({ "object": "chat.completion.chunk",
            "choices": [{ "index": 0, "delta": { "content": piece } }] });
        body.push_str(&format!("data: {event}\n\n"));
    }
    body.push_str("data: [DONE]\n\n");
    Scripted { headers: vec![("content-type", "text/event-stream".into())], ..Scripted::ok(body) }
}

fn llm(server: &ReplayServer, change: impl FnOnce(&mut LlmOptions)) -> Llm {
    let mut options = LlmOptions {
        api_key: Some("sk-local".into()),
        retry_base: Duration::from_millis(10),
        timeout: Duration::from_millis(800),
        ..LlmOptions::new(&server.url.replace("/oai", "/v1"), MODEL)
    };
    change(&mut options);
    Llm::new(options).unwrap()
}

async fn ask(
    db: &Db,
    replies: Vec<Scripted>,
    change: impl FnOnce(&mut LlmOptions),
) -> (Result<String, LlmError>, usize) {
    let server = ReplayServer::start(replies).await;
    let answer =
        llm(&server, change).summarize(db, "Sparse attention", "An abstract\nabout attention.").await;
    (answer, server.seen().len())
}

async fn the_endpoint_is_asked_as_openai_clients_do(db: &Db) {
    let server = ReplayServer::start(vec![completion(&format!("  Summary: \"{SUMMARY}\"\n"))]).await;
    let answer =
        llm(&server, |_| {}).summarize(db, "Sparse attention", "An abstract\nabout attention.").await;
    assert_eq!(answer.unwrap(), SUMMARY, "the label and quotes are dropped");
    let seen = &server.seen()[0];
    assert_eq!(seen.path, "/v1/chat/completions");
    assert_eq!(seen.authorization.as_deref(), Some("Bearer sk-local"));
    let body: serde_json::Value = serde_json::from_str(&seen.body).unwrap();
    assert_eq!(body["model"], MODEL);
    assert_eq!(body["stream"], false);
    assert_eq!(body["messages"][0]["content"], PROMPT, "the prompt kept in the repository");
    assert_eq!(
        body["messages"][1]["content"],
        "Title: Sparse attention\n\nAbstract: An abstract about attention."
    );

    let (answer, _) = ask(
        db,
        vec![streamed(&[
            "Sparse attention ",
            "halves the memory ",
            "of long-document models at equal accuracy.",
        ])],
        |options| options.stream = true,
    )
    .await;
    assert_eq!(answer.unwrap(), SUMMARY, "a streamed answer is put together");
    let (answer, _) =
        ask(db, vec![completion(&format!("<think>The user wants one sentence.</think>\n{SUMMARY}"))], |_| {})
            .await;
    assert_eq!(answer.unwrap(), SUMMARY, "a reasoning model's thoughts are not the summary");
}

async fn busy_and_failing_endpoints_are_retried_or_refused_with_a_reason(db: &Db) {
    // 429 with Retry-After and 5xx are retried, with backoff, then the answer is taken.
    let busy = Scripted::status(429, vec![("retry-after", "0".into())]);
    let (answer, asked) =
        ask(db, vec![busy, Scripted::status(503, vec![]), completion(SUMMARY)], |_| {}).await;
    assert_eq!((answer.unwrap().as_str(), asked), (SUMMARY, 3));
    let (answer, asked) =
        ask(db, vec![Scripted::status(500, vec![]); 3], |options| options.attempts = 2).await;
    assert_eq!(answer, Err(LlmError::Failed("answered 500 Internal Server Error (after 2 attempts)".into())));
    assert_eq!(asked, 2, "no more than the attempts allowed");
    let long_wait = Scripted::status(429, vec![("retry-after", "3600".into())]);
    let (answer, asked) = ask(db, vec![long_wait], |_| {}).await;
    assert!(
        matches!(answer, Err(LlmError::Failed(ref reason)) if reason.contains("Retry-After")),
        "{answer:?}"
    );
    assert_eq!(asked, 1, "an hour's Retry-After is not waited out");

    let started = Instant::now();
    let (answer, _) =
        ask(db, vec![completion(SUMMARY).after(Duration::from_secs(5))], |options| options.attempts = 1)
            .await;
    assert!(matches!(answer, Err(LlmError::Failed(_))), "{answer:?}");
    assert!(started.elapsed() < Duration::from_secs(4), "the request timed out: {:?}", started.elapsed());

    let html = Scripted {
        headers: vec![("content-type", "text/html; charset=utf-8".into())],
        ..Scripted::ok("<html><body><h1>502 Bad Gateway</h1></body></html>")
    };
    let huge =
        json(format!("{{\"choices\":[{{\"message\":{{\"content\":\"{}\"}}}}]}}", "a".repeat(10 << 20)));
    for (reply, reason) in [
        (json("{\"choices\": [".into()), "the answer is not JSON"),
        (html, "answered text/html; charset=utf-8, not JSON: <html><body><h1>502 Bad Gateway"),
        (json("{\"choices\": []}".into()), "the answer's choice list is empty"),
        (json("{\"error\": {\"message\": \"no such model\"}}".into()), "the answer has no choices"),
        (completion("   "), "the answer's text is empty"),
        (Scripted { status: StatusCode::BAD_REQUEST, ..completion("") }, "answered 400 Bad Request"),
        (huge, "the answer is over 1024 KiB"),
        (
            Scripted {
                headers: vec![("content-type", "text/event-stream".into())],
                ..Scripted::ok("event: ping\n\n")
            },
            "the answer streamed no events",
        ),
    ] {
        let (answer, asked) = ask(db, vec![reply], |_| {}).await;
        assert!(
            matches!(answer, Err(LlmError::Failed(ref r)) if r.starts_with(reason)),
            "{reason}: {answer:?}"
        );
        assert_eq!(asked, 1, "{reason}: not retried");
    }
}

async fn the_daily_budget_counts_every_request(db: &Db) {
    let server =
        ReplayServer::start(vec![Scripted::status(503, vec![]), completion(SUMMARY), completion(SUMMARY)])
            .await;
    let client = llm(&server, |options| options.daily_budget = 3);
    assert_eq!(client.summarize(db, "One", "First abstract.").await.unwrap(), SUMMARY, "after a retry");
    assert_eq!(client.summarize(db, "Two", "Second abstract.").await.unwrap(), SUMMARY);
    assert_eq!(client.summarize(db, "Three", "Third abstract.").await, Err(LlmError::Budget(3)));
    assert_eq!(server.seen().len(), 3, "the retry counted; nothing sent past the budget");
}

on_both_engines!(
    the_endpoint_is_asked_as_openai_clients_do,
    busy_and_failing_endpoints_are_retried_or_refused_with_a_reason,
    the_daily_budget_counts_every_request,
);

async fn featured_papers_get_summaries_shown_with_the_model_and_failures_wait(db: &Db) {
    store(db, vec![recent("2612.00001", "Sparse attention", 1), recent("2612.00002", "Graph networks", 2)])
        .await;
    set_upvotes(db, "2612.00001", 5).await;
    let server = ReplayServer::start(vec![completion(SUMMARY), json("<oops>".into())]).await;
    let client = llm(&server, |options| options.concurrency = 1);
    let report = summarize_featured(db, &client).await.unwrap();
    assert_eq!((report.due, report.written, report.failed), (2, 1, 1), "{report:?}");

    let app = TestApp::new(db).await;
    let json = app.get("/api/papers/2612.00001").await.json();
    assert_eq!(json["ai_summary"], SUMMARY);
    assert_eq!(json["aiSummaryMethod"], format!("llm/{MODEL}"));
    assert!(json.get("ai_keywords").is_none(), "no keywords were made: {json}");
    let page = app.get("/papers/2612.00001").await.text;
    assert!(page.contains(&format!("<strong>TL;DR</strong> {SUMMARY}")), "{page}");
    assert!(page.contains(&format!("Automatic: written by {MODEL} from the abstract.")), "{page}");

    let failed = app.get("/api/papers/2612.00002").await.json();
    assert!(failed.get("ai_summary").is_none(), "a failure shows nothing: {failed}");
    assert!(!app.get("/papers/2612.00002").await.text.contains("TL;DR"));
    let (attempts, reason) = db.summary_attempts("2612.00002").await.unwrap().unwrap();
    assert_eq!(attempts, 1);
    assert!(reason.unwrap().starts_with("the answer is not JSON"));

    // Nothing is due now: one is written, the other waits an hour.
    let report = summarize_featured(db, &client).await.unwrap();
    assert_eq!(report.due, 0, "{report:?}");
    assert_eq!(server.seen().len(), 2);
}

on_both_engines!(featured_papers_get_summaries_shown_with_the_model_and_failures_wait);

#[tokio::test]
async fn requests_in_flight_are_bounded() {
    let test_db = crate::harness::TestDb::sqlite().await;
    let db = &test_db.db;
    let papers: Vec<_> =
        (1..=4).map(|n| recent(&format!("2612.0000{n}"), &format!("Paper {n}"), 1)).collect();
    store(db, papers).await;
    let slow = completion(SUMMARY).after(Duration::from_millis(300));
    let server = ReplayServer::start(vec![slow; 4]).await;
    let report = summarize_featured(db, &llm(&server, |options| options.concurrency = 2)).await.unwrap();
    assert_eq!(report.written, 4, "{report:?}");
    let seen: Vec<Instant> = server.seen().iter().map(|seen| seen.at).collect();
    assert!(seen[1].duration_since(seen[0]) < Duration::from_millis(200), "two at once");
    assert!(seen[2].duration_since(seen[0]) >= Duration::from_millis(250), "the third waits for a free slot");
}

#[test]
fn summarize_without_an_endpoint_says_what_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| crate::harness::paperboy(dir.path(), args);
    let output = run(&["summarize"]);
    assert!(text(&output.stderr).contains("needs --llm-url and --llm-model"));
    let output = run(&["summarize", "--llm-url", "http://localhost:8080/v1"]);
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("--llm-model"), "{}", text(&output.stderr));
    let output = run(&["summarize", "--llm-url", "ftp://x", "--llm-model", "m"]);
    assert!(text(&output.stderr).contains("must be an http:// or https:// address"));
}
