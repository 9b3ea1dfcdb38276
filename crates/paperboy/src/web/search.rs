//! `GET /search`: the search page, with highlighted snippets, a category and date filter,
//! ranking modes and paging. An arXiv id or address goes straight to the paper's page.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use paperboy_arxiv::ArxivId;
use paperboy_search::Scope;
use serde::Deserialize;

use crate::actions::search::{CheckedSearch, SearchInput};
use crate::domain::text::url_encode;
use crate::error::AppError;
use crate::http::App;
use crate::http::extract::Params;
use crate::http::page::render;
use crate::http::page::{FeedLinks, Layout};
use crate::search::{Mode, Shown};
use crate::web::pages::page_number;
use crate::web::view::{Card, Pager};

/// Results on a page.
const PAGE_SIZE: u64 = 20;

/// The page's parameters; all optional, all validated.
#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    pub mode: Option<String>,
    pub scope: Option<String>,
    pub cat: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: Option<String>,
}

impl SearchParams {
    /// The search a page's (or a search feed's) parameters ask for.
    pub fn checked(&self, semantic: bool) -> Result<CheckedSearch, String> {
        let input = SearchInput {
            q: &self.q,
            mode: self.mode.as_deref(),
            scope: self.scope.as_deref(),
            cat: self.cat.as_deref(),
            from: self.from.as_deref(),
            to: self.to.as_deref(),
        };
        CheckedSearch::from_input(input, semantic)
    }
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    query: String,
    modes: Vec<ModeOption>,
    fulltext: bool,
    category: String,
    from: String,
    to: String,
    notices: Vec<String>,
    summary: String,
    cards: Vec<Card>,
    pager: Pager,
}

struct ModeOption {
    value: &'static str,
    label: &'static str,
    checked: bool,
}

/// `GET /search`.
pub async fn show_search(
    State(app): State<App>,
    Params(params): Params<SearchParams>,
) -> Result<Response, AppError> {
    let checked = params.checked(app.core.search.semantic_enabled()).map_err(AppError::BadRequest)?;
    let page = page_number(params.page.as_deref())?;
    if let Ok((id, _)) = ArxivId::from_url_or_id(&checked.query)
        && app.core.db.get_paper(&id).await?.is_some()
    {
        return Ok(Redirect::to(&format!("/papers/{id}")).into_response());
    }
    let (cards, total, notices) = if checked.query.is_empty() && checked.category.is_none() {
        (Vec::new(), 0, Vec::new())
    } else {
        let results = app.search(&checked, (page - 1) * PAGE_SIZE, PAGE_SIZE, Shown::PAGE).await?;
        (results.hits.iter().map(Card::from_hit).collect(), results.total as u64, results.notices)
    };
    let base = &app.core.config.base_url;
    let encoded = |extra: &str| {
        let mut href = format!("/search?q={}", url_encode(&checked.query));
        if params.mode.is_some() {
            href.push_str(&format!("&mode={}", checked.mode));
        }
        if checked.scope == Scope::Fulltext && params.scope.is_some() {
            href.push_str("&scope=fulltext");
        }
        if let Some(category) = &checked.category {
            href.push_str(&format!("&cat={category}"));
        }
        for (name, value) in [("from", checked.dates.from), ("to", checked.dates.until)] {
            if let Some(day) = value {
                href.push_str(&format!("&{name}={day}"));
            }
        }
        href.push_str(extra);
        href
    };
    let mut layout = Layout::new("search", format!("{base}{}", encoded(""))).with_query(&checked.query);
    if !checked.query.is_empty() {
        let feed_query = url_encode(&checked.full_query());
        layout = layout.with_feeds(FeedLinks {
            title: format!("Paperboy search: {}", checked.query),
            rss: format!("{base}/feeds/search.rss?q={feed_query}"),
            atom: format!("{base}/feeds/search.atom?q={feed_query}"),
        });
    }
    let semantic = app.core.search.semantic_enabled();
    let modes = [
        ("hybrid", "Hybrid", Mode::Hybrid),
        ("keyword", "Keyword", Mode::Keyword),
        ("semantic", "Semantic", Mode::Semantic),
    ]
    .into_iter()
    .filter(|(_, _, mode)| semantic || *mode == Mode::Keyword)
    .map(|(value, label, mode)| ModeOption { value, label, checked: mode == checked.mode })
    .collect();
    let summary = match total {
        0 => "No papers match.".to_owned(),
        1 => "1 paper matches.".to_owned(),
        n => format!("{n} papers match, best first."),
    };
    let view = SearchPage {
        layout,
        query: checked.query.clone(),
        modes,
        fulltext: checked.scope == Scope::Fulltext,
        category: checked.category.clone().unwrap_or_default(),
        from: checked.dates.from.map(|d| d.to_string()).unwrap_or_default(),
        to: checked.dates.until.map(|d| d.to_string()).unwrap_or_default(),
        notices,
        summary,
        cards,
        pager: Pager::numbered(page, PAGE_SIZE, total, |n| encoded(&format!("&page={n}"))),
    };
    let rendered = render(StatusCode::OK, &view)?;
    Ok(([(axum::http::header::CONTENT_TYPE, rendered.content_type)], rendered.body).into_response())
}
