//! Every request observed: an id for it (the client's `X-Request-Id` when it is a sane one, else a
//! new one, and sent back), its answer finished (an error's body for its reader, the security
//! headers), its latency and status counted by route, one access-log line; and `GET /metrics`,
//! the Prometheus exposition of the counts with the queue gauges.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::domain::secrets::Secret;
use crate::http::error::{self, Reader};
use crate::http::security;
use crate::http::session::client_address;
use crate::http::state::App;

/// The header that carries a request's id, both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A request's id, in its access-log line, in the log line and the message of any failure, and
/// in the answer's `X-Request-Id`, so that a reader who quotes it can be found. Held as the
/// header value it is sent back as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(HeaderValue);

impl RequestId {
    /// The id a proxy in front gave the request (1 to 64 letters, digits, `-`, `_` or `.`), or
    /// a new one: this process's random prefix and a counter.
    fn of(headers: &HeaderMap) -> RequestId {
        let given = headers.get(REQUEST_ID).filter(|id| {
            (1..=64).contains(&id.len())
                && id.as_bytes().iter().all(|&b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        });
        if let Some(id) = given {
            return RequestId(id.clone());
        }
        static NEXT: AtomicU64 = AtomicU64::new(0);
        static PREFIX: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let prefix = PREFIX.get_or_init(|| Secret::generate("").hash()[..8].to_owned());
        let mut id = String::with_capacity(prefix.len() + 21);
        id.push_str(prefix);
        id.push('-');
        id.push_str(itoa::Buffer::new().format(NEXT.fetch_add(1, Ordering::Relaxed)));
        RequestId(HeaderValue::try_from(id).expect("hex digits, a dash and digits make a header value"))
    }

    /// The id as text (only ASCII letters, digits and `-_.` are ever let in).
    pub fn as_str(&self) -> &str {
        self.0.to_str().unwrap_or_default()
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Middleware, the outermost: gives the request its id, finishes the answer (an error's body
/// for its reader by [`error::answer`], the security headers by [`security::add_headers`], the
/// id), times and counts it, and logs one line with its outcome. One middleware for all of
/// this because each layer of the router costs every request a boxed service and future.
pub async fn observe(State(app): State<App>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = RequestId::of(request.headers());
    let reader = Reader::of(&request);
    let method = request.method().as_str().to_owned();
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_owned();
    let path = request.uri().path().to_owned();
    let client = client_address(&request, app.core.config.trust_forwarded_for);
    let mut response = error::answer(next.run(request).await, reader, id.as_str());
    security::add_headers(response.headers_mut());
    response.headers_mut().insert(REQUEST_ID, id.0.clone());
    let elapsed = started.elapsed();
    app.web.metrics.observe_request(&method, &route, response.status(), elapsed);
    tracing::info!(
        target: "paperboy::access",
        method,
        path,
        route,
        status = response.status().as_u16(),
        micros = elapsed.as_micros() as u64,
        client = %client,
        request_id = %id,
        "request"
    );
    response
}

/// `GET /metrics`.
pub async fn show_metrics(State(state): State<App>) -> Response {
    let (app, metrics) = (&state.core, &state.web.metrics);
    let mut lag = Vec::new();
    if let Ok(cursor) = app.search.index.cursor()
        && let Ok(behind) = app.db.count_papers_changed_since(cursor).await
    {
        lag.push(("keyword", behind));
    }
    if let Some(semantic) = &app.search.semantic
        && let Ok(behind) =
            app.db.count_embeddings_changed_since(semantic.embedder().model(), semantic.cursor()).await
    {
        lag.push(("vectors", behind));
    }
    let mut text = metrics.render(&lag);
    if let Ok(jobs) = app.db.job_counts().await {
        text.push_str("# HELP paperboy_jobs Jobs in the queue, by state.\n# TYPE paperboy_jobs gauge\n");
        for (state, count) in
            [("queued", jobs.queued), ("running", jobs.running), ("done", jobs.done), ("failed", jobs.failed)]
        {
            text.push_str(&format!("paperboy_jobs{{state=\"{state}\"}} {count}\n"));
        }
    }
    if let Ok(digests) = app.db.outbox_counts().await {
        text.push_str(
            "# HELP paperboy_digests Digests in the outbox, by state.\n# TYPE paperboy_digests gauge\n",
        );
        for (state, count) in [
            ("queued", digests.queued),
            ("sending", digests.sending),
            ("sent", digests.sent),
            ("failed", digests.failed),
            ("cancelled", digests.cancelled),
        ] {
            text.push_str(&format!("paperboy_digests{{state=\"{state}\"}} {count}\n"));
        }
    }
    let mut response = text.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    response
}
