//! What every page shares: the layout's parts (navigation, feeds, canonical address, asset
//! version), rendering a template into a page body, serving pages from the page cache, and
//! answering a page made for one visitor.

use std::future::Future;
use std::sync::Arc;

use askama::Template;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::db::users::Session;
use crate::domain::secrets::Secret;
use crate::error::AppError;
use crate::http::cache::{CachedPage, Rendered};
use crate::http::corner;
use crate::http::session;
use crate::http::state::App;

/// Changes whenever the stylesheet or script changes, so browsers may cache them for long.
pub const ASSET_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The parts every page shares.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Which main navigation entry is current: "daily", "weekly", "monthly", "trending",
    /// "search", "about", or "" for none.
    pub nav: &'static str,
    /// The search box's text.
    pub query: String,
    /// Feeds of this page, for `<link rel="alternate">` and the page's footer.
    pub feeds: Vec<FeedLinks>,
    /// The page's absolute address.
    pub canonical: String,
    pub asset_version: &'static str,
}

impl Layout {
    pub fn new(nav: &'static str, canonical: String) -> Layout {
        Layout { nav, canonical, asset_version: ASSET_VERSION, ..Layout::default() }
    }

    pub fn with_feeds(mut self, feeds: FeedLinks) -> Layout {
        self.feeds.push(feeds);
        self
    }

    pub fn with_query(mut self, query: &str) -> Layout {
        self.query = query.to_owned();
        self
    }

    /// `aria-current="page"` for the current navigation entry.
    pub fn current(&self, entry: &str) -> &'static str {
        if self.nav == entry { "page" } else { "false" }
    }
}

/// The RSS and Atom addresses of one feed.
#[derive(Debug, Clone)]
pub struct FeedLinks {
    pub title: String,
    pub rss: String,
    pub atom: String,
}

/// Renders a template into a page body.
pub fn render(status: StatusCode, template: &impl Template) -> Result<Rendered, AppError> {
    let body = template.render().map_err(|err| AppError::Internal(format!("cannot render a page: {err}")))?;
    Ok(Rendered::html(status, body))
}

/// A page made for one visitor (a form, their settings, a paper page with their vote): with
/// their account corner when `session` is theirs, and never stored by browsers or proxies.
pub fn private_html(status: StatusCode, body: String, session: Option<&Session>) -> Response {
    let body = session.and_then(|session| corner::personalize(&body, session)).unwrap_or(body);
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}

/// `page` rendered for one visitor ([`private_html`]).
pub fn private_page(status: StatusCode, page: &impl Template, session: Option<&Session>) -> Response {
    match page.render() {
        Ok(body) => private_html(status, body, session),
        Err(err) => AppError::Internal(format!("cannot render a page: {err}")).into_response(),
    }
}

/// Serves the page at `uri` from the page cache when it was rendered at the catalog's current
/// version, and otherwise renders it with `render` and keeps it. Errors are not kept.
pub async fn cached<F, Fut>(app: &App, uri: &Uri, headers: &HeaderMap, render: F) -> Response
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Rendered, AppError>>,
{
    let session = match session::cookie(headers, session::SESSION_COOKIE).map(Secret::from_client) {
        Some(secret) => match app.core.db.session(&secret).await {
            Ok(session) => {
                if let Some(session) = &session {
                    app.web.members.remember(&secret, session.user.id);
                }
                session
            }
            Err(err) => return AppError::from(err).into_response(),
        },
        None => None,
    };
    let page = match from_cache(app, uri, render).await {
        Ok(page) => page,
        Err(err) => return err.into_response(),
    };
    session
        .and_then(|session| page.respond_personal(headers, &corner::account_corner(&session)))
        .unwrap_or_else(|| page.respond(headers))
}

/// Serves the API's answer at `uri` (the whole address, `/api/...`) from the page cache when it
/// was made at the catalog's current version, and otherwise makes it with `render` and keeps
/// it: for answers that are the same for every caller, so no session or token is read. Errors
/// are not kept.
pub async fn cached_json<F, Fut>(app: &App, uri: &Uri, headers: &HeaderMap, render: F) -> Response
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Rendered, AppError>>,
{
    match from_cache(app, uri, render).await {
        Ok(answer) => answer.respond(headers),
        Err(err) => err.into_response(),
    }
}

/// What the page cache keeps for `uri` at the catalog's current version, made with `render`
/// first if it keeps nothing.
async fn from_cache<F, Fut>(app: &App, uri: &Uri, render: F) -> Result<Arc<CachedPage>, AppError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Rendered, AppError>>,
{
    let key = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let version = app.web.version.current(&app.core.db).await?;
    if let Some(page) = app.web.pages.get(key, version) {
        app.web.metrics.count_cache(true);
        return Ok(page);
    }
    app.web.metrics.count_cache(false);
    Ok(app.web.pages.put(key, version, render().await?))
}
