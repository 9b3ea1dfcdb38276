//! The JSON API: Hugging Face compatible paths and shapes under `/api`.
//!
//! Shapes follow `API_SHAPES.md` (camelCase, ISO 8601 UTC times with milliseconds), so
//! `huggingface_hub` clients work unchanged. Handlers are thin: check the parameters (every
//! bad one is a 400 with a JSON message), ask `db` or `search`, shape. `GET` requests may come
//! from any origin (CORS). The OpenAPI document at `/api/openapi.json` describes every
//! endpoint.

pub mod auth;
pub mod community;
pub mod daily;
pub mod json;
pub mod paging;
pub mod papers;
pub mod subscriptions;

use axum::Router;
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use tower_http::cors::{Any, CorsLayer};

use crate::error::AppError;
use crate::http::App;

/// The OpenAPI 3.1 description of the API, served as is.
pub const OPENAPI: &str = include_str!("openapi.json");

/// The API's routes, to be nested under `/api`; unknown paths there get a JSON 404.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/daily_papers", get(daily::list_daily_papers))
        .route("/papers", get(papers::list_papers))
        .route("/papers/search", get(papers::search_papers))
        .route("/papers/submit", post(community::submit_paper))
        .route(
            "/papers/{*id}",
            get(papers::show_paper).post(community::act_on_paper).delete(community::act_on_paper),
        )
        .route("/comments/{id}", patch(community::edit_comment).delete(community::delete_comment))
        .route("/comments/{id}/hide", post(community::hide_comment))
        .route("/whoami-v2", get(community::show_whoami))
        .route("/tokens", get(community::list_tokens))
        .route("/tokens/{id}", delete(community::revoke_token))
        .route("/users/{name}/role", post(community::grant_role))
        .route("/moderation/log", get(community::show_audit_log))
        .route("/subscriptions", post(subscriptions::subscribe))
        .route(
            "/subscriptions/current",
            get(subscriptions::show).patch(subscriptions::change).delete(subscriptions::end),
        )
        .route("/openapi.json", get(show_openapi))
        .fallback(|| async { AppError::NotFound("no such API endpoint".into()) })
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET, Method::HEAD])
                .max_age(std::time::Duration::from_secs(86400)),
        )
}

async fn show_openapi() -> Response {
    let mut response = OPENAPI.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
