//! `GET /search`: the search page, with highlighted snippets, a category and date filter,
//! ranking modes and paging. An arXiv id or address goes straight to the paper's page.

use std::time::Instant;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use paperboy_arxiv::ArxivId;
use paperboy_search::DateRange;
use serde::Deserialize;

use crate::app::{App, AppState};
use crate::domain::category::is_category;
use crate::domain::feed::Period;
use crate::domain::text::url_encode;
use crate::search::{Mode, SearchRequest};
use crate::web::pages::page_number;
use crate::web::view::{Card, FeedLinks, Layout, Pager};
use crate::web::{PageError, render};

/// Results on a page.
const PAGE_SIZE: u64 = 20;

/// The longest query accepted, as on Hugging Face.
pub const MAX_QUERY_CHARS: usize = 250;

/// The page's parameters; all optional, all validated.
#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    pub mode: Option<String>,
    pub cat: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: Option<String>,
}

/// A search the parameters describe, checked.
#[derive(Debug, Clone)]
pub struct CheckedSearch {
    pub query: String,
    pub mode: Mode,
    pub category: Option<String>,
    pub dates: DateRange,
}

impl CheckedSearch {
    /// Checks the query, mode, category and dates; `semantic` says whether a model is loaded
    /// (the default mode is hybrid with one, keyword without).
    pub fn from_params(
        q: &str,
        mode: Option<&str>,
        cat: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        semantic: bool,
    ) -> Result<CheckedSearch, String> {
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(format!(
                "the query is {} characters long; the limit is {MAX_QUERY_CHARS}",
                q.chars().count()
            ));
        }
        let mode = match mode.filter(|m| !m.is_empty()) {
            None if semantic => Mode::Hybrid,
            None => Mode::Keyword,
            Some("keyword") => Mode::Keyword,
            Some("semantic") => Mode::Semantic,
            Some("hybrid") => Mode::Hybrid,
            Some(other) => {
                return Err(format!("unknown mode `{}`: use keyword, semantic or hybrid", clip(other)));
            }
        };
        let category = match cat.map(str::trim).filter(|c| !c.is_empty()) {
            Some(category) if is_category(category) => Some(category.to_owned()),
            Some(category) => {
                return Err(format!("`{}` is not an arXiv category, such as cs.CL", clip(category)));
            }
            None => None,
        };
        let day = |value: Option<&str>| -> Result<Option<chrono::NaiveDate>, String> {
            match value.filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(text) => match Period::parse_day(text) {
                    Ok(Period::Day(day)) => Ok(Some(day)),
                    Ok(_) => Ok(None),
                    Err(err) => Err(err.to_string()),
                },
            }
        };
        let dates = DateRange { from: day(from)?, until: day(to)? };
        Ok(CheckedSearch { query: q.trim().to_owned(), mode, category, dates })
    }

    /// The search a page's (or a search feed's) parameters ask for.
    pub fn from_page(params: &SearchParams, semantic: bool) -> Result<CheckedSearch, String> {
        CheckedSearch::from_params(
            &params.q,
            params.mode.as_deref(),
            params.cat.as_deref(),
            params.from.as_deref(),
            params.to.as_deref(),
            semantic,
        )
    }

    /// The query the index sees: the words, and the category as a `cat:` filter.
    pub fn full_query(&self) -> String {
        match &self.category {
            Some(category) => format!("{} cat:{category}", self.query),
            None => self.query.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    query: String,
    modes: Vec<ModeOption>,
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
    State(app): State<AppState>,
    Query(params): Query<SearchParams>,
) -> Result<Response, PageError> {
    let checked =
        CheckedSearch::from_page(&params, app.search.semantic_enabled()).map_err(PageError::bad_request)?;
    let page = page_number(params.page.as_deref())?;
    if let Ok((id, _)) = ArxivId::from_url_or_id(&checked.query)
        && app.db.get_paper(&id).await?.is_some()
    {
        return Ok(Redirect::to(&format!("/papers/{id}")).into_response());
    }
    let (cards, total, notices) = if checked.query.is_empty() && checked.category.is_none() {
        (Vec::new(), 0, Vec::new())
    } else {
        let results = run_search(&app, &checked, (page - 1) * PAGE_SIZE, PAGE_SIZE, false).await?;
        (results.hits.iter().map(Card::from_hit).collect(), results.total as u64, results.notices)
    };
    let base = &app.config.base_url;
    let encoded = |extra: &str| {
        let mut href = format!("/search?q={}", url_encode(&checked.query));
        if params.mode.is_some() {
            href.push_str(&format!("&mode={}", checked.mode));
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
    let semantic = app.search.semantic_enabled();
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

/// Runs a checked search and records its latency by mode; `plain` skips highlighting, for
/// callers that show none.
pub async fn run_search(
    app: &App,
    checked: &CheckedSearch,
    offset: u64,
    limit: u64,
    plain: bool,
) -> Result<crate::search::SearchResults, PageError> {
    let request = SearchRequest {
        query: checked.full_query(),
        mode: checked.mode,
        offset: offset as usize,
        limit: limit as usize,
        dates: checked.dates,
        plain,
    };
    let started = Instant::now();
    let results = app.search.search(&app.db, &request).await.map_err(PageError::search)?;
    app.metrics.observe_search(results.mode, started.elapsed());
    Ok(results)
}

fn clip(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(
        q: &str,
        mode: Option<&str>,
        cat: Option<&str>,
        from: Option<&str>,
    ) -> Result<CheckedSearch, String> {
        CheckedSearch::from_params(q, mode, cat, from, None, true)
    }

    #[test]
    fn parameters_are_checked_with_clear_messages() {
        assert_eq!(check("x", None, None, None).unwrap().mode, Mode::Hybrid);
        assert_eq!(
            CheckedSearch::from_params("x", None, None, None, None, false).unwrap().mode,
            Mode::Keyword
        );
        assert!(check(&"a".repeat(250), None, None, None).is_ok());
        assert!(check(&"a".repeat(251), None, None, None).unwrap_err().contains("limit is 250"));
        assert!(check("x", Some("fuzzy"), None, None).unwrap_err().contains("unknown mode"));
        assert!(check("x", None, Some("<b>"), None).is_err());
        assert!(check("x", None, None, Some("2025-02-30")).unwrap_err().contains("2025-02-30"));
        let full = check("llm", Some("keyword"), Some("cs.CL"), Some("2026-05-01")).unwrap();
        assert_eq!(full.full_query(), "llm cat:cs.CL");
        assert_eq!(full.dates.from, "2026-05-01".parse().ok());
    }
}
