//! Generative summaries: with `--llm-url` and `--llm-model`, the worker asks any OpenAI-compatible
//! chat completions endpoint (llama.cpp's server, vLLM, Ollama, a hosted one) for a one-sentence
//! summary of each featured paper, which then takes the place of the extractive TL;DR.
//!
//! The prompt is `prompts/summary.txt`, the paper's title and abstract the user's message. At
//! most `concurrency` requests are in flight; a `429` or a `5xx`, a timeout or a broken
//! connection is retried with exponential backoff (a `Retry-After` is honoured up to
//! [`MAX_RETRY_AFTER`]), anything else fails at once. Every request, retries included, is
//! counted against a daily budget that all workers share (`llm_usage`). An answer is read as
//! JSON or, when the endpoint streams, as server-sent events; one over [`MAX_ANSWER_BYTES`], an
//! HTML page, an empty choice list or an empty text is a failure. The summary is stored with
//! the model's name beside it; a failure keeps no text (readers see the extractive TL;DR, or
//! nothing) and the paper is tried again after [`FAILED_WAIT`], longer each time.

use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use paperboy_arxiv::client::{error_chain, parse_retry_after};
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::db::Db;
use crate::db::annotations::{SummaryDue, SummaryOutcome};
use crate::domain::keywords::trim_summary;
use crate::search::embedding::{paper_text, text_hash};

/// What the model is told, kept in the repository beside the code.
pub const PROMPT: &str = include_str!("../prompts/summary.txt");
/// The largest answer read; a summary is a few hundred bytes.
pub const MAX_ANSWER_BYTES: usize = 1 << 20;
/// The longest `Retry-After` waited out; a longer one fails the attempt.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// How long a paper whose summary failed waits before it is tried again, doubled for each
/// further failure, at most a week.
pub const FAILED_WAIT: Duration = Duration::from_secs(3600);
/// Feed days whose papers are summarised.
const FEATURED_DAYS: u64 = 7;
/// The longest summary kept, in tokens asked of the model.
const MAX_TOKENS: u32 = 120;

/// How to reach the endpoint, and how hard to use it.
#[derive(Debug, Clone)]
pub struct LlmOptions {
    /// The chat completions endpoint: `http://localhost:8080/v1/chat/completions`, or the base
    /// (`http://localhost:8080/v1`) it is appended to.
    pub url: String,
    pub model: String,
    /// Sent as `Authorization: Bearer KEY` when set.
    pub api_key: Option<String>,
    /// Ask for the answer as server-sent events.
    pub stream: bool,
    /// Requests in flight at most.
    pub concurrency: usize,
    /// Requests a UTC day at most, retries included, for all workers together.
    pub daily_budget: u64,
    /// The longest one request may take, answer included.
    pub timeout: Duration,
    /// Attempts per paper in one run, and the backoff before the second.
    pub attempts: u32,
    pub retry_base: Duration,
    /// Papers one run asks about at most.
    pub per_run: usize,
}

impl LlmOptions {
    pub fn new(url: &str, model: &str) -> LlmOptions {
        LlmOptions {
            url: url.to_owned(),
            model: model.to_owned(),
            api_key: None,
            stream: false,
            concurrency: 2,
            daily_budget: 500,
            timeout: Duration::from_secs(60),
            attempts: 3,
            retry_base: Duration::from_secs(2),
            per_run: 200,
        }
    }
}

/// A client of the endpoint.
#[derive(Debug, Clone)]
pub struct Llm {
    http: reqwest::Client,
    endpoint: String,
    options: LlmOptions,
}

/// Why a summary was not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    #[error("{0}")]
    Failed(String),
    #[error("today's budget of {0} requests to the summary endpoint is spent")]
    Budget(u64),
}

/// One request's outcome.
enum Attempt {
    Retry { reason: String, wait: Option<Duration> },
    Fail(String),
}

impl Llm {
    pub fn new(options: LlmOptions) -> anyhow::Result<Llm> {
        let parsed = url::Url::parse(&options.url)
            .map_err(|err| anyhow::anyhow!("--llm-url `{}` is not a URL: {err}", options.url))?;
        anyhow::ensure!(
            matches!(parsed.scheme(), "http" | "https"),
            "--llm-url `{}` must be an http:// or https:// address",
            options.url
        );
        anyhow::ensure!(!options.model.trim().is_empty(), "--llm-model is empty: name the model to ask");
        let base = options.url.trim_end_matches('/');
        let endpoint = match base.ends_with("/chat/completions") {
            true => base.to_owned(),
            false => format!("{base}/chat/completions"),
        };
        paperboy_arxiv::client::install_tls_provider();
        let http = reqwest::Client::builder()
            .user_agent(concat!("Paperboy/", env!("CARGO_PKG_VERSION")))
            .timeout(options.timeout)
            .build()?;
        Ok(Llm { http, endpoint, options })
    }

    pub fn model(&self) -> &str {
        &self.options.model
    }

    /// A one-sentence summary of a paper; each request first takes one of the day's budget.
    pub async fn summarize(&self, db: &Db, title: &str, summary: &str) -> Result<String, LlmError> {
        let body = serde_json::json!({
            "model": self.options.model,
            "messages": [
                { "role": "system", "content": PROMPT },
                { "role": "user", "content": format!("Title: {}\n\nAbstract: {}", one_line(title), one_line(summary)) },
            ],
            "max_tokens": MAX_TOKENS,
            "temperature": 0.2,
            "stream": self.options.stream,
        });
        let mut attempt = 0;
        loop {
            attempt += 1;
            let today = Utc::now().date_naive();
            match db.take_llm_request(today, self.options.daily_budget).await {
                Ok(true) => {}
                Ok(false) => return Err(LlmError::Budget(self.options.daily_budget)),
                Err(err) => return Err(LlmError::Failed(format!("cannot count the request: {err}"))),
            }
            match self.ask(&body).await {
                Ok(text) => return Ok(text),
                Err(Attempt::Fail(reason)) => return Err(LlmError::Failed(reason)),
                Err(Attempt::Retry { reason, .. }) if attempt >= self.options.attempts => {
                    return Err(LlmError::Failed(format!("{reason} (after {attempt} attempts)")));
                }
                Err(Attempt::Retry { reason, wait }) => {
                    let backoff = self.options.retry_base * 2u32.saturating_pow(attempt - 1);
                    let wait = wait.unwrap_or(backoff);
                    tracing::debug!(reason, ?wait, "the summary endpoint will be asked again");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// One request and its answer.
    async fn ask(&self, body: &Value) -> Result<String, Attempt> {
        let mut request = self
            .http
            .post(&self.endpoint)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        if let Some(key) = &self.options.api_key {
            request = request.bearer_auth(key);
        }
        let response =
            request.send().await.map_err(|err| Attempt::Retry { reason: error_chain(&err), wait: None })?;
        let status = response.status();
        if status.as_u16() == 429 || status.is_server_error() {
            let wait = parse_retry_after(response.headers());
            if wait.is_some_and(|wait| wait > MAX_RETRY_AFTER) {
                return Err(Attempt::Fail(format!(
                    "answered {status} with a Retry-After over {MAX_RETRY_AFTER:?}"
                )));
            }
            return Err(Attempt::Retry { reason: format!("answered {status}"), wait });
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let bytes = read_limited(response).await?;
        let text = String::from_utf8_lossy(&bytes);
        if !status.is_success() {
            return Err(Attempt::Fail(format!("answered {status}: {}", excerpt(&text))));
        }
        let answer = if content_type.starts_with("text/event-stream") {
            from_events(&text)
        } else if content_type.starts_with("application/json") || content_type.is_empty() {
            from_json(&text)
        } else {
            Err(format!("answered {content_type}, not JSON: {}", excerpt(&text)))
        };
        let answer = answer.map_err(Attempt::Fail)?;
        clean(&answer).ok_or_else(|| Attempt::Fail("the answer's text is empty".into()))
    }
}

/// The body of `response`, at most [`MAX_ANSWER_BYTES`].
async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, Attempt> {
    let too_large = || Attempt::Fail(format!("the answer is over {} KiB", MAX_ANSWER_BYTES >> 10));
    if response.content_length().is_some_and(|length| length > MAX_ANSWER_BYTES as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) =
        response.chunk().await.map_err(|err| Attempt::Retry { reason: error_chain(&err), wait: None })?
    {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The text of a chat completion: `choices[0].message.content`.
fn from_json(text: &str) -> Result<String, String> {
    let value: Value = serde_json::from_str(text)
        .map_err(|err| format!("the answer is not JSON ({err}): {}", excerpt(text)))?;
    let choices =
        value["choices"].as_array().ok_or_else(|| format!("the answer has no choices: {}", excerpt(text)))?;
    let first = choices.first().ok_or("the answer's choice list is empty")?;
    first["message"]["content"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("the answer's first choice has no text: {}", excerpt(text)))
}

/// The text of a streamed chat completion: the `choices[0].delta.content` of each event, up to
/// `[DONE]`.
fn from_events(text: &str) -> Result<String, String> {
    let mut answer = String::new();
    let mut events = 0;
    for line in text.lines() {
        let Some(data) = line.strip_prefix("data:").map(str::trim) else { continue };
        if data == "[DONE]" {
            break;
        }
        let value: Value = serde_json::from_str(data)
            .map_err(|err| format!("an event of the answer is not JSON ({err}): {}", excerpt(data)))?;
        events += 1;
        if let Some(piece) = value["choices"].get(0).and_then(|choice| choice["delta"]["content"].as_str()) {
            answer.push_str(piece);
        }
    }
    match events {
        0 => Err(format!("the answer streamed no events: {}", excerpt(text))),
        _ => Ok(answer),
    }
}

/// A model's answer as a summary: any reasoning (`<think>...</think>`), a label or quotes
/// around it dropped, whitespace folded, at most one TL;DR's length; `None` when nothing is left.
pub fn clean(answer: &str) -> Option<String> {
    let mut text = answer.trim();
    if let Some((_, after)) = text.rsplit_once("</think>") {
        text = after.trim();
    }
    for label in ["summary:", "tl;dr:", "tldr:", "one-sentence summary:"] {
        if text.len() >= label.len() && text[..label.len()].eq_ignore_ascii_case(label) {
            text = text[label.len()..].trim();
        }
    }
    let text = text.trim_matches(|c: char| matches!(c, '"' | '“' | '”' | '\'' | '*' | '`')).trim();
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!folded.is_empty()).then(|| trim_summary(&folded))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn excerpt(text: &str) -> String {
    let line = one_line(text);
    match line.chars().count() > 80 {
        true => format!("{}…", line.chars().take(80).collect::<String>()),
        false => line,
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SummarizeReport {
    pub due: u64,
    pub written: u64,
    pub failed: u64,
    /// Whether the day's budget ran out before every due paper was asked about.
    pub budget_spent: bool,
}

impl SummarizeReport {
    pub fn summary(&self) -> String {
        format!(
            "{} papers due: {} summaries written, {} failed{}.",
            self.due,
            self.written,
            self.failed,
            if self.budget_spent { "; today's budget is spent" } else { "" }
        )
    }
}

/// Asks for the summaries of the featured papers that are due (the last week's feed, newest
/// and most upvoted first), at most `per_run`, `concurrency` at a time, and records each
/// outcome.
pub async fn summarize_featured(db: &Db, llm: &Llm) -> anyhow::Result<SummarizeReport> {
    let now = Utc::now();
    let since: NaiveDate = now.date_naive() - chrono::Days::new(FEATURED_DAYS);
    let due = db
        .summaries_due(since, llm.model(), now, llm.options.per_run, |title, summary| {
            text_hash(&paper_text(title, summary))
        })
        .await?;
    let mut report = SummarizeReport { due: due.len() as u64, ..SummarizeReport::default() };
    let gate = Arc::new(Semaphore::new(llm.options.concurrency.max(1)));
    let mut running = JoinSet::new();
    for (paper, hash) in due {
        let permit = gate.clone().acquire_owned().await?;
        while let Some(done) = running.try_join_next() {
            record(db, llm, &mut report, done?).await?;
        }
        if report.budget_spent {
            break;
        }
        let (db, llm) = (db.clone(), llm.clone());
        running.spawn(async move {
            let outcome = llm.summarize(&db, &paper.title, &paper.summary).await;
            drop(permit);
            (paper, hash, outcome)
        });
    }
    while let Some(done) = running.join_next().await {
        record(db, llm, &mut report, done?).await?;
    }
    Ok(report)
}

/// Stores one paper's outcome; a request the budget refused is not a failure of the paper.
async fn record(
    db: &Db,
    llm: &Llm,
    report: &mut SummarizeReport,
    (paper, hash, outcome): (SummaryDue, String, Result<String, LlmError>),
) -> anyhow::Result<()> {
    let now = Utc::now();
    match outcome {
        Ok(text) => {
            db.record_summary(&paper.paper_id, &hash, llm.model(), &SummaryOutcome::Written(&text), now)
                .await?;
            report.written += 1;
        }
        Err(LlmError::Budget(_)) => report.budget_spent = true,
        Err(LlmError::Failed(reason)) => {
            tracing::warn!(paper = %paper.paper_id, reason, "no summary from the endpoint");
            let failures = db.summary_attempts(&paper.paper_id).await?.map_or(0, |(attempts, _)| attempts);
            let wait = FAILED_WAIT * 2u32.saturating_pow(failures.clamp(0, 8) as u32);
            let retry_at = now + chrono::Duration::from_std(wait.min(Duration::from_secs(7 * 86_400)))?;
            let outcome = SummaryOutcome::Failed { reason: &reason, retry_at };
            db.record_summary(&paper.paper_id, &hash, llm.model(), &outcome, now).await?;
            report.failed += 1;
        }
    }
    Ok(())
}
