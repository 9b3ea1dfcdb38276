//! The JSON API: Hugging Face compatible paths and shapes under `/api`.
//!
//! Shapes follow `API_SHAPES.md` (camelCase, ISO 8601 UTC times with milliseconds), so
//! `huggingface_hub` clients work unchanged. Handlers are thin: parse, ask `db`, shape.

pub mod papers;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;

use crate::app::AppState;
use crate::error::error_response;

/// The API's routes, to be nested under `/api`; unknown paths there get a JSON 404.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/papers/{*id}", get(papers::show_paper))
        .fallback(|| async { error_response(StatusCode::NOT_FOUND, "no such API endpoint") })
}
