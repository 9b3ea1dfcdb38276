//! How an [`AppError`] becomes an answer, for whoever asked: a page for a person in a browser,
//! `{"error": "..."}` for the API and for scripts that ask for JSON.
//!
//! A handler (or a middleware, such as the rate limit) returns the error; its response carries
//! the status and headers (`Retry-After`, `WWW-Authenticate`) and the error itself, and
//! [`answer`], called by the outermost middleware, which knows the request, writes the body.
//! Who reads it is decided by the route family (everything under `/api/` is the API) and then
//! by `Accept` (the site's script asks for JSON). Our own failures are logged here, once, with
//! the request's id; the client learns only that something went wrong, and the id to quote.

use std::sync::Arc;

use aide::generate::GenContext;
use aide::openapi::{Operation, ReferenceOr, Response as ApiResponse, StatusCode as ApiStatus};
use aide::operation::OperationOutput;
use aide::transform::TransformOperation;

use askama::Template;
use axum::Json;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::http::page::Layout;

/// The error a response answers with, until [`answer`] writes it out.
#[derive(Debug, Clone)]
struct Failed(Arc<AppError>);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        let headers = response.headers_mut();
        if let AppError::TooManyRequests { retry_after, .. } = &self
            && let Ok(value) = HeaderValue::from_str(&retry_after.to_string())
        {
            headers.insert(header::RETRY_AFTER, value);
        }
        if matches!(self, AppError::Unauthorized(_)) {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"paperboy\""));
        }
        response.extensions_mut().insert(Failed(Arc::new(self)));
        response
    }
}

/// The body of every error answer of the API.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "Error")]
pub struct ErrorJson {
    /// What went wrong, and what to change if the request can be fixed.
    pub error: String,
    /// The slug of the collection that exists already, on a 409 that says so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
}

/// The API documents errors as `{"error": ...}`; which statuses an operation answers with is
/// listed by its extractors and its documentation ([`error_responses`]).
impl OperationOutput for AppError {
    type Inner = ErrorJson;

    fn operation_response(ctx: &mut GenContext, operation: &mut Operation) -> Option<ApiResponse> {
        Json::<ErrorJson>::operation_response(ctx, operation)
    }
}

/// Error answers with these statuses and descriptions, as `{"error": ...}`.
pub fn error_responses(
    ctx: &mut GenContext,
    operation: &mut Operation,
    statuses: &[(u16, &str)],
) -> Vec<(Option<u16>, ApiResponse)> {
    statuses
        .iter()
        .filter_map(|(status, description)| {
            let mut response = Json::<ErrorJson>::operation_response(ctx, operation)?;
            response.description = (*description).to_owned();
            Some((Some(*status), response))
        })
        .collect()
}

/// Documents the error answers `statuses` on an operation. A status it lists already (an
/// extractor's) keeps its description, with this one added.
pub fn document_errors(ctx: &mut GenContext, operation: &mut Operation, statuses: &[(u16, &str)]) {
    for (status, response) in error_responses(ctx, operation, statuses) {
        let Some(status) = status else { continue };
        let responses = operation.responses.get_or_insert_with(Default::default);
        match responses.responses.get_mut(&ApiStatus::Code(status)) {
            Some(ReferenceOr::Item(listed)) => {
                if !listed.description.contains(&response.description) {
                    listed.description = format!("{} {}", listed.description, response.description);
                }
            }
            Some(ReferenceOr::Reference { .. }) => {}
            None => {
                responses.responses.insert(ApiStatus::Code(status), ReferenceOr::Item(response));
            }
        }
    }
}

/// Adds the error answers `statuses` to an operation's documentation: an API handler's
/// `_docs` function lists its refusals with it.
pub fn errors<'t>(mut op: TransformOperation<'t>, statuses: &[(u16, &str)]) -> TransformOperation<'t> {
    aide::generate::in_context(|ctx| document_errors(ctx, op.inner_mut(), statuses));
    op
}

/// Who reads an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Person,
    Program,
}

impl Reader {
    /// The reader of `request`'s answer: a program under `/api/` or when it asks for JSON only.
    pub fn of(request: &Request) -> Reader {
        let path = request.uri().path();
        if path == "/api" || path.starts_with("/api/") {
            return Reader::Program;
        }
        let accept = request.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
        if accept.contains("application/json") && !accept.contains("text/html") {
            Reader::Program
        } else {
            Reader::Person
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    title: &'a str,
    message: &'a str,
}

/// `response` with the body of its error, if it has one, written for `reader`; a failure of
/// ours is logged with the request's id, `id`.
pub fn answer(response: Response, reader: Reader, id: &str) -> Response {
    let Some(Failed(err)) = response.extensions().get::<Failed>().cloned() else { return response };
    let message = match err.is_internal() {
        true => {
            tracing::error!(request_id = %id, error = %err, "request failed");
            match reader {
                Reader::Program => format!("internal error (request {id})"),
                Reader::Person => {
                    format!("Something went wrong on our side. Please try again in a moment (request {id}).")
                }
            }
        }
        false => err.to_string(),
    };
    let (mut parts, _) = response.into_parts();
    parts.extensions.remove::<Failed>();
    let body = match reader {
        Reader::Program => {
            let slug = match &*err {
                AppError::Exists { slug, .. } => Some(slug.clone()),
                _ => None,
            };
            Json(ErrorJson { error: message, slug }).into_response()
        }
        Reader::Person => page(parts.status, &message),
    };
    let (body_parts, body) = body.into_parts();
    if let Some(content_type) = body_parts.headers.get(header::CONTENT_TYPE) {
        parts.headers.insert(header::CONTENT_TYPE, content_type.clone());
    }
    Response::from_parts(parts, body)
}

/// An error page: a title for the status, the message as a sentence.
fn page(status: StatusCode, message: &str) -> Response {
    let title = match status {
        StatusCode::BAD_REQUEST => "That address is not quite right",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::GONE => "Gone",
        StatusCode::METHOD_NOT_ALLOWED => "Not possible here",
        StatusCode::UNAUTHORIZED => "Please sign in",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::CONFLICT => "Already done",
        StatusCode::TOO_MANY_REQUESTS => "Slow down",
        _ => "Something went wrong",
    };
    let message = sentence(message);
    let page = ErrorPage { layout: Layout::new("", String::new()), title, message: &message };
    match page.render() {
        Ok(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        Err(_) => Response::new(Body::from(message)),
    }
}

/// A message as a page shows it: starting with a capital letter and ending with a full stop.
pub fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let mut text: String =
        chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default();
    if !text.is_empty() && !text.ends_with(['.', '!', '?']) {
        text.push('.');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_become_sentences() {
        assert_eq!(
            sentence("the name ada is taken: choose another"),
            "The name ada is taken: choose another."
        );
        assert_eq!(sentence("There is no such page."), "There is no such page.");
        assert_eq!(sentence("use 1, 2, 3..."), "Use 1, 2, 3...");
        assert_eq!(sentence(""), "");
    }
}
