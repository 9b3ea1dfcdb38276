//! Rate limiting per client address, announced as the IETF `RateLimit-Policy` / `RateLimit`
//! headers (draft-ietf-httpapi-ratelimit-headers) and enforced with `429` + `Retry-After`.
//!
//! Each address gets `requests` per fixed window of `window`, counted from its first request
//! in the window, as Hugging Face does for anonymous clients (500 per 5 minutes). Health
//! checks, metrics and static files are not counted. Behind a reverse proxy, pass
//! `--trust-forwarded-for` so the address is the proxy's last `X-Forwarded-For` entry.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::error::error_response;

/// Independent locks, so that clients rarely wait for each other.
const SHARDS: usize = 16;

/// Windows kept per shard before expired ones are swept.
const SWEEP_AT: usize = 10_000;

/// A quota: `requests` per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub window: Duration,
}

impl Default for RateLimit {
    /// 500 requests per 5 minutes, Hugging Face's quota for anonymous clients.
    fn default() -> Self {
        RateLimit { requests: 500, window: Duration::from_secs(300) }
    }
}

impl FromStr for RateLimit {
    type Err = String;

    /// `REQUESTS/SECONDSs`, such as `500/300s`.
    fn from_str(text: &str) -> Result<Self, String> {
        let invalid =
            || format!("`{text}` is not a rate limit: expected REQUESTS/SECONDSs, such as 500/300s, or off");
        let (requests, seconds) = text.split_once('/').ok_or_else(invalid)?;
        let requests: u32 = requests.trim().parse().map_err(|_| invalid())?;
        let seconds: u64 = seconds.trim().trim_end_matches('s').parse().map_err(|_| invalid())?;
        if requests == 0 || seconds == 0 {
            return Err(invalid());
        }
        Ok(RateLimit { requests, window: Duration::from_secs(seconds) })
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    used: u32,
}

/// The windows of every client seen recently: client addresses for the site-wide quota;
/// addresses, accounts or emails for the quotas of single actions ([`crate::web::session`]).
#[derive(Debug)]
pub struct RateLimiter<K = IpAddr> {
    limit: Option<RateLimit>,
    shards: Vec<Mutex<HashMap<K, Window>>>,
    hasher: RandomState,
}

/// What the limiter decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub remaining: u32,
    /// Until the window resets.
    pub reset: Duration,
}

impl<K: Hash + Eq> RateLimiter<K> {
    pub fn new(limit: Option<RateLimit>) -> RateLimiter<K> {
        RateLimiter {
            limit,
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
        }
    }

    /// Counts a request from `client` at `now`; `None` when limiting is off.
    pub fn check(&self, client: K, now: Instant) -> Option<Decision> {
        let limit = self.limit?;
        let shard = &self.shards[self.hasher.hash_one(&client) as usize % SHARDS];
        let mut windows = shard.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, window| now.duration_since(window.started) < limit.window);
        }
        let window = windows.entry(client).or_insert(Window { started: now, used: 0 });
        if now.duration_since(window.started) >= limit.window {
            *window = Window { started: now, used: 0 };
        }
        let allowed = window.used < limit.requests;
        if allowed {
            window.used += 1;
        }
        Some(Decision {
            allowed,
            remaining: limit.requests - window.used,
            reset: limit.window.saturating_sub(now.duration_since(window.started)),
        })
    }

    pub fn limit(&self) -> Option<RateLimit> {
        self.limit
    }
}

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
pub async fn limit(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let exempt = matches!(path, "/healthz" | "/readyz" | "/metrics") || path.starts_with("/static/");
    let decision = if exempt {
        None
    } else {
        app.limiter.check(client_address(&request, app.config.trust_forwarded_for), Instant::now())
    };
    let (Some(decision), Some(limit)) = (decision, app.limiter.limit()) else {
        return next.run(request).await;
    };
    let reset = decision.reset.as_secs_f64().ceil() as u64;
    let mut response = if decision.allowed {
        next.run(request).await
    } else {
        app.metrics.count_limited();
        let mut response = error_response(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "too many requests: {} per {} s from one address; retry in {reset} s",
                limit.requests,
                limit.window.as_secs()
            ),
        );
        if let Ok(value) = HeaderValue::from_str(&reset.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response.into_response()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_quota_per_window_and_others_theirs() {
        let limiter =
            RateLimiter::<IpAddr>::new(Some(RateLimit { requests: 2, window: Duration::from_secs(60) }));
        let (alice, bob) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let start = Instant::now();
        assert_eq!(limiter.check(alice, start).unwrap().remaining, 1);
        assert!(limiter.check(alice, start).unwrap().allowed);
        let refused = limiter.check(alice, start + Duration::from_secs(20)).unwrap();
        assert_eq!((refused.allowed, refused.remaining, refused.reset), (false, 0, Duration::from_secs(40)));
        assert!(limiter.check(bob, start).unwrap().allowed);
        assert!(limiter.check(alice, start + Duration::from_secs(60)).unwrap().allowed);
    }

    #[test]
    fn quotas_parse_from_the_command_line() {
        assert_eq!("500/300s".parse(), Ok(RateLimit { requests: 500, window: Duration::from_secs(300) }));
        assert_eq!("10/1".parse(), Ok(RateLimit { requests: 10, window: Duration::from_secs(1) }));
        for bad in ["0/10s", "10/0s", "ten/10s", "500", ""] {
            assert!(bad.parse::<RateLimit>().is_err(), "{bad}");
        }
        assert!(
            RateLimiter::<IpAddr>::new(None).check("10.0.0.1".parse().unwrap(), Instant::now()).is_none()
        );
    }
}
