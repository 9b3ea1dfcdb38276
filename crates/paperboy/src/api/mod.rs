//! The JSON API: Hugging Face compatible paths and shapes under `/api`.
//!
//! Shapes follow `API_SHAPES.md` (camelCase, ISO 8601 UTC times with milliseconds), so
//! `huggingface_hub` clients work unchanged. Handlers are thin: check the parameters (every
//! bad one is a 400 with a JSON message), ask `db` or `search`, shape. `GET` requests may come
//! from any origin (CORS). The OpenAPI document at `/api/openapi.json` describes every
//! endpoint.

pub mod community;
pub mod daily;
pub mod papers;
pub mod subscriptions;

use axum::Router;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use serde::de::DeserializeOwned;
use tower_http::cors::{Any, CorsLayer};

use crate::app::AppState;
use crate::error::{AppError, error_response};

/// The OpenAPI 3.1 description of the API, served as is.
pub const OPENAPI: &str = include_str!("openapi.json");

/// The API's routes, to be nested under `/api`; unknown paths there get a JSON 404.
pub fn routes() -> Router<AppState> {
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
        .fallback(|| async { error_response(StatusCode::NOT_FOUND, "no such API endpoint") })
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

/// Query parameters, with a JSON 400 when they cannot be read.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(params)| Params(params))
            .map_err(|rejection| AppError::BadRequest(rejection.body_text()))
    }
}

/// `limit`: `default` when absent, else a whole number from 1 to `max`, with Hugging Face's
/// messages.
pub fn parse_limit(text: Option<&str>, default: u64, max: u64) -> Result<u64, AppError> {
    let Some(text) = text else { return Ok(default) };
    let limit: i64 = text
        .parse()
        .map_err(|_| AppError::BadRequest(format!("limit must be a whole number from 1 to {max}")))?;
    if limit < 1 {
        return Err(AppError::BadRequest("expected number to be >=1".into()));
    }
    if limit as u64 > max {
        return Err(AppError::BadRequest(format!("expected number to be <={max}")));
    }
    Ok(limit as u64)
}

/// `p`: the 0-based page, 0 when absent.
pub fn parse_page(text: Option<&str>) -> Result<u64, AppError> {
    let Some(text) = text else { return Ok(0) };
    text.parse::<u64>().ok().filter(|page| *page <= 1_000_000).ok_or_else(|| {
        AppError::BadRequest("p must be a whole number from 0 (the first page) to 1000000".into())
    })
}

/// A `Link` header value pointing at the next page: the request's own query with `key` set to
/// `value` (already URL-safe).
pub fn next_link(base_url: &str, path: &str, raw_query: Option<&str>, key: &str, value: &str) -> String {
    let mut pairs: Vec<&str> = raw_query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some(key))
        .collect();
    let last = format!("{key}={value}");
    pairs.push(&last);
    format!("<{base_url}{path}?{}>; rel=\"next\"", pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_pages_are_checked_with_hugging_faces_messages() {
        assert_eq!(parse_limit(None, 50, 100).unwrap(), 50);
        assert_eq!(parse_limit(Some("100"), 50, 100).unwrap(), 100);
        assert_eq!(parse_limit(Some("101"), 50, 100).unwrap_err().to_string(), "expected number to be <=100");
        assert_eq!(parse_limit(Some("0"), 50, 100).unwrap_err().to_string(), "expected number to be >=1");
        assert!(parse_limit(Some("ten"), 50, 100).is_err());
        assert_eq!(parse_page(Some("2")).unwrap(), 2);
        assert!(parse_page(Some("-1")).is_err());
    }

    #[test]
    fn the_next_link_replaces_the_page_and_keeps_the_rest() {
        let link = next_link("http://x", "/api/daily_papers", Some("date=2026-05-11&p=0&limit=2"), "p", "1");
        assert_eq!(link, "<http://x/api/daily_papers?date=2026-05-11&limit=2&p=1>; rel=\"next\"");
        assert_eq!(
            next_link("http://x", "/api/papers", None, "cursor", "c"),
            "<http://x/api/papers?cursor=c>; rel=\"next\""
        );
    }
}
