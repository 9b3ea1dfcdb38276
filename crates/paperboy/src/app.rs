//! The core of a running service: the database, search, mail and settings that every part
//! above uses, and the actions over them. The HTTP layer keeps its own state beside it (the
//! page cache, metrics and the rate limit).

use std::sync::Arc;

use paperboy_arxiv::client::ArxivClient;

use crate::actions::accounts::Accounts;
use crate::actions::community::{Community, SubmitRules};
use crate::actions::subscriptions::Subscriptions;
use crate::db::Db;
use crate::mail::Outbox;
use crate::quota::{Quotas, SiteLimits};
use crate::search::Search;

/// How the site presents itself and protects itself; set from `paperboy serve`'s flags.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    /// The address readers reach the site at, without a trailing slash: feeds, `Link` headers
    /// and canonical links are absolute and start with it.
    pub base_url: String,
    /// Requests each member or client address may make per window, per family of requests.
    pub rate_limits: SiteLimits,
    /// Take the client address from the last `X-Forwarded-For` entry (behind a reverse proxy).
    pub trust_forwarded_for: bool,
    /// The feature rules in force, as written on the command line, for the about page.
    pub feature_rules: String,
    /// Where account emails go, and whom they come from.
    pub mail: Outbox,
    /// Quotas on signing up, signing in, emailed links, submitting, voting and commenting.
    pub action_limits: bool,
    /// What submitting a paper allows.
    pub submissions: SubmitRules,
    /// Looks up papers users submit that the catalog lacks; without it they must be imported
    /// first.
    pub arxiv: Option<ArxivClient>,
    /// Serve the MCP server at `/mcp`.
    pub mcp: bool,
}

impl Default for SiteConfig {
    fn default() -> Self {
        SiteConfig {
            base_url: "http://127.0.0.1:8080".into(),
            rate_limits: SiteLimits::default(),
            trust_forwarded_for: false,
            feature_rules: "all".into(),
            mail: Outbox::files(std::env::temp_dir().join("paperboy-mail")),
            action_limits: true,
            mcp: true,
            submissions: SubmitRules::default(),
            arxiv: None,
        }
    }
}

/// The database, search, settings and quotas of one process.
#[derive(Debug)]
pub struct Core {
    pub db: Db,
    pub search: Arc<Search>,
    pub config: SiteConfig,
    /// The site-wide limits and the quotas of single actions (signing up, voting...), counted
    /// in the database so that every process sees them.
    pub quotas: Quotas,
}

impl Core {
    pub fn new(db: Db, search: Arc<Search>, config: SiteConfig) -> Core {
        let quotas = Quotas::new(db.clone(), config.rate_limits, config.action_limits);
        Core { db, search, config, quotas }
    }

    /// The account actions, over this application's database, quotas and mail.
    pub fn accounts(&self) -> Accounts<'_> {
        Accounts {
            db: &self.db,
            quotas: &self.quotas,
            outbox: &self.config.mail,
            base_url: &self.config.base_url,
        }
    }

    /// The subscription actions, over this application's database, quotas and mail.
    pub fn subscriptions(&self) -> Subscriptions<'_> {
        Subscriptions {
            db: &self.db,
            quotas: &self.quotas,
            outbox: &self.config.mail,
            base_url: &self.config.base_url,
        }
    }

    /// The community's actions, over this application's database, quotas and arXiv client.
    pub fn community(&self) -> Community<'_> {
        Community {
            db: &self.db,
            quotas: &self.quotas,
            arxiv: self.config.arxiv.as_ref(),
            submissions: self.config.submissions,
        }
    }
}
