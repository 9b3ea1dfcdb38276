//! The paper endpoints: `GET /api/papers/{id}` (one paper in Hugging Face's flat shape),
//! `GET /api/papers/search` (ranked, in the daily items' shape) and `GET /api/papers` (every
//! paper, newest first, by cursor).

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use paperboy_arxiv::{ArxivId, Paper};
use serde::{Deserialize, Serialize};

use super::daily::DailyItemJson;
use super::{Params, next_link, parse_limit};
use crate::actions::search::CheckedSearch;
use crate::domain::text::url_encode;
use crate::web::search::run_search;

use crate::app::AppState;
use crate::db::papers::StoredPaper;
use crate::domain::feed::FeedEntry;
use crate::error::AppError;

/// A paper as `GET /api/papers/{id}` returns it. Fields Hugging Face has and Paperboy does not
/// (linked models, datasets and spaces) are present with empty values, so clients find them.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaperJson {
    pub id: String,
    pub authors: Vec<AuthorJson>,
    /// When arXiv published version 1; null when no source said.
    pub published_at: Option<String>,
    pub title: String,
    pub summary: String,
    pub upvotes: u64,
    pub num_comments: u64,
    pub github_repo: Option<String>,
    pub project_page: Option<String>,
    pub withdrawn_at: Option<String>,
    /// When and by whom it joined the daily feed; absent when it is on no feed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_on_daily_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_on_daily_by: Option<UserJson>,
    pub linked_models: Vec<serde_json::Value>,
    pub num_total_models: u64,
    pub linked_datasets: Vec<serde_json::Value>,
    pub num_total_datasets: u64,
    pub linked_spaces: Vec<serde_json::Value>,
    pub num_total_spaces: u64,
    // Paperboy's additions: arXiv metadata Hugging Face does not carry.
    pub version: Option<u32>,
    pub categories: Vec<String>,
    pub comment: Option<String>,
    pub journal_ref: Option<String>,
    pub doi: Option<String>,
    pub license: Option<String>,
    pub updated_at: Option<String>,
    pub announced_on: Option<String>,
}

/// A user as Hugging Face describes one.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserJson {
    #[serde(rename = "_id")]
    pub id: String,
    pub avatar_url: Option<String>,
    pub fullname: String,
    pub name: String,
    pub user: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub is_pro: bool,
}

impl UserJson {
    /// The submitter of a feed entry, when a user submitted it.
    pub fn submitter(entry: &FeedEntry) -> Option<UserJson> {
        entry.submitted_by.as_deref().map(UserJson::named)
    }

    /// The user called `name`.
    pub fn named(name: &str) -> UserJson {
        UserJson {
            id: object_id(&[name.as_bytes()]),
            avatar_url: None,
            fullname: name.to_owned(),
            name: name.to_owned(),
            user: name.to_owned(),
            kind: "user",
            is_pro: false,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct AuthorJson {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: String,
    pub hidden: bool,
}

impl PaperJson {
    /// The paper, with its feed entry when it is on a feed.
    pub fn new(stored: StoredPaper, entry: Option<&FeedEntry>) -> PaperJson {
        let StoredPaper { paper, upvotes, num_comments, .. } = stored;
        let Paper {
            id,
            version,
            title,
            summary,
            authors,
            categories,
            comment,
            journal_ref,
            doi,
            license,
            github_repo,
            project_page,
            published_at,
            updated_at,
            announce_date,
            ..
        } = paper;
        // Records from the shared sample carry only the announce date: the best known time.
        let published =
            published_at.or_else(|| announce_date.and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc()));
        PaperJson {
            authors: authors
                .into_iter()
                .enumerate()
                .map(|(i, name)| AuthorJson { id: author_object_id(&id, i), name, hidden: false })
                .collect(),
            id: id.to_string(),
            published_at: published.map(iso_millis),
            title,
            summary,
            upvotes: upvotes.max(0) as u64,
            num_comments: num_comments.max(0) as u64,
            github_repo,
            project_page,
            withdrawn_at: None,
            submitted_on_daily_at: entry.map(|e| iso_millis(e.submitted_at)),
            submitted_on_daily_by: entry.and_then(UserJson::submitter),
            linked_models: Vec::new(),
            num_total_models: 0,
            linked_datasets: Vec::new(),
            num_total_datasets: 0,
            linked_spaces: Vec::new(),
            num_total_spaces: 0,
            version,
            categories,
            comment,
            journal_ref,
            doi,
            license,
            updated_at: updated_at.map(iso_millis),
            announced_on: announce_date.map(|d| d.to_string()),
        }
    }
}

/// `2024-07-18T05:15:24.000Z`, the format Hugging Face's API uses.
pub fn iso_millis(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A stable 24-hex-digit id for an author slot, shaped like Hugging Face's object ids.
fn author_object_id(paper: &ArxivId, position: usize) -> String {
    object_id(&[paper.as_str().as_bytes(), &(position as u64).to_le_bytes()])
}

/// A stable 24-hex-digit id made from `parts`, shaped like Hugging Face's object ids.
pub fn object_id(parts: &[&[u8]]) -> String {
    // FNV-1a: tiny, stable across builds and platforms, which is all an id needs here.
    let fnv = |seed: u64| {
        let mut hash = 0xcbf2_9ce4_8422_2325u64 ^ seed;
        for byte in parts.iter().flat_map(|part| part.iter()) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        hash
    };
    format!("{:016x}{:08x}", fnv(0), fnv(1) as u32)
}

/// `GET /api/papers/{id}`: 400 for a malformed id, 404 for an unknown or hidden one. Also
/// `GET /api/papers/{id}/comments`.
pub async fn show_paper(
    State(app): State<AppState>,
    raw_id: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    let Path(raw_id) = raw_id.map_err(|e| AppError::BadRequest(e.body_text()))?;
    if let Some(comments) = super::community::list_comments(&app, &raw_id).await {
        return comments;
    }
    let id: ArxivId =
        raw_id.parse().map_err(|e: paperboy_arxiv::IdError| AppError::BadRequest(e.to_string()))?;
    let (stored, entry) = app
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
    State(app): State<AppState>,
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
        app.search.semantic_enabled(),
    )
    .map_err(AppError::BadRequest)?;
    let results =
        run_search(&app, &checked, 0, limit, true).await.map_err(|e| AppError::Internal(e.message))?;
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
    State(app): State<AppState>,
    RawQuery(raw): RawQuery,
    params: Params<ListParams>,
) -> Result<Response, AppError> {
    let params = params.0;
    let limit = parse_limit(params.limit.as_deref(), LIST_LIMIT, MAX_LIST_LIMIT)?;
    let after = params.cursor.as_deref().filter(|c| !c.is_empty()).map(parse_cursor).transpose()?;
    let mut papers =
        app.db.papers_newest_first(after.as_ref().map(|(day, id)| (*day, id)), limit + 1).await?;
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
        let link =
            next_link(&app.config.base_url, "/api/papers", raw.as_deref(), "cursor", &url_encode(&cursor));
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
