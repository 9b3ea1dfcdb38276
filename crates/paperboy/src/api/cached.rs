//! Answers the same for every caller (a day's papers, a paper), served from the page cache like
//! the site's pages: made once per catalog version, then a hash lookup, with `ETag`,
//! `Last-Modified`, `304 Not Modified` and gzip made once ([`crate::http::page::cached_json`]).
//! [`Cached`] is documented in the OpenAPI document as the answer it holds, plus the `304`.

use std::future::Future;
use std::marker::PhantomData;

use aide::generate::GenContext;
use aide::openapi::{Operation, Response as ApiResponse};
use aide::operation::OperationOutput;
use axum::Json;
use axum::extract::OriginalUri;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::api::paging::Paged;
use crate::error::AppError;
use crate::http::App;
use crate::http::cache::Rendered;
use crate::http::page::cached_json;

/// An answer of type `T` from the page cache.
pub struct Cached<T>(Response, PhantomData<T>);

/// What can be kept in the page cache: the answer as JSON, with its `Link` header.
pub trait Cacheable {
    fn rendered(self) -> Result<Rendered, AppError>;
}

impl<T: Serialize> Cacheable for Json<T> {
    fn rendered(self) -> Result<Rendered, AppError> {
        Ok(Rendered::json(to_json(&self.0)?, None))
    }
}

impl<T: Serialize> Cacheable for Paged<T> {
    fn rendered(self) -> Result<Rendered, AppError> {
        let link = self.next.and_then(|link| HeaderValue::from_str(&link).ok());
        Ok(Rendered::json(to_json(&self.items)?, link))
    }
}

fn to_json(value: &impl Serialize) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(|err| AppError::Internal(format!("cannot write JSON: {err}")))
}

impl<T: Cacheable> Cached<T> {
    /// The answer to the request for `uri`: the one kept at the catalog's current version, or
    /// `answer`'s, kept now.
    pub async fn answer(
        app: &App,
        OriginalUri(uri): &OriginalUri,
        headers: &HeaderMap,
        answer: impl Future<Output = Result<T, AppError>>,
    ) -> Cached<T> {
        let response = cached_json(app, uri, headers, || async { answer.await?.rendered() }).await;
        Cached(response, PhantomData)
    }
}

impl<T> IntoResponse for Cached<T> {
    fn into_response(self) -> Response {
        self.0
    }
}

impl<T> OperationOutput for Cached<T>
where
    Result<T, AppError>: OperationOutput,
{
    type Inner = <Result<T, AppError> as OperationOutput>::Inner;

    fn operation_response(ctx: &mut GenContext, operation: &mut Operation) -> Option<ApiResponse> {
        <Result<T, AppError>>::operation_response(ctx, operation)
    }

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<u16>, ApiResponse)> {
        let mut responses = <Result<T, AppError>>::inferred_responses(ctx, operation);
        let not_modified = ApiResponse {
            description:
                "Not modified: the `ETag` sent in `If-None-Match` (or the time in `If-Modified-Since`) \
                          is still current."
                    .into(),
            ..ApiResponse::default()
        };
        responses.push((Some(304), not_modified));
        responses
    }
}
