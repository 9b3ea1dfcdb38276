//! Quotas: how many times a client (an address, a member, an email address) may do something
//! in a window, counted in fixed windows from its first use, where every process sees them.
//!
//! Two kinds share one counter ([`Quotas`]): the site-wide limits per family of requests
//! ([`Family`]: reads, searches, writes, sign-ins; enforced by the HTTP layer's middleware, per
//! member when signed in and per address otherwise) and the quotas of single actions (signing
//! up, signing in, emailed links, submitting, voting, commenting, subscribing).
//!
//! The counts live in the database (`quota_counts`), so that N servers give a client its quota,
//! not N times it. A process does not write there for every request: it leases a block of the
//! quota ([`block_of`]: one request while the quota is under 100, a fiftieth of it above) and
//! spends it locally, so a cached page view costs a database write once per block. A lease
//! never takes more than is left, so no quota is exceeded; what a process leased and did not
//! spend lapses with the window, so a client spread over N processes may get up to N−1 blocks
//! fewer. Should the database not answer, requests go through and a warning is logged: the
//! limits protect the service, they do not gate it.

use std::collections::HashMap;
use std::fmt::Display;
use std::hash::{BuildHasher, RandomState};
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::db::Db;
use crate::db::quotas::Lease;
use crate::domain::Refusal;
use crate::domain::secrets::sha256_hex;

/// Independent locks, so that clients rarely wait for each other.
const SHARDS: usize = 16;

/// Leases kept per shard before lapsed ones are swept.
const SWEEP_AT: usize = 10_000;

/// How often a process deletes the database's counts of ended windows.
const FORGET_EVERY_MS: i64 = 60_000;

/// Leases one request may ask for when other requests of the same client keep spending
/// what it leased, before it is let through uncounted.
const LEASE_ATTEMPTS: usize = 4;

/// A quota: `requests` per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub window: Duration,
}

impl RateLimit {
    const fn per(requests: u32, seconds: u64) -> RateLimit {
        RateLimit { requests, window: Duration::from_secs(seconds) }
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
        Ok(RateLimit::per(requests, seconds))
    }
}

/// The families of requests the site-wide limits count apart, so that reading cached pages
/// does not spend what protects searches, writes and sign-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Pages, feeds and the API's reads: `GET`s served mostly from the page cache.
    Reads,
    /// Keyword and semantic search, on the site, the API and the MCP server.
    Searches,
    /// Everything that changes something: votes, comments, submissions, collections...
    Writes,
    /// Signing up, signing in, and asking for emailed links (sign-in, password, subscription).
    SignIns,
}

impl Family {
    pub const ALL: [Family; 4] = [Family::Reads, Family::Searches, Family::Writes, Family::SignIns];

    /// The name in `--rate-limit` settings and in the `RateLimit` headers.
    pub fn name(self) -> &'static str {
        match self {
            Family::Reads => "reads",
            Family::Searches => "searches",
            Family::Writes => "writes",
            Family::SignIns => "sign-ins",
        }
    }
}

/// The site-wide limit of each family; `None` turns a family's limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteLimits {
    pub reads: Option<RateLimit>,
    pub searches: Option<RateLimit>,
    pub writes: Option<RateLimit>,
    pub sign_ins: Option<RateLimit>,
}

impl Default for SiteLimits {
    /// Searches get Hugging Face's quota for anonymous clients (500 per 5 minutes); reads six
    /// times that, since most are cached pages; writes 300 and sign-ins 30 per 5 minutes.
    fn default() -> Self {
        SiteLimits {
            reads: Some(RateLimit::per(3000, 300)),
            searches: Some(RateLimit::per(500, 300)),
            writes: Some(RateLimit::per(300, 300)),
            sign_ins: Some(RateLimit::per(30, 300)),
        }
    }
}

impl SiteLimits {
    /// No limits at all (load tests and benchmarks).
    pub fn off() -> SiteLimits {
        SiteLimits { reads: None, searches: None, writes: None, sign_ins: None }
    }

    pub fn of(&self, family: Family) -> Option<RateLimit> {
        match family {
            Family::Reads => self.reads,
            Family::Searches => self.searches,
            Family::Writes => self.writes,
            Family::SignIns => self.sign_ins,
        }
    }

    /// Applies one setting: `off` or a quota (`500/300s`) for every family, or `FAMILY=QUOTA`
    /// and `FAMILY=off` for one.
    pub fn set(&mut self, setting: &str) -> Result<(), String> {
        let parse = |text: &str| match text.trim() {
            "off" => Ok(None),
            quota => quota.parse().map(Some),
        };
        let Some((name, quota)) = setting.split_once('=') else {
            let limit = parse(setting)?;
            *self = SiteLimits { reads: limit, searches: limit, writes: limit, sign_ins: limit };
            return Ok(());
        };
        let family =
            Family::ALL.into_iter().find(|family| family.name() == name.trim()).ok_or_else(|| {
                format!(
                    "`{}` is not a family of requests: expected reads, searches, writes or sign-ins",
                    name.trim()
                )
            })?;
        let limit = parse(quota)?;
        match family {
            Family::Reads => self.reads = limit,
            Family::Searches => self.searches = limit,
            Family::Writes => self.writes = limit,
            Family::SignIns => self.sign_ins = limit,
        }
        Ok(())
    }
}

/// What a quota decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// What is left of the quota in this window, as far as this process knows.
    pub remaining: u32,
    /// Until the window ends.
    pub reset: Duration,
}

/// One quota, counted in the shared counter under its scope.
#[derive(Debug, Clone)]
pub struct Quota {
    scope: &'static str,
    limit: Option<RateLimit>,
    counter: Arc<Counter>,
}

impl Quota {
    pub fn limit(&self) -> Option<RateLimit> {
        self.limit
    }

    /// Counts one use by `client`; `None` when this quota is off.
    pub async fn check(&self, client: impl Display) -> Option<Decision> {
        let limit = self.limit?;
        Some(self.counter.check(self.scope, limit, client.to_string()).await)
    }

    /// Counts one `action` by `client`: refused, with when to retry, once the quota is used up.
    pub async fn within(&self, client: impl Display, action: &'static str) -> Result<(), Refusal> {
        match self.check(client).await {
            Some(decision) if !decision.allowed => {
                Err(Refusal::TooMany { action, retry_after: decision.reset.as_secs().max(1) })
            }
            _ => Ok(()),
        }
    }
}

/// Every quota of a process: the site-wide limit of each family of requests, and those of
/// actions that cost us (argon2, email) or that others see (votes, comments), which come on
/// top of them.
#[derive(Debug)]
pub struct Quotas {
    pub reads: Quota,
    pub searches: Quota,
    pub writes: Quota,
    pub sign_ins: Quota,
    pub sign_up: Quota,
    pub login: Quota,
    /// Attempts per email address ([`email_key`]), whether or not it has an account, so that
    /// guessing one account's password from many addresses fails too and nothing tells
    /// accounts apart.
    pub login_email: Quota,
    pub email_link: Quota,
    /// Links mailed per address ([`email_key`]): nobody can flood someone's inbox.
    pub email_link_to: Quota,
    pub submit: Quota,
    pub vote: Quota,
    pub comment: Quota,
    /// Authorship claims filed, per member.
    pub claim: Quota,
    /// Changes to collections and the reading list, per member.
    pub collect: Quota,
    /// Asking to subscribe to digests, or for an unsubscribe link, per client address.
    pub subscribe: Quota,
}

impl Quotas {
    /// The quotas counted in `db`: the site-wide `site` limits, and the actions' default
    /// quotas unless `actions` is false (load tests and benchmarks).
    pub fn new(db: Db, site: SiteLimits, actions: bool) -> Quotas {
        let counter = Arc::new(Counter::new(db));
        let quota = |scope, limit| Quota { scope, limit, counter: counter.clone() };
        let action =
            |scope, requests, seconds| quota(scope, actions.then_some(RateLimit::per(requests, seconds)));
        Quotas {
            reads: quota(Family::Reads.name(), site.reads),
            searches: quota(Family::Searches.name(), site.searches),
            writes: quota(Family::Writes.name(), site.writes),
            sign_ins: quota(Family::SignIns.name(), site.sign_ins),
            sign_up: action("sign-up", 10, 3600),
            login: action("sign-in", 30, 900),
            login_email: action("sign-in-email", 10, 900),
            email_link: action("email-link", 20, 3600),
            email_link_to: action("email-link-to", 5, 3600),
            submit: action("submit", 30, 3600),
            vote: action("vote", 300, 600),
            comment: action("comment", 20, 600),
            claim: action("claim", 30, 3600),
            collect: action("collect", 600, 600),
            subscribe: action("subscribe", 10, 3600),
        }
    }

    /// The site-wide quota of `family`.
    pub fn of(&self, family: Family) -> &Quota {
        match family {
            Family::Reads => &self.reads,
            Family::Searches => &self.searches,
            Family::Writes => &self.writes,
            Family::SignIns => &self.sign_ins,
        }
    }
}

/// How a quota counts an email address: its hash, so that the addresses people type (and
/// mistype) are not kept.
pub fn email_key(email: &str) -> String {
    sha256_hex(&email.trim().to_lowercase())
}

/// How much of a quota one lease takes: one request while the quota is under 100, a
/// fiftieth of it above (2%: what another process may leave unspent).
pub fn block_of(limit: RateLimit) -> u32 {
    (limit.requests / 50).max(1)
}

/// What this process holds of one client's quota in the current window.
#[derive(Debug, Clone, Copy)]
struct Held {
    /// When the window ends, in Unix milliseconds.
    ends: i64,
    /// Leased and not spent yet.
    tokens: u32,
    /// How much of the quota all processes had leased at the last lease.
    used: u32,
}

/// The counts of every quota: leases from the database, spent here.
#[derive(Debug)]
struct Counter {
    db: Db,
    shards: Vec<Mutex<HashMap<(&'static str, String), Held>>>,
    hasher: RandomState,
    /// When this process last deleted ended windows from the database.
    forgotten_at: AtomicI64,
}

impl Counter {
    fn new(db: Db) -> Counter {
        Counter {
            db,
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
            forgotten_at: AtomicI64::new(0),
        }
    }

    async fn check(&self, scope: &'static str, limit: RateLimit, client: String) -> Decision {
        let key = (scope, client);
        let window_ms = i64::try_from(limit.window.as_millis()).unwrap_or(i64::MAX / 4);
        for _ in 0..LEASE_ATTEMPTS {
            let now = now_ms();
            if let Some(decision) = self.spend(&key, limit, now, None) {
                return decision;
            }
            self.forget_ended(now);
            let block = i64::from(block_of(limit));
            match self.db.lease_quota(scope, &key.1, now, window_ms, block, i64::from(limit.requests)).await {
                Ok(lease) => {
                    if let Some(decision) = self.spend(&key, limit, now, Some(lease)) {
                        return decision;
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, scope, "cannot count against a quota; letting the request through");
                    break;
                }
            }
        }
        Decision { allowed: true, remaining: limit.requests, reset: limit.window }
    }

    /// Adds `lease` to what this process holds for `key`, then spends one of it: `None` when
    /// it holds nothing to decide with (the database must be asked).
    fn spend(
        &self,
        key: &(&'static str, String),
        limit: RateLimit,
        now: i64,
        lease: Option<Lease>,
    ) -> Option<Decision> {
        let shard = &self.shards[self.hasher.hash_one(key) as usize % SHARDS];
        let mut held = shard.lock().unwrap_or_else(|e| e.into_inner());
        if held.len() >= SWEEP_AT {
            held.retain(|_, held| held.ends > now);
        }
        if let Some(lease) = lease {
            let ours =
                held.entry(key.clone()).or_insert(Held { ends: lease.window_ends, tokens: 0, used: 0 });
            if ours.ends != lease.window_ends {
                *ours = Held { ends: lease.window_ends, tokens: 0, used: 0 };
            }
            ours.tokens += u32::try_from(lease.granted).unwrap_or(0);
            ours.used = ours.used.max(u32::try_from(lease.used).unwrap_or(u32::MAX));
        }
        let ours = held.get_mut(key).filter(|ours| ours.ends > now)?;
        let reset = Duration::from_millis(u64::try_from(ours.ends - now).unwrap_or(0));
        if ours.tokens > 0 {
            ours.tokens -= 1;
            let remaining = limit.requests.saturating_sub(ours.used) + ours.tokens;
            return Some(Decision { allowed: true, remaining, reset });
        }
        (ours.used >= limit.requests).then_some(Decision { allowed: false, remaining: 0, reset })
    }

    /// Deletes the database's counts of ended windows, in the background, once a minute.
    fn forget_ended(&self, now: i64) {
        let last = self.forgotten_at.load(Ordering::Relaxed);
        if now - last < FORGET_EVERY_MS
            || self.forgotten_at.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_err()
        {
            return;
        }
        let db = self.db.clone();
        tokio::spawn(async move {
            if let Err(err) = db.forget_quotas(now).await {
                tracing::warn!(error = %err, "cannot delete the counts of ended quota windows");
            }
        });
    }
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_parse_from_the_command_line() {
        assert_eq!("500/300s".parse(), Ok(RateLimit::per(500, 300)));
        assert_eq!("10/1".parse(), Ok(RateLimit::per(10, 1)));
        for bad in ["0/10s", "10/0s", "ten/10s", "500", ""] {
            assert!(bad.parse::<RateLimit>().is_err(), "{bad}");
        }
    }

    #[test]
    fn settings_change_one_family_or_all() {
        let mut limits = SiteLimits::default();
        limits.set("searches=200/60s").unwrap();
        limits.set(" reads = off ").unwrap();
        assert_eq!(limits.searches, Some(RateLimit::per(200, 60)));
        assert_eq!((limits.reads, limits.writes), (None, SiteLimits::default().writes));
        limits.set("100/10s").unwrap();
        assert!(Family::ALL.iter().all(|family| limits.of(*family) == Some(RateLimit::per(100, 10))));
        limits.set("off").unwrap();
        assert_eq!(limits, SiteLimits::off());
        assert!(limits.set("talks=1/1s").unwrap_err().contains("not a family of requests"));
        assert!(limits.set("reads=lots").unwrap_err().contains("not a rate limit"));
    }

    #[test]
    fn large_quotas_are_leased_a_fiftieth_at_a_time() {
        let blocks = [30, 99, 100, 500, 3000].map(|requests| block_of(RateLimit::per(requests, 60)));
        assert_eq!(blocks, [1, 1, 2, 10, 60]);
    }
}
