//! `GET /api/papers/{id}`: one paper in Hugging Face's flat paper shape.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use chrono::{DateTime, SecondsFormat, Utc};
use paperboy_arxiv::{ArxivId, Paper};
use serde::Serialize;

use crate::app::AppState;
use crate::db::papers::StoredPaper;
use crate::error::AppError;

/// A paper as `GET /api/papers/{id}` returns it. Fields Hugging Face has and Paperboy does not
/// yet (votes, comments, linked repos) are present with empty values, so clients find them.
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

#[derive(Debug, Serialize)]
pub struct AuthorJson {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: String,
    pub hidden: bool,
}

impl From<StoredPaper> for PaperJson {
    fn from(stored: StoredPaper) -> Self {
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
            published_at,
            updated_at,
            announce_date,
            ..
        } = stored.paper;
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
            upvotes: 0,
            num_comments: 0,
            github_repo: None,
            project_page: None,
            withdrawn_at: None,
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
    // FNV-1a: tiny, stable across builds and platforms, which is all an id needs here.
    let fnv = |seed: u64| {
        let mut hash = 0xcbf2_9ce4_8422_2325u64 ^ seed;
        for byte in paper.as_str().bytes().chain((position as u64).to_le_bytes()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        hash
    };
    format!("{:016x}{:08x}", fnv(0), fnv(1) as u32)
}

/// `GET /api/papers/{id}`: 400 for a malformed id, 404 for an unknown one.
pub async fn show_paper(
    State(app): State<AppState>,
    raw_id: Result<Path<String>, PathRejection>,
) -> Result<Json<PaperJson>, AppError> {
    let Path(raw_id) = raw_id.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let id: ArxivId =
        raw_id.parse().map_err(|e: paperboy_arxiv::IdError| AppError::BadRequest(e.to_string()))?;
    let stored =
        app.db.get_paper(&id).await?.ok_or_else(|| AppError::NotFound(format!("paper {id} not found")))?;
    Ok(Json(stored.into()))
}
