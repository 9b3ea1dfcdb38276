//! Quotas: how many times a client (an address, an account, an email address) may do something
//! in a window, counted in fixed windows from its first use.
//!
//! The site-wide quota per client address ([`RateLimiter`] over [`RateLimit`], enforced by the
//! HTTP layer's middleware) and the quotas of single actions ([`ActionLimits`]: signing up,
//! signing in, emailed links, submitting, voting, commenting, subscribing) share this counter.
//! Counts live in each process.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::domain::Refusal;
use crate::domain::accounts::UserId;

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
/// addresses, accounts or emails for the quotas of single actions ([`ActionLimits`]).
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

/// The quotas of actions that cost us (argon2, email) or that others see (votes, comments).
/// They come on top of the site-wide quota per address, and like it live in each process.
#[derive(Debug)]
pub struct ActionLimits {
    pub sign_up: RateLimiter<IpAddr>,
    pub login: RateLimiter<IpAddr>,
    /// Attempts per email address, whether or not it has an account, so that guessing one
    /// account's password from many addresses fails too and nothing tells accounts apart.
    pub login_email: RateLimiter<String>,
    pub email_link: RateLimiter<IpAddr>,
    /// Links mailed per address: nobody can flood someone's inbox.
    pub email_link_to: RateLimiter<String>,
    pub submit: RateLimiter<UserId>,
    pub vote: RateLimiter<UserId>,
    pub comment: RateLimiter<UserId>,
    /// Authorship claims filed, per member.
    pub claim: RateLimiter<UserId>,
    /// Changes to collections and the reading list, per member.
    pub collect: RateLimiter<UserId>,
    /// Asking to subscribe to digests, or for an unsubscribe link, per client address.
    pub subscribe: RateLimiter<IpAddr>,
}

impl ActionLimits {
    /// The default quotas, or none at all (for load tests and benchmarks).
    pub fn new(enabled: bool) -> ActionLimits {
        let quota = |requests, seconds| {
            enabled.then_some(RateLimit { requests, window: Duration::from_secs(seconds) })
        };
        ActionLimits {
            sign_up: RateLimiter::new(quota(10, 3600)),
            login: RateLimiter::new(quota(30, 900)),
            login_email: RateLimiter::new(quota(10, 900)),
            email_link: RateLimiter::new(quota(20, 3600)),
            email_link_to: RateLimiter::new(quota(5, 3600)),
            submit: RateLimiter::new(quota(30, 3600)),
            vote: RateLimiter::new(quota(300, 600)),
            comment: RateLimiter::new(quota(20, 600)),
            claim: RateLimiter::new(quota(30, 3600)),
            collect: RateLimiter::new(quota(600, 600)),
            subscribe: RateLimiter::new(quota(10, 3600)),
        }
    }
}

/// Counts one `action` by `key`: refused, with when to retry, once its quota is used up.
pub fn within<K: Hash + Eq>(limiter: &RateLimiter<K>, key: K, action: &'static str) -> Result<(), Refusal> {
    match limiter.check(key, Instant::now()) {
        Some(decision) if !decision.allowed => {
            Err(Refusal::TooMany { action, retry_after: decision.reset.as_secs().max(1) })
        }
        _ => Ok(()),
    }
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
