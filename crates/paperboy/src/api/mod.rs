//! The JSON API: Hugging Face compatible paths and shapes under `/api`, and the OpenAPI document
//! that describes it, generated from the handlers.
//!
//! Shapes follow `API_SHAPES.md` (camelCase, ISO 8601 UTC times with milliseconds), so
//! `huggingface_hub` clients work unchanged. Handlers are thin: they read the parameters with
//! the extractors and check them against `contract`'s patterns (a malformed value is a 400, a
//! well-formed one that names nothing a 404, each with a JSON message), then ask the actions
//! or `db`, and shape. `GET` requests may come from any origin (CORS).
//!
//! The document at `/api/openapi.json` is made by aide from the routes below: each handler's
//! extractors give its parameters, body, security and the statuses they refuse with; its return
//! type gives its answers; its `_docs` function adds what only the handler knows (the refusals
//! of its rules). `contract` holds the patterns the document states and the handlers check.

pub mod auth;
pub mod cached;
pub mod collections;
pub mod community;
pub mod contract;
pub mod daily;
pub mod json;
pub mod paging;
pub mod papers;
pub mod subscriptions;
pub mod users;

use std::sync::OnceLock;

use aide::axum::ApiRouter;
use aide::axum::routing::{delete_with, get_with, patch_with, post_with};
use aide::generate::GenContext;
use aide::openapi::{Info, OpenApi, Operation, ReferenceOr, Response as ApiResponse, SecurityScheme};
use aide::operation::OperationOutput;
use aide::transform::TransformOperation;
use axum::Router;
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::cors::{Any, CorsLayer};

use crate::error::AppError;
use crate::http::App;
use crate::http::error::document_errors;

/// The API's routes, to be nested under `/api`, with `/openapi.json`; unknown paths there get a
/// JSON 404, and a method a path does not take a JSON 405 with the `Allow` header.
pub fn routes() -> Router<App> {
    documented()
        // Old-style ids whose slash came as it is (`/api/papers/hep-th/9901001/vote`) reach the
        // same handlers; the document's `{id}` takes the slash as `%2F`.
        .route("/papers/{id}/{number}", get(papers::show_paper))
        .route("/papers/{id}/{number}/vote", post(community::upvote).delete(community::take_vote_back))
        .route(
            "/papers/{id}/{number}/comments",
            get(community::list_comments).post(community::create_comment),
        )
        .route("/papers/{id}/{number}/links", post(community::set_links))
        .route("/papers/{id}/{number}/hide", post(community::hide_paper).delete(community::show_hidden_paper))
        .route("/papers/{id}/{number}/feature", post(community::feature_paper))
        .method_not_allowed_fallback(|method: Method| async move {
            AppError::MethodNotAllowed(format!("{method} is not one of this endpoint's methods (see Allow)"))
        })
        .fallback(|| async { AppError::NotFound("no such API endpoint".into()) })
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET, Method::HEAD])
                .max_age(std::time::Duration::from_secs(86400)),
        )
}

/// The document, as JSON, once the routes have been documented.
static DOCUMENT: OnceLock<String> = OnceLock::new();

/// The documented routes, the document's own among them.
fn documented() -> Router<App> {
    aide::generate::infer_responses(true);
    aide::generate::extract_schemas(true);
    let mut api = OpenApi::default();
    let router = ApiRouter::new()
        .api_route("/openapi.json", get_with(show_openapi, show_openapi_docs))
        .api_route("/daily_papers", get_with(daily::list_daily_papers, daily::list_daily_papers_docs))
        .api_route("/papers", get_with(papers::list_papers, papers::list_papers_docs))
        .api_route("/papers/search", get_with(papers::search_papers, papers::search_papers_docs))
        .api_route("/papers/submit", post_with(community::submit_paper, community::submit_paper_docs))
        .api_route("/papers/{id}", get_with(papers::show_paper, papers::show_paper_docs))
        .api_route(
            "/papers/{id}/vote",
            post_with(community::upvote, community::upvote_docs)
                .delete_with(community::take_vote_back, community::take_vote_back_docs),
        )
        .api_route(
            "/papers/{id}/comments",
            get_with(community::list_comments, community::list_comments_docs)
                .post_with(community::create_comment, community::create_comment_docs),
        )
        .api_route("/papers/{id}/links", post_with(community::set_links, community::set_links_docs))
        .api_route(
            "/papers/{id}/hide",
            post_with(community::hide_paper, community::hide_paper_docs)
                .delete_with(community::show_hidden_paper, community::show_hidden_paper_docs),
        )
        .api_route("/papers/{id}/feature", post_with(community::feature_paper, community::feature_paper_docs))
        .api_route(
            "/comments/{id}",
            patch_with(community::edit_comment, community::edit_comment_docs)
                .delete_with(community::delete_comment, community::delete_comment_docs),
        )
        .api_route("/comments/{id}/hide", post_with(community::hide_comment, community::hide_comment_docs))
        .api_route(
            "/collections",
            get_with(collections::list_collections, collections::list_collections_docs)
                .post_with(collections::create_collection, collections::create_collection_docs),
        )
        .api_route(
            "/collections/{owner}/{slug}",
            get_with(collections::show_collection, collections::show_collection_docs)
                .patch_with(collections::update_collection, collections::update_collection_docs)
                .delete_with(collections::delete_collection, collections::delete_collection_docs),
        )
        .api_route("/collections/{owner}/{slug}/items", post_with(collections::add_item, collections::add_item_docs))
        .api_route(
            "/collections/{owner}/{slug}/items/{item}",
            patch_with(collections::update_item, collections::update_item_docs)
                .delete_with(collections::delete_item, collections::delete_item_docs),
        )
        .api_route("/whoami-v2", get_with(community::show_whoami, community::show_whoami_docs))
        .api_route("/tokens", get_with(community::list_tokens, community::list_tokens_docs))
        .api_route("/tokens/{id}", delete_with(community::revoke_token, community::revoke_token_docs))
        .api_route("/users/{name}/overview", get_with(users::show_overview, users::show_overview_docs))
        .api_route("/users/{name}/papers", get_with(users::list_papers, users::list_papers_docs))
        .api_route("/users/{name}/submissions", get_with(users::list_submissions, users::list_submissions_docs))
        .api_route("/users/{name}/collections", get_with(users::list_collections, users::list_collections_docs))
        .api_route("/users/{name}/role", post_with(community::grant_role, community::grant_role_docs))
        .api_route("/moderation/log", get_with(community::show_audit_log, community::show_audit_log_docs))
        .api_route("/subscriptions", post_with(subscriptions::subscribe, subscriptions::subscribe_docs))
        .api_route(
            "/subscriptions/current",
            get_with(subscriptions::show, subscriptions::show_docs)
                .patch_with(subscriptions::change, subscriptions::change_docs)
                .delete_with(subscriptions::end, subscriptions::end_docs),
        )
        .finish_api_with(&mut api, |api| {
            api.info(Info {
                title: "Paperboy".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                description: Some(
                    "Research papers worth reading: the daily feed, search, papers, the community's votes and \
                     comments, members' collections, and digest subscriptions, in Hugging Face's shapes where Hugging Face has them. \
                     Writes take a personal API token (`Authorization: Bearer pb_...`, made on the site's \
                     settings page)."
                        .into(),
                ),
                ..Info::default()
            })
            .security_scheme(
                auth::BEARER,
                SecurityScheme::Http {
                    scheme: "bearer".into(),
                    bearer_format: Some("pb_...".into()),
                    description: Some("A personal API token.".into()),
                    extensions: Default::default(),
                },
            )
        });
    finish(&mut api);
    DOCUMENT.get_or_init(|| {
        // The document is plain data: serialising it cannot fail.
        let mut document = serde_json::to_value(&api).expect("the OpenAPI document is JSON");
        drop_unused_schemas(&mut document);
        document.to_string()
    });
    router
}

/// What every operation shares, beside what its handler says: the `/api` prefix the routes are
/// nested under, and the answers of the rate limit and of our own failures.
fn finish(api: &mut OpenApi) {
    let Some(paths) = api.paths.as_mut() else { return };
    paths.paths = std::mem::take(&mut paths.paths)
        .into_iter()
        .map(|(path, item)| (format!("/api{path}"), item))
        .collect();
    for item in paths.paths.values_mut().filter_map(ReferenceOr::as_item_mut) {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in operations.into_iter().flatten() {
            aide::generate::in_context(|ctx| {
                document_errors(
                    ctx,
                    operation,
                    &[
                        (
                            429,
                            "Too many requests of this kind from this member or address (`RateLimit` and `Retry-After` say when to retry).",
                        ),
                        (500, "Something went wrong on our side; the message has the request's id."),
                    ],
                )
            });
        }
    }
}

/// Drops the component schemas nothing refers to: aide registers the types of query and path
/// parameters there, though each parameter carries its own schema inline.
fn drop_unused_schemas(document: &mut serde_json::Value) {
    fn refs(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(object) => {
                if let Some(target) = object.get("$ref").and_then(|r| r.as_str()) {
                    found.extend(target.strip_prefix("#/components/schemas/").map(str::to_owned));
                }
                object.values().for_each(|v| refs(v, found));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }
    let Some(schemas) = document.pointer_mut("/components/schemas").map(serde_json::Value::take) else {
        return;
    };
    let mut pending = Vec::new();
    refs(document, &mut pending);
    let mut used = serde_json::Map::new();
    while let Some(name) = pending.pop() {
        if let Some(schema) = schemas.get(&name).filter(|_| !used.contains_key(&name)) {
            refs(schema, &mut pending);
            used.insert(name, schema.clone());
        }
    }
    if let Some(slot) = document.pointer_mut("/components/schemas") {
        *slot = serde_json::Value::Object(used);
    }
}

/// The OpenAPI document of this API.
pub struct OpenApiDocument;

impl IntoResponse for OpenApiDocument {
    fn into_response(self) -> Response {
        let mut response = DOCUMENT.get().map_or("{}", String::as_str).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}

impl OperationOutput for OpenApiDocument {
    type Inner = serde_json::Value;

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<u16>, ApiResponse)> {
        let response =
            axum::Json::<serde_json::Map<String, serde_json::Value>>::operation_response(ctx, operation);
        response
            .map(|mut response| {
                response.description = "This document (OpenAPI 3.1).".into();
                (Some(200), response)
            })
            .into_iter()
            .collect()
    }
}

/// `GET /api/openapi.json`.
async fn show_openapi() -> OpenApiDocument {
    OpenApiDocument
}

fn show_openapi_docs(op: TransformOperation) -> TransformOperation {
    op.id("getOpenApi").summary("This document")
}

/// The OpenAPI document of the API, as served at `/api/openapi.json`.
pub fn document() -> serde_json::Value {
    let _routes = documented();
    DOCUMENT.get().and_then(|document| serde_json::from_str(document).ok()).unwrap_or_default()
}
