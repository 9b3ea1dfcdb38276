//! The state every handler gets: the core (database, search, mail, settings) and the web's own
//! state beside it (the page cache and the catalog version it follows, metrics, the members the
//! rate limit recognises).

use std::sync::Arc;
use std::time::Instant;

use crate::actions::search::{self, CheckedSearch};
use crate::app::{Core, SiteConfig};
use crate::db::Db;
use crate::error::AppError;
use crate::http::cache::{CatalogVersion, PageCache};
use crate::http::members::Members;
use crate::http::metrics::Metrics;
use crate::search::{Search, SearchResults, Shown};

/// What only the web server keeps.
#[derive(Debug, Default)]
pub struct WebState {
    /// Rendered pages and feeds, valid while the catalog's version stays the same.
    pub pages: PageCache,
    pub version: CatalogVersion,
    pub metrics: Metrics,
    /// Members recognised lately by their cookie or token, whose requests the rate limit
    /// counts per member.
    pub members: Members,
}

/// The router's state: cheap to clone, shared by every request.
#[derive(Debug, Clone)]
pub struct App {
    pub core: Arc<Core>,
    pub web: Arc<WebState>,
}

impl App {
    /// The state of a server over `db` and `search`, configured by `config`.
    pub fn new(db: Db, search: Arc<Search>, config: SiteConfig) -> App {
        let web = WebState::default();
        App::from_parts(Core::new(db, search, config), web)
    }

    pub fn from_parts(core: Core, web: WebState) -> App {
        App { core: Arc::new(core), web: Arc::new(web) }
    }

    /// Runs a checked search for a caller that shows `shown` of it, at the catalog version the
    /// page cache reads (papers shown at that version are kept), and records its latency by mode.
    pub async fn search(
        &self,
        checked: &CheckedSearch,
        offset: u64,
        limit: u64,
        shown: Shown,
    ) -> Result<SearchResults, AppError> {
        let started = Instant::now();
        let core = &self.core;
        // Without a version the papers are loaded afresh: slower, never wrong.
        let version = self.web.version.current(&core.db).await.ok();
        let results = search::run(&core.search, &core.db, checked, (offset, limit), shown, version).await?;
        self.web.metrics.observe_search(results.mode, started.elapsed());
        Ok(results)
    }
}
