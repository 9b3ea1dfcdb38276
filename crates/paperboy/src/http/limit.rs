//! Rate limiting per client address, announced as the IETF `RateLimit-Policy` / `RateLimit`
//! headers (draft-ietf-httpapi-ratelimit-headers) and enforced with `429` + `Retry-After`.
//!
//! Each address gets `requests` per fixed window of `window`, counted from its first request
//! in the window, as Hugging Face does for anonymous clients (500 per 5 minutes). Health
//! checks, metrics and static files are not counted. Behind a reverse proxy, pass
//! `--trust-forwarded-for` so the address is the proxy's last `X-Forwarded-For` entry.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Extensions, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::http::state::App;

/// The client's address: the peer's, or the last `X-Forwarded-For` entry when trusted.
pub fn client_address(request: &Request, trust_forwarded_for: bool) -> IpAddr {
    address_of(request.headers(), request.extensions(), trust_forwarded_for)
}

/// [`client_address`] from a request's parts.
pub fn address_of(headers: &HeaderMap, extensions: &Extensions, trust_forwarded_for: bool) -> IpAddr {
    if trust_forwarded_for
        && let Some(forwarded) = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok())
        && let Some(Ok(address)) = forwarded.rsplit(',').next().map(|last| last.trim().parse())
    {
        return address;
    }
    extensions.get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip())
}

/// Middleware: counts the request against its client's quota, answers `429` past it, and
/// announces the quota on every counted response.
pub async fn limit(State(app): State<App>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let exempt = matches!(path, "/healthz" | "/readyz" | "/metrics") || path.starts_with("/static/");
    let decision = if exempt {
        None
    } else {
        app.web.limiter.check(client_address(&request, app.core.config.trust_forwarded_for), Instant::now())
    };
    let (Some(decision), Some(limit)) = (decision, app.web.limiter.limit()) else {
        return next.run(request).await;
    };
    let reset = decision.reset.as_secs_f64().ceil() as u64;
    let mut response = if decision.allowed {
        next.run(request).await
    } else {
        app.web.metrics.count_limited();
        let message = format!(
            "too many requests: {} per {} s from one address; retry in {reset} s",
            limit.requests,
            limit.window.as_secs()
        );
        AppError::TooManyRequests { message, retry_after: reset.max(1) }.into_response()
    };
    let policy = format!("\"default\";q={};w={}", limit.requests, limit.window.as_secs());
    let state = format!("\"default\";r={};t={reset}", decision.remaining);
    for (name, value) in [("ratelimit-policy", policy), ("ratelimit", state)] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
