//! The site-wide rate limits: each request counted against the quota of its family
//! ([`family_of`]: reads, searches, writes, sign-ins), per member when signed in and per client
//! address otherwise, announced as the IETF `RateLimit-Policy` / `RateLimit` headers
//! (draft-ietf-httpapi-ratelimit-headers) and enforced with `429` + `Retry-After` (a page for a
//! person in a browser, JSON for the API).
//!
//! Quotas are counted where every server process sees them ([`crate::quota`]). A request counts
//! against a member when it carries the session cookie or API token of one this server has
//! recognised lately (signing in, or any page that reads the session, does that: see
//! [`crate::http::members`]), so recognising costs no database lookup here; a credential not recognised yet
//! counts against the address, as does one somebody made up. Health checks, metrics and static
//! files are not counted. Behind a reverse proxy, pass `--trust-forwarded-for` so the address
//! is the proxy's last `X-Forwarded-For` entry.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::domain::secrets::Secret;
use crate::error::AppError;
use crate::http::session::{SESSION_COOKIE, client_address, cookie};
use crate::http::state::App;
use crate::quota::Family;

/// Posts that sign up, sign in or mail a link: the sign-ins family.
const SIGN_IN_PATHS: [&str; 7] = [
    "/signup",
    "/login",
    "/login/link",
    "/password/forgot",
    "/subscribe",
    "/unsubscribe",
    "/api/subscriptions",
];

/// The family a request counts in; `None` for what is not counted.
pub fn family_of(method: &Method, path: &str) -> Option<Family> {
    if matches!(path, "/healthz" | "/readyz" | "/metrics") || path.starts_with("/static/") {
        return None;
    }
    if matches!(path, "/search" | "/api/papers/search") || path == "/mcp" || path.starts_with("/mcp/") {
        return Some(Family::Searches);
    }
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Some(Family::Reads);
    }
    if SIGN_IN_PATHS.contains(&path) || path.starts_with("/links/") {
        return Some(Family::SignIns);
    }
    Some(Family::Writes)
}

/// Who a request counts against: `member:ID` when it carries a recognised credential, its
/// address otherwise.
fn client_of(app: &App, request: &Request) -> String {
    let headers = request.headers();
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    let member = token
        .or_else(|| cookie(headers, SESSION_COOKIE))
        .and_then(|credential| app.web.members.recognise(&Secret::from_client(credential)));
    match member {
        Some(member) => format!("member:{member}"),
        None => client_address(request, app.core.config.trust_forwarded_for).to_string(),
    }
}

/// Middleware: counts the request against its family's quota for its member or address,
/// answers `429` past it, and announces the quota on every counted response.
pub async fn limit(State(app): State<App>, request: Request, next: Next) -> Response {
    let Some(family) = family_of(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    let quota = app.core.quotas.of(family);
    let Some(limit) = quota.limit() else {
        return next.run(request).await;
    };
    let client = client_of(&app, &request);
    let Some(decision) = quota.check(&client).await else {
        return next.run(request).await;
    };
    let reset = decision.reset.as_secs_f64().ceil() as u64;
    let mut response = if decision.allowed {
        next.run(request).await
    } else {
        app.web.metrics.count_limited();
        let who = if client.starts_with("member:") { "one member" } else { "one address" };
        let message = format!(
            "too many {}: {} per {} s from {who}; retry in {reset} s",
            family.name(),
            limit.requests,
            limit.window.as_secs()
        );
        AppError::TooManyRequests { message, retry_after: reset.max(1) }.into_response()
    };
    let name = family.name();
    let policy = format!("\"{name}\";q={};w={}", limit.requests, limit.window.as_secs());
    let state = format!("\"{name}\";r={};t={reset}", decision.remaining);
    for (header, value) in [("ratelimit-policy", policy), ("ratelimit", state)] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(header, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_fall_into_families() {
        let family = |method: Method, path| family_of(&method, path).map(Family::name);
        assert_eq!(family(Method::GET, "/papers/date/2026-05-01"), Some("reads"));
        assert_eq!(family(Method::GET, "/api/daily_papers"), Some("reads"));
        assert_eq!(family(Method::GET, "/search"), Some("searches"));
        assert_eq!(family(Method::GET, "/api/papers/search"), Some("searches"));
        assert_eq!(family(Method::POST, "/mcp"), Some("searches"));
        assert_eq!(family(Method::POST, "/papers/2605.00001"), Some("writes"));
        assert_eq!(family(Method::DELETE, "/api/papers/2605.00001/vote"), Some("writes"));
        assert_eq!(family(Method::POST, "/login"), Some("sign-ins"));
        assert_eq!(family(Method::POST, "/links/reset"), Some("sign-ins"));
        assert_eq!(family(Method::POST, "/api/subscriptions"), Some("sign-ins"));
        assert_eq!(family(Method::GET, "/login"), Some("reads"));
        assert_eq!(family(Method::GET, "/static/site.css"), None);
        assert_eq!(family(Method::GET, "/healthz"), None);
    }
}
