//! The paper endpoints: `GET /api/papers/{id}` (one paper in Hugging Face's flat shape),
//! `GET /api/papers/search` (ranked, in the daily items' shape) and `GET /api/papers` (every
//! paper, newest first, by cursor).

use aide::transform::TransformOperation;
use axum::Json;
use axum::extract::{OriginalUri, RawQuery, State};
use axum::http::HeaderMap;
use chrono::NaiveDate;
use paperboy_arxiv::ArxivId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::cached::Cached;
use super::contract::{CURSOR, NOT_BLANK, PAPER_ID, checked, names, variant};
use super::json::{AuthorJson, DailyItemJson, FullTextJson, PaperJson, PassageJson, thumbnail_url};
use super::paging::{Paged, next_link, parse_limit};
use crate::actions::search::{CheckedSearch, MAX_QUERY_CHARS, SearchInput};
use crate::domain::text::url_encode;
use crate::error::AppError;
use crate::http::App;
use crate::http::error::errors;
use crate::http::extract::{Params, PathParam, no_null};
use crate::search::Shown;

/// A paper named in the path.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct PaperPath {
    /// The arXiv id: new style (`2503.11731`, a version such as `v2` may follow) or old style,
    /// its slash sent as `%2F` (`hep-th%2F9901001`).
    #[schemars(pattern(PAPER_ID))]
    pub id: String,
    /// The number of an old-style id whose slash came as it is (`/api/papers/hep-th/9901001`),
    /// on the routes [`super::routes`] keeps for them outside the document.
    #[serde(default)]
    #[schemars(skip)]
    pub number: Option<String>,
}

impl PaperPath {
    /// The paper's id: 400 when the text is not shaped like one, 404 when arXiv never issued
    /// it (a month that has not come, a number zero, an archive arXiv never had).
    pub fn paper(&self) -> Result<ArxivId, AppError> {
        let joined;
        let text = match &self.number {
            Some(number) => {
                joined = format!("{}/{number}", self.id);
                &joined
            }
            None => &self.id,
        };
        let text = checked(PAPER_ID, text, "an arXiv id such as 2503.11731 or hep-th/9901001")?;
        text.parse().map_err(|err| AppError::NotFound(format!("paper {text} not found: {err}")))
    }
}

/// The paper, or 404 for one the catalog lacks or the curators hid.
pub async fn visible_paper(app: &App, id: &ArxivId) -> Result<Json<PaperJson>, AppError> {
    paper_json(app, id, false).await
}

/// The paper, hidden or not (what a curator's change answers with), or 404 for one the catalog
/// lacks.
pub async fn any_paper(app: &App, id: &ArxivId) -> Result<Json<PaperJson>, AppError> {
    paper_json(app, id, true).await
}

/// The paper `id` as the API shows it, with its full text's state; a hidden paper only when
/// `hidden_too` (for curators).
pub(crate) async fn paper_json(
    app: &App,
    id: &ArxivId,
    hidden_too: bool,
) -> Result<Json<PaperJson>, AppError> {
    let (stored, entry) = app
        .core
        .db
        .paper_with_entry(id)
        .await?
        .filter(|(stored, _)| hidden_too || stored.hidden_at.is_none())
        .ok_or_else(|| AppError::NotFound(format!("paper {id} not found")))?;
    let full_text = app.core.db.full_text(id.as_str()).await?;
    let mut paper = PaperJson::new(stored, entry.as_ref());
    paper.full_text = Some(FullTextJson {
        state: full_text.as_ref().map_or("none", |text| text.state.as_str()).to_owned(),
        source: full_text.as_ref().and_then(|text| text.source.clone()),
        reason: full_text.and_then(|text| text.reason),
        markdown_url: format!("{}/papers/{id}.md", app.core.config.base_url),
    });
    Ok(Json(paper))
}

/// `GET /api/papers/{id}`, from the page cache.
pub async fn show_paper(
    State(app): State<App>,
    uri: OriginalUri,
    headers: HeaderMap,
    PathParam(path): PathParam<PaperPath>,
) -> Cached<Json<PaperJson>> {
    Cached::answer(&app, &uri, &headers, async { visible_paper(&app, &path.paper()?).await }).await
}

pub fn show_paper_docs(op: TransformOperation) -> TransformOperation {
    op.id("getPaper")
        .summary("One paper")
        .description("A paper in Hugging Face's shape, with Paperboy's arXiv metadata beside it.")
        .with(|op| errors(op, &[(404, "The catalog has no such paper, or the curators hid it.")]))
}

/// Results `GET /api/papers/search` returns unless `limit` says otherwise, and the most.
const SEARCH_LIMIT: u64 = 50;
const MAX_SEARCH_LIMIT: u64 = 120;

/// How search results are ranked.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum SearchMode {
    /// The default: hybrid when a model is loaded, keyword otherwise (also when absent).
    #[serde(rename = "")]
    Default,
    /// BM25 over titles, abstracts and authors.
    Keyword,
    /// Nearest neighbours of the query's embedding (keyword when no model is loaded).
    Semantic,
    /// Both, fused by reciprocal rank (the default with a model).
    Hybrid,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(transform = no_null)]
pub struct SearchParams {
    /// The words to search for, in the query language of the search page (`"a phrase"`,
    /// `-word`, `author:`, `cat:`, `date:`); an arXiv id or address puts that paper first.
    #[schemars(required, length(max = MAX_QUERY_CHARS), pattern(NOT_BLANK))]
    q: Option<String>,
    /// How many results, from 1 to 120 (50 when absent).
    #[schemars(with = "Option<u64>", range(min = 1, max = MAX_SEARCH_LIMIT))]
    limit: Option<String>,
    /// Paperboy's addition: how results are ranked.
    #[schemars(with = "Option<SearchMode>")]
    mode: Option<String>,
    /// Paperboy's addition: where the words are looked for (an `in:` in `q` says it first).
    #[schemars(with = "Option<SearchScope>")]
    scope: Option<String>,
}

/// Where a search looks for the words.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum SearchScope {
    /// The default: titles, abstracts and authors (also when absent).
    #[serde(rename = "")]
    Default,
    /// Titles, abstracts and authors.
    Abstract,
    /// The passages of papers' full texts, each paper ranked by its best passage, which comes
    /// with it as `passage`; by keyword whatever the mode.
    Fulltext,
}

/// `GET /api/papers/search?q=...&limit=...&mode=...`: papers ranked by relevance, in the
/// daily items' shape.
pub async fn search_papers(
    State(app): State<App>,
    Params(params): Params<SearchParams>,
) -> Result<Json<Vec<DailyItemJson>>, AppError> {
    let q = params.q.unwrap_or_default();
    if q.trim().is_empty() {
        return Err(AppError::BadRequest("q is required: the words to search for".into()));
    }
    let limit = parse_limit(params.limit.as_deref(), SEARCH_LIMIT, MAX_SEARCH_LIMIT)?;
    if let Some(mode) = params.mode.as_deref()
        && variant::<SearchMode>(mode).is_none()
    {
        let shown: String = mode.chars().take(40).collect();
        return Err(AppError::BadRequest(format!("unknown mode `{shown}`: use {}", names::<SearchMode>())));
    }
    let semantic = app.core.search.semantic_enabled();
    let input = SearchInput {
        q: &q,
        mode: params.mode.as_deref(),
        scope: params.scope.as_deref(),
        ..SearchInput::default()
    };
    let checked = CheckedSearch::from_input(input, semantic).map_err(AppError::BadRequest)?;
    let results = app.search(&checked, 0, limit, Shown::ITEMS).await?;
    Ok(Json(
        results
            .hits
            .into_iter()
            .map(|hit| {
                let passage = hit.passage.map(|best| PassageJson::new(&app.core.config.base_url, best));
                DailyItemJson {
                    passage,
                    ..DailyItemJson::new(&app.core.config.base_url, hit.paper, hit.entry.as_ref())
                }
            })
            .collect(),
    ))
}

pub fn search_papers_docs(op: TransformOperation) -> TransformOperation {
    op.id("searchPapers").summary("Search papers").description(
        "Papers ranked by relevance, in the daily items' shape, as Hugging Face's search answers. \
         With `scope=fulltext` (or `in:fulltext` in `q`), the words are looked for in the papers' \
         full texts and each item carries its best passage: its section, a stretch of its text and \
         a link to it in the reading view.",
    )
}

/// Papers `GET /api/papers` returns unless `limit` says otherwise, and the most.
const LIST_LIMIT: u64 = 50;
const MAX_LIST_LIMIT: u64 = 100;

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(transform = no_null)]
pub struct ListParams {
    /// Where the previous page ended: pass the one from its `Link` header.
    #[schemars(pattern(CURSOR))]
    cursor: Option<String>,
    /// How many papers, from 1 to 100 (50 when absent).
    #[schemars(with = "Option<u64>", range(min = 1, max = MAX_LIST_LIMIT))]
    limit: Option<String>,
}

/// An item of `GET /api/papers`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "PaperListItem")]
pub struct PaperListItemJson {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub authors: Vec<AuthorJson>,
    #[schemars(extend("format" = "date-time"))]
    pub published_at: Option<String>,
    pub upvotes: u64,
    pub project_page: Option<String>,
    pub organization: Option<serde_json::Value>,
    /// The paper's first page as an image (a placeholder until Paperboy has one).
    #[schemars(extend("format" = "uri"))]
    pub thumbnail_url: Option<String>,
}

/// `GET /api/papers?cursor=...&limit=...`: every paper, newest announced first. The `Link`
/// header's `rel="next"` address carries the cursor of the next page.
pub async fn list_papers(
    State(app): State<App>,
    uri: OriginalUri,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Params(params): Params<ListParams>,
) -> Cached<Paged<PaperListItemJson>> {
    Cached::answer(&app, &uri, &headers, newest_papers(&app, raw, params)).await
}

/// The page of the catalog, newest first, that `params` ask for.
async fn newest_papers(
    app: &App,
    raw: Option<String>,
    params: ListParams,
) -> Result<Paged<PaperListItemJson>, AppError> {
    let limit = parse_limit(params.limit.as_deref(), LIST_LIMIT, MAX_LIST_LIMIT)?;
    let after = params.cursor.as_deref().map(parse_cursor).transpose()?;
    let mut papers = app.core.db.papers_newest_first(after, limit + 1).await?;
    let more = papers.len() as u64 > limit;
    papers.truncate(limit as usize);
    let next = papers
        .last()
        .filter(|_| more)
        .and_then(|last| last.paper.announce_date.map(|day| format!("{day}~{}", last.paper.id)))
        .map(|cursor| {
            next_link(
                &app.core.config.base_url,
                "/api/papers",
                raw.as_deref(),
                "cursor",
                &url_encode(&cursor),
            )
        });
    let items = papers
        .into_iter()
        .map(|stored| {
            let paper = PaperJson::new(stored, None);
            let thumbnail = thumbnail_url(&app.core.config.base_url, &paper.id);
            PaperListItemJson {
                id: paper.id,
                title: paper.title,
                summary: paper.summary,
                authors: paper.authors,
                published_at: paper.published_at,
                upvotes: paper.upvotes,
                project_page: paper.project_page,
                organization: None,
                thumbnail_url: Some(thumbnail),
            }
        })
        .collect();
    Ok(Paged { items, next })
}

pub fn list_papers_docs(op: TransformOperation) -> TransformOperation {
    op.id("listPapers")
        .summary("Every paper")
        .description("Every paper of the catalog, newest announced first.")
}

/// A cursor: the announce day and id of the last paper of the previous page, `DAY~ID`.
fn parse_cursor(text: &str) -> Result<(NaiveDate, &str), AppError> {
    let text = checked(CURSOR, text, "a cursor: pass the one from the previous page's Link header")?;
    let invalid =
        || AppError::BadRequest("invalid cursor: pass the one from the previous page's Link header".into());
    let (day, id) = text.split_once('~').ok_or_else(invalid)?;
    Ok((day.parse().map_err(|_| invalid())?, id))
}
