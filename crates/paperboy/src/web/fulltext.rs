//! A paper's content on the site: its first page (`GET /papers/{id}/thumbnail`, a neutral
//! placeholder until there is one), and the paper as Markdown: `GET /papers/{id}.md`, and the
//! paper's own address asked for `text/markdown`. Hugging Face's client (`HfApi.read_paper`,
//! `hf papers read`) reads it from there. The full text when Paperboy keeps one, else, as Hugging
//! Face does, the paper's page (title, authors, abstract) with a note; opening a paper that has
//! none queues it for the full-text job ([`crate::fulltext::for_reader`]). Answers come from the page cache, renewed when the catalog changes (a new
//! full text moves the paper's clock number).

use axum::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, HeaderValue, VARY};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use paperboy_arxiv::{ArxivId, Paper};

use crate::db::papers::StoredPaper;
use crate::error::AppError;
use crate::fulltext::{FullText, for_reader};
use crate::http::App;
use crate::http::cache::Rendered;
use crate::http::page::cached;

/// What a paper without a thumbnail shows: a page of grey lines, the thumbnails' size.
const PLACEHOLDER: &str = include_str!("../../static/no-thumbnail.svg");

/// `GET /papers/{id}/thumbnail`: the first page as a PNG, kept by browsers for a week; or the
/// placeholder, asked for again after ten minutes (the full-text job may have made one). A paper
/// the catalog lacks has none (404), nor has one the curators hid (410), as their pages.
pub async fn show_thumbnail(app: &App, id: &ArxivId) -> Response {
    match app.core.db.get_paper(id).await {
        Ok(Some(stored)) if stored.hidden_at.is_none() => {}
        Ok(Some(_)) => {
            return AppError::Gone(format!("Paper {id} was hidden by the curators.")).into_response();
        }
        Ok(None) => return AppError::NotFound(format!("Paper {id} is not in this catalog.")).into_response(),
        Err(err) => return AppError::from(err).into_response(),
    }
    let (body, content_type, cache) = match app.core.db.thumbnail(id.as_str()).await {
        Ok(Some(thumbnail)) => (thumbnail.image, "image/png", "public, max-age=604800"),
        Ok(None) => (PLACEHOLDER.as_bytes().to_vec(), "image/svg+xml", "public, max-age=600"),
        Err(err) => return AppError::from(err).into_response(),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// The content type of a paper's Markdown.
const MARKDOWN: &str = "text/markdown; charset=utf-8";

/// Whether a request for a paper's page asks for Markdown rather than HTML.
pub fn wants_markdown(headers: &HeaderMap) -> bool {
    let accept = headers.get(ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    accept.contains("text/markdown") && !accept.contains("text/html")
}

/// The paper `id` as Markdown, from the page cache under `key`: the address it was asked
/// at, or its `.md` address when it was asked for by `Accept`.
pub async fn show_markdown(app: &App, id: &ArxivId, key: &Uri, headers: &HeaderMap) -> Response {
    let mut response = cached(app, key, headers, || render_markdown(app, id)).await;
    response.headers_mut().insert(VARY, HeaderValue::from_static("Accept"));
    response
}

/// The paper `id` (404 when unknown, 410 when hidden) and its full text; a paper whose full
/// text was never asked for is queued for the full-text job.
pub async fn paper_and_text(app: &App, id: &ArxivId) -> Result<(StoredPaper, FullText), AppError> {
    let db = &app.core.db;
    let stored = db
        .get_paper(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Paper {id} is not in this catalog.")))?;
    if stored.hidden_at.is_some() {
        return Err(AppError::Gone(format!("Paper {id} was hidden by the curators.")));
    }
    Ok((stored, for_reader(db, id.as_str()).await?))
}

async fn render_markdown(app: &App, id: &ArxivId) -> Result<Rendered, AppError> {
    let body = match paper_and_text(app, id).await? {
        (_, FullText::Ready(document)) => paperboy_fulltext::to_markdown(&document),
        (stored, FullText::Missing(reason)) => abstract_markdown(&stored.paper, reason.as_deref()),
    };
    Ok(Rendered { status: StatusCode::OK, content_type: MARKDOWN, body, link: None })
}

/// The paper's page as Markdown, for a paper without full text: its title, authors and
/// abstract (as arXiv has them, LaTeX and all), and why there is no more.
fn abstract_markdown(paper: &Paper, reason: Option<&str>) -> String {
    let id = &paper.id;
    let mut out = format!("# {}\n\n", paper.title.replace('\n', " "));
    if !paper.authors.is_empty() {
        out.push_str(&format!("{}\n\n", paper.authors.join(", ")));
    }
    out.push_str(&format!("## Abstract\n\n{}\n\n", paper.summary.trim()));
    let why = match reason {
        Some(reason) => format!("Paperboy has no full text of this paper ({reason})"),
        None => "Paperboy has no full text of this paper yet".to_owned(),
    };
    out.push_str(&format!("> {why}; this is its abstract. The paper: https://arxiv.org/abs/{id}\n"));
    out
}
