//! The shared state of a running server, handed to every handler.

use std::sync::Arc;

use crate::db::Db;
use crate::search::Search;
use crate::web::cache::{CatalogVersion, PageCache};
use crate::web::limit::{RateLimit, RateLimiter};
use crate::web::metrics::Metrics;

/// How the site presents itself and protects itself; set from `paperboy serve`'s flags.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    /// The address readers reach the site at, without a trailing slash: feeds, `Link` headers
    /// and canonical links are absolute and start with it.
    pub base_url: String,
    /// Requests each client address may make per window; `None` turns the limit off.
    pub rate_limit: Option<RateLimit>,
    /// Take the client address from the last `X-Forwarded-For` entry (behind a reverse proxy).
    pub trust_forwarded_for: bool,
    /// The feature rules in force, as written on the command line, for the about page.
    pub feature_rules: String,
}

impl Default for SiteConfig {
    fn default() -> Self {
        SiteConfig {
            base_url: "http://127.0.0.1:8080".into(),
            rate_limit: Some(RateLimit::default()),
            trust_forwarded_for: false,
            feature_rules: "all".into(),
        }
    }
}

/// Everything handlers need, behind one `Arc`.
#[derive(Debug)]
pub struct App {
    pub db: Db,
    pub search: Arc<Search>,
    pub config: SiteConfig,
    /// Rendered pages and feeds, valid while the catalog's version stays the same.
    pub pages: PageCache,
    pub version: CatalogVersion,
    pub metrics: Metrics,
    pub limiter: RateLimiter,
}

impl App {
    pub fn new(db: Db, search: Arc<Search>, config: SiteConfig) -> App {
        let limiter = RateLimiter::new(config.rate_limit);
        App {
            db,
            search,
            config,
            pages: PageCache::default(),
            version: CatalogVersion::default(),
            metrics: Metrics::default(),
            limiter,
        }
    }
}

/// The state type of the router.
pub type AppState = Arc<App>;
