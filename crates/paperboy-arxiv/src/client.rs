//! Polite HTTP clients for arXiv: OAI-PMH `ListRecords` pages, Atom API lookups by id, and a
//! paper's content (its HTML rendering or its PDF).
//!
//! arXiv asks harvesters for one request every few seconds, a User-Agent that says who is
//! asking, and to honour `503 Retry-After`. [`ArxivClient`] enforces all three for every request
//! it sends, and retries transient failures (connection errors, 5xx, a page cut off in transit)
//! a bounded number of times. The base URLs are configuration: production points at arXiv,
//! tests at a local server replaying recorded responses. Checkpoints and storage belong to the
//! caller.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::atom::{self, AtomError, AtomFeed};
use crate::id::ArxivId;
use crate::oai::{self, MetadataFormat, OaiError, OaiPage};

/// Where arXiv's OAI-PMH endpoint lives.
pub const DEFAULT_OAI_URL: &str = "https://oaipmh.arxiv.org/oai";
/// Where arXiv's Atom query API lives.
pub const DEFAULT_API_URL: &str = "https://export.arxiv.org/api/query";
/// Where arXiv serves papers' HTML renderings (`/html/{id}`) and PDFs (`/pdf/{id}`).
pub const DEFAULT_WEB_URL: &str = "https://arxiv.org";
/// The pause between two requests that arXiv asks for.
pub const DEFAULT_DELAY: Duration = Duration::from_secs(3);
/// The longest `Retry-After` honoured; a longer one is treated as a failure.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);
/// How many `Retry-After` answers one request waits out. They are arXiv's flow control, not
/// failures, so they do not use up the attempts; this only stops a server that never relents.
const MAX_RETRY_AFTER_WAITS: u32 = 30;
/// The largest response body read; arXiv's pages are a few megabytes.
const MAX_BODY_BYTES: usize = 64 << 20;
/// Ids per Atom API request; arXiv documents no hard limit, but long URLs get refused.
const IDS_PER_LOOKUP: usize = 100;

/// How the client behaves.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub oai_url: String,
    pub api_url: String,
    pub web_url: String,
    pub user_agent: String,
    /// Minimum pause between the end of one exchange and the start of the next.
    pub delay: Duration,
    /// Attempts for one request before giving up, the first included.
    pub attempts: u32,
    pub timeout: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            oai_url: DEFAULT_OAI_URL.to_owned(),
            api_url: DEFAULT_API_URL.to_owned(),
            web_url: DEFAULT_WEB_URL.to_owned(),
            user_agent: user_agent(None),
            delay: DEFAULT_DELAY,
            attempts: 5,
            timeout: Duration::from_secs(120),
        }
    }
}

/// The User-Agent Paperboy sends: its name and version and, as arXiv asks of harvesters, a
/// contact address for the operator when one is configured.
pub fn user_agent(contact: Option<&str>) -> String {
    let version = env!("CARGO_PKG_VERSION");
    match contact {
        Some(contact) => format!("Paperboy/{version} (self-hosted arXiv paper feed; mailto:{contact})"),
        None => format!("Paperboy/{version} (self-hosted arXiv paper feed)"),
    }
}

/// One `ListRecords` request: either the first (with its selective-harvesting arguments) or a
/// continuation by resumption token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListRecords {
    Start { format: MetadataFormat, from: Option<String>, until: Option<String>, set: Option<String> },
    Resume { token: String, format: MetadataFormat },
}

/// A paper's content as arXiv served it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Body(Vec<u8>),
    /// 404 or 410: arXiv has none (no HTML rendering of this paper, say).
    Missing,
}

/// Which of a paper's contents to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentKind {
    /// The HTML rendering arXiv makes with LaTeXML, at `/html/{id}`.
    Html,
    /// The PDF, at `/pdf/{id}`.
    Pdf,
}

/// Why a request to arXiv failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The HTTP client could not be built (TLS setup).
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
    /// Every attempt failed; the last failure is given.
    #[error("{url}: gave up after {attempts} attempts: {last}")]
    GaveUp { url: String, attempts: u32, last: String },
    /// The server answered with a status that retrying will not change.
    #[error("{url}: HTTP {status}: {body}")]
    Status { url: String, status: u16, body: String },
    /// The OAI-PMH response was an error or unreadable even after retries.
    #[error(transparent)]
    Oai(#[from] OaiError),
    /// The Atom response was an error or unreadable even after retries.
    #[error(transparent)]
    Atom(#[from] AtomError),
    /// The response was larger than the caller accepts.
    #[error("{url}: the response is larger than {limit} bytes")]
    TooLarge { url: String, limit: usize },
    /// The server sent the request round in redirects.
    #[error("{url}: too many redirects")]
    Redirects { url: String },
}

/// A rate-limited, retrying client for arXiv's two APIs.
#[derive(Clone)]
pub struct ArxivClient {
    http: reqwest::Client,
    config: ClientConfig,
    /// The earliest time the next request may start; shared by clones so that the delay holds
    /// across tasks, and held during each exchange so that exchanges never overlap.
    next_allowed: Arc<Mutex<Option<Instant>>>,
}

impl std::fmt::Debug for ArxivClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArxivClient").field("config", &self.config).finish_non_exhaustive()
    }
}

enum Attempt<T> {
    Done(T),
    Retry { reason: String, wait: Option<Duration> },
    Fail(ClientError),
}

/// Makes ring the process's rustls crypto provider, unless one is installed already. reqwest
/// leaves that choice to the application, and every HTTP client of the workspace calls this
/// before it is built; ring is pure Rust plus assembly and needs no C toolchain beyond cc.
pub fn install_tls_provider() {
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
}

impl ArxivClient {
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        install_tls_provider();
        let http = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| ClientError::Setup(e.to_string()))?;
        Ok(ArxivClient { http, config, next_allowed: Arc::new(Mutex::new(None)) })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Fetches one `ListRecords` page. A page that stays malformed after the retries comes
    /// back as [`OaiError::Malformed`], with the complete records before the break salvaged,
    /// and one that stays something else than OAI-PMH as [`OaiError::NotOaiPmh`].
    pub async fn list_records(&self, request: &ListRecords) -> Result<OaiPage, ClientError> {
        let (query, format) = match request {
            ListRecords::Start { format, from, until, set } => {
                let mut query =
                    vec![("verb", "ListRecords".to_owned()), ("metadataPrefix", format.prefix().to_owned())];
                for (key, value) in [("from", from), ("until", until), ("set", set)] {
                    if let Some(value) = value {
                        query.push((key, value.clone()));
                    }
                }
                (query, *format)
            }
            ListRecords::Resume { token, format } => {
                (vec![("verb", "ListRecords".to_owned()), ("resumptionToken", token.clone())], *format)
            }
        };
        let url = self.config.oai_url.clone();
        // A broken page, or an HTML page from a proxy in arXiv's place, is likely a passing
        // fault: retried like a failed connection, and reported as itself if it persists.
        let mut unreadable = None;
        let result = self
            .with_retries(&url, &query, |body| match oai::parse_response(body, format) {
                Ok(page) => Attempt::Done(page),
                Err(err @ (OaiError::Malformed { .. } | OaiError::NotOaiPmh(_))) => {
                    let reason = err.to_string();
                    unreadable = Some(err);
                    Attempt::Retry { reason, wait: None }
                }
                Err(err) => Attempt::Fail(err.into()),
            })
            .await;
        match (result, unreadable) {
            (Err(ClientError::GaveUp { .. }), Some(err)) => Err(err.into()),
            (result, _) => result,
        }
    }

    /// Looks papers up by id through the Atom API, in as few requests as the id count allows.
    pub async fn lookup(&self, ids: &[ArxivId]) -> Result<Vec<AtomFeed>, ClientError> {
        let mut feeds = Vec::new();
        for chunk in ids.chunks(IDS_PER_LOOKUP) {
            let id_list = chunk.iter().map(ArxivId::as_str).collect::<Vec<_>>().join(",");
            let query = vec![("id_list", id_list), ("max_results", chunk.len().to_string())];
            let url = self.config.api_url.clone();
            let feed = self
                .with_retries(&url, &query, |body| match atom::parse_feed(body) {
                    Ok(feed) => Attempt::Done(feed),
                    Err(err @ AtomError::Malformed { .. }) => {
                        Attempt::Retry { reason: err.to_string(), wait: None }
                    }
                    Err(err) => Attempt::Fail(err.into()),
                })
                .await?;
            feeds.push(feed);
        }
        Ok(feeds)
    }

    /// Fetches a paper's HTML rendering or PDF (`id` with its version, `2501.11120v1`, or
    /// without for the latest), refusing a body over `limit` bytes. What arXiv does not have
    /// is [`Content::Missing`]; any other refusal (403, a redirect loop) is an error, and
    /// failures that may pass (5xx, a broken connection, `Retry-After`) are retried as for the
    /// other requests, with the same pause between requests.
    pub async fn content(&self, kind: ContentKind, id: &str, limit: usize) -> Result<Content, ClientError> {
        let folder = match kind {
            ContentKind::Html => "html",
            ContentKind::Pdf => "pdf",
        };
        let url = format!("{}/{folder}/{id}", self.config.web_url.trim_end_matches('/'));
        let fetched = self
            .with_retries_limited(&url, &[], limit, |body| Attempt::Done(Content::Body(body.to_vec())))
            .await;
        match fetched {
            Err(ClientError::Status { status: 404 | 410, .. }) => Ok(Content::Missing),
            other => other,
        }
    }

    /// Sends GET `url?query` until `handle` accepts the body or the attempts run out.
    async fn with_retries<T>(
        &self,
        url: &str,
        query: &[(&str, String)],
        handle: impl FnMut(&[u8]) -> Attempt<T>,
    ) -> Result<T, ClientError> {
        self.with_retries_limited(url, query, MAX_BODY_BYTES, handle).await
    }

    /// [`Self::with_retries`] with bodies of at most `limit` bytes.
    async fn with_retries_limited<T>(
        &self,
        url: &str,
        query: &[(&str, String)],
        limit: usize,
        mut handle: impl FnMut(&[u8]) -> Attempt<T>,
    ) -> Result<T, ClientError> {
        let attempts = self.config.attempts.max(1);
        let (mut failures, mut waits) = (0, 0);
        loop {
            let outcome = match self.exchange(url, query, limit).await {
                Err(outcome) => outcome,
                Ok(reply) if reply.status.is_success() => handle(&reply.body),
                Ok(reply) => classify_status(url, reply.status, reply.retry_after, &reply.body),
            };
            let (reason, wait) = match outcome {
                Attempt::Done(value) => return Ok(value),
                Attempt::Fail(err) => return Err(err),
                Attempt::Retry { reason, wait } => (reason, wait),
            };
            match wait {
                Some(wait) => {
                    waits += 1;
                    let gave_up =
                        |last| ClientError::GaveUp { url: url.to_owned(), attempts: failures + waits, last };
                    if wait > MAX_RETRY_AFTER {
                        return Err(gave_up(format!(
                            "{reason}; a Retry-After of {} s is longer than the {} s Paperboy waits",
                            wait.as_secs(),
                            MAX_RETRY_AFTER.as_secs()
                        )));
                    }
                    if waits > MAX_RETRY_AFTER_WAITS {
                        return Err(gave_up(format!(
                            "{reason}; still asked to retry after {MAX_RETRY_AFTER_WAITS} waits"
                        )));
                    }
                    tracing::info!(%url, seconds = wait.as_secs_f64(), "arXiv asked us to retry later");
                    self.push_back(wait).await;
                }
                None => {
                    failures += 1;
                    if failures >= attempts {
                        return Err(ClientError::GaveUp {
                            url: url.to_owned(),
                            attempts: failures + waits,
                            last: reason,
                        });
                    }
                    tracing::warn!(%url, attempt = failures, %reason, "request failed, will retry");
                    self.push_back(backoff(failures, self.config.delay)).await;
                }
            }
        }
    }

    /// Sends one request in its turn and reads the whole response. Exchanges never overlap,
    /// and the politeness delay runs from the end of one to the start of the next, so a slow
    /// response never eats into the pause arXiv asks for.
    async fn exchange<T>(
        &self,
        url: &str,
        query: &[(&str, String)],
        limit: usize,
    ) -> Result<Reply, Attempt<T>> {
        let mut next_allowed = self.next_allowed.lock().await;
        if let Some(next) = *next_allowed {
            tokio::time::sleep_until(next).await;
        }
        let reply = match self.http.get(url).query(query).send().await {
            Err(e) if e.is_redirect() => Err(Attempt::Fail(ClientError::Redirects { url: url.to_owned() })),
            Err(e) => Err(Attempt::Retry { reason: error_chain(&e), wait: None }),
            Ok(response) => {
                let status = response.status();
                let retry_after = parse_retry_after(response.headers());
                read_body(response, limit).await.map(|body| Reply { status, retry_after, body })
            }
        };
        *next_allowed = Some(Instant::now() + self.config.delay);
        reply
    }

    /// Makes the next request wait at least `wait` from now, and never less than the delay.
    async fn push_back(&self, wait: Duration) {
        let mut next_allowed = self.next_allowed.lock().await;
        let wanted = Instant::now() + wait;
        *next_allowed = Some(next_allowed.map_or(wanted, |next| next.max(wanted)));
    }
}

/// A response read in full.
struct Reply {
    status: StatusCode,
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

/// Reads a response body of at most `limit` bytes; a larger one is refused as soon as its
/// `Content-Length` or its bytes say so, without reading the rest.
async fn read_body<T>(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, Attempt<T>> {
    let too_large = |response: &reqwest::Response| {
        Attempt::Fail(ClientError::TooLarge { url: response.url().to_string(), limit })
    };
    if response.content_length().is_some_and(|length| length > limit as u64) {
        return Err(too_large(&response));
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > limit {
                    return Err(too_large(&response));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => return Err(Attempt::Retry { reason: error_chain(&e), wait: None }),
        }
    }
}

fn classify_status<T>(
    url: &str,
    status: StatusCode,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Attempt<T> {
    let body_text = String::from_utf8_lossy(&body[..body.len().min(300)]).trim().to_owned();
    if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS {
        return Attempt::Retry { reason: format!("HTTP {}", status.as_u16()), wait: retry_after };
    }
    if status.is_server_error() {
        return Attempt::Retry { reason: format!("HTTP {}: {body_text}", status.as_u16()), wait: None };
    }
    Attempt::Fail(ClientError::Status { url: url.to_owned(), status: status.as_u16(), body: body_text })
}

/// Reads `Retry-After` as seconds or as an HTTP date.
pub fn parse_retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let seconds = (when.timestamp() - chrono::Utc::now().timestamp()).max(0);
    Some(Duration::from_secs(seconds as u64))
}

/// Exponential backoff from the politeness delay: delay, 2×, 4×, ... capped at five minutes.
fn backoff(attempt: u32, delay: Duration) -> Duration {
    let base = delay.max(Duration::from_millis(100));
    (base * 2u32.saturating_pow(attempt.saturating_sub(1))).min(Duration::from_secs(300))
}

/// An error with its causes, `outer: inner: ...`, for messages.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let delay = Duration::from_secs(3);
        assert_eq!(backoff(1, delay), Duration::from_secs(3));
        assert_eq!(backoff(3, delay), Duration::from_secs(12));
        assert_eq!(backoff(20, delay), Duration::from_secs(300));
    }

    #[test]
    fn reads_retry_after_in_seconds() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(parse_retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(reqwest::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(parse_retry_after(&headers), None);
    }
}
