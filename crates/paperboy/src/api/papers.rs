//! The paper endpoints: `GET /api/papers/{id}` (one paper in Hugging Face's flat shape),
//! `GET /api/papers/search` (ranked, in the daily items' shape) and `GET /api/papers` (every
//! paper, newest first, by cursor).

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use paperboy_arxiv::ArxivId;
use serde::{Deserialize, Serialize};

use super::json::{AuthorJson, DailyItemJson, PaperJson};
use super::paging::{next_link, parse_limit};
use crate::actions::search::CheckedSearch;
use crate::domain::text::url_encode;
use crate::http::extract::Params;

use crate::error::AppError;
use crate::http::App;

/// `GET /api/papers/{id}`: 400 for a malformed id, 404 for an unknown or hidden one. Also
/// `GET /api/papers/{id}/comments`.
pub async fn show_paper(
    State(app): State<App>,
    raw_id: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    let Path(raw_id) = raw_id.map_err(|e| AppError::BadRequest(e.body_text()))?;
    if let Some(comments) = super::community::list_comments(&app, &raw_id).await {
        return comments;
    }
    let id: ArxivId =
        raw_id.parse().map_err(|e: paperboy_arxiv::IdError| AppError::BadRequest(e.to_string()))?;
    let (stored, entry) = app
        .core
        .db
        .paper_with_entry(&id)
        .await?
        .filter(|(stored, _)| stored.hidden_at.is_none())
        .ok_or_else(|| AppError::NotFound(format!("paper {id} not found")))?;
    Ok(Json(PaperJson::new(stored, entry.as_ref())).into_response())
}

/// Results `GET /api/papers/search` returns unless `limit` says otherwise, and the most.
const SEARCH_LIMIT: u64 = 50;
const MAX_SEARCH_LIMIT: u64 = 120;

#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    q: Option<String>,
    limit: Option<String>,
    mode: Option<String>,
}

/// `GET /api/papers/search?q=...&limit=...&mode=...`: papers ranked by relevance, in the
/// daily items' shape. `mode` (Paperboy's addition) is keyword, semantic or hybrid; hybrid
/// is the default when a model is loaded, keyword otherwise.
pub async fn search_papers(
    State(app): State<App>,
    params: Params<SearchParams>,
) -> Result<Json<Vec<DailyItemJson>>, AppError> {
    let params = params.0;
    let q = params.q.unwrap_or_default();
    if q.trim().is_empty() {
        return Err(AppError::BadRequest("q is required: the words to search for".into()));
    }
    let limit = parse_limit(params.limit.as_deref(), SEARCH_LIMIT, MAX_SEARCH_LIMIT)?;
    let checked = CheckedSearch::from_params(
        &q,
        params.mode.as_deref(),
        None,
        None,
        None,
        app.core.search.semantic_enabled(),
    )
    .map_err(AppError::BadRequest)?;
    let results = app.search(&checked, 0, limit, true).await?;
    Ok(Json(results.hits.into_iter().map(|hit| DailyItemJson::new(hit.paper, hit.entry.as_ref())).collect()))
}

/// Papers `GET /api/papers` returns unless `limit` says otherwise, and the most.
const LIST_LIMIT: u64 = 50;
const MAX_LIST_LIMIT: u64 = 100;

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    cursor: Option<String>,
    limit: Option<String>,
}

/// An item of `GET /api/papers`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaperListItemJson {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub authors: Vec<AuthorJson>,
    pub published_at: Option<String>,
    pub upvotes: u64,
    pub project_page: Option<String>,
    pub organization: Option<serde_json::Value>,
    pub thumbnail_url: Option<String>,
}

/// `GET /api/papers?cursor=...&limit=...`: every paper, newest announced first. The `Link`
/// header's `rel="next"` address carries the cursor of the next page.
pub async fn list_papers(
    State(app): State<App>,
    RawQuery(raw): RawQuery,
    params: Params<ListParams>,
) -> Result<Response, AppError> {
    let params = params.0;
    let limit = parse_limit(params.limit.as_deref(), LIST_LIMIT, MAX_LIST_LIMIT)?;
    let after = params.cursor.as_deref().filter(|c| !c.is_empty()).map(parse_cursor).transpose()?;
    let mut papers =
        app.core.db.papers_newest_first(after.as_ref().map(|(day, id)| (*day, id)), limit + 1).await?;
    let more = papers.len() as u64 > limit;
    papers.truncate(limit as usize);
    let next = papers
        .last()
        .filter(|_| more)
        .and_then(|last| last.paper.announce_date.map(|day| format!("{day}~{}", last.paper.id)));
    let items: Vec<PaperListItemJson> = papers
        .into_iter()
        .map(|stored| {
            let paper = PaperJson::new(stored, None);
            PaperListItemJson {
                id: paper.id,
                title: paper.title,
                summary: paper.summary,
                authors: paper.authors,
                published_at: paper.published_at,
                upvotes: paper.upvotes,
                project_page: paper.project_page,
                organization: None,
                thumbnail_url: None,
            }
        })
        .collect();
    let mut response = Json(items).into_response();
    if let Some(cursor) = next {
        let link = next_link(
            &app.core.config.base_url,
            "/api/papers",
            raw.as_deref(),
            "cursor",
            &url_encode(&cursor),
        );
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

/// A cursor: the announce day and id of the last paper of the previous page, `DAY~ID`.
fn parse_cursor(text: &str) -> Result<(NaiveDate, ArxivId), AppError> {
    let invalid =
        || AppError::BadRequest("invalid cursor: pass the one from the previous page's Link header".into());
    let (day, id) = text.split_once('~').ok_or_else(invalid)?;
    let day: NaiveDate = day.parse().map_err(|_| invalid())?;
    let id: ArxivId = id.parse().map_err(|_| invalid())?;
    Ok((day, id))
}
