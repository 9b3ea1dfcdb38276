//! Paging: `limit` and `p` checked with Hugging Face's messages, and a page of items answered
//! with the `Link: rel="next"` address of the next one ([`Paged`]).

use aide::generate::GenContext;
use aide::openapi::{Header, Operation, ParameterSchemaOrContent, ReferenceOr, Response, SchemaObject};
use aide::operation::OperationOutput;
use axum::Json;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use schemars::JsonSchema;
use serde::Serialize;

use crate::error::AppError;

/// `text` as a whole number, if it is one: ASCII digits only, as the document's integers are
/// written in a query string.
fn whole_number(text: &str) -> Option<u64> {
    text.bytes().all(|b| b.is_ascii_digit()).then(|| text.parse().ok()).flatten()
}

/// `limit`: `default` when absent, else a whole number from 1 to `max`, with Hugging Face's
/// messages.
pub fn parse_limit(text: Option<&str>, default: u64, max: u64) -> Result<u64, AppError> {
    let Some(text) = text else { return Ok(default) };
    let whole = || AppError::BadRequest(format!("limit must be a whole number from 1 to {max}"));
    match whole_number(text) {
        None if text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty() => {
            Err(AppError::BadRequest(format!("expected number to be <={max}")))
        }
        None => Err(whole()),
        Some(0) => Err(AppError::BadRequest("expected number to be >=1".into())),
        Some(limit) if limit > max => Err(AppError::BadRequest(format!("expected number to be <={max}"))),
        Some(limit) => Ok(limit),
    }
}

/// The most pages `p` may name.
pub const MAX_PAGE: u64 = 1_000_000;

/// `p`: the 0-based page, 0 when absent.
pub fn parse_page(text: Option<&str>) -> Result<u64, AppError> {
    let Some(text) = text else { return Ok(0) };
    whole_number(text).filter(|page| *page <= MAX_PAGE).ok_or_else(|| {
        AppError::BadRequest(format!("p must be a whole number from 0 (the first page) to {MAX_PAGE}"))
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

/// A page of items, with the `Link` to the next page when there is one.
pub struct Paged<T> {
    pub items: Vec<T>,
    /// The whole `Link` header value ([`next_link`]).
    pub next: Option<String>,
}

impl<T: Serialize> IntoResponse for Paged<T> {
    fn into_response(self) -> axum::response::Response {
        let mut response = Json(self.items).into_response();
        if let Some(value) = self.next.and_then(|link| HeaderValue::from_str(&link).ok()) {
            response.headers_mut().insert(header::LINK, value);
        }
        response
    }
}

impl<T: JsonSchema> OperationOutput for Paged<T> {
    type Inner = Vec<T>;

    fn operation_response(ctx: &mut GenContext, operation: &mut Operation) -> Option<Response> {
        let mut response = Json::<Vec<T>>::operation_response(ctx, operation)?;
        response.description = "A page of items, with the address of the next page in `Link`.".into();
        let link = Header {
            description: Some(
                "`<address>; rel=\"next\"`: the next page, while there is one (RFC 8288).".into(),
            ),
            style: Default::default(),
            required: false,
            deprecated: None,
            format: ParameterSchemaOrContent::Schema(SchemaObject {
                json_schema: schemars::json_schema!({ "type": "string" }),
                example: None,
                external_docs: None,
            }),
            example: None,
            examples: Default::default(),
            extensions: Default::default(),
        };
        response.headers.insert("Link".into(), ReferenceOr::Item(link));
        Some(response)
    }

    fn inferred_responses(ctx: &mut GenContext, operation: &mut Operation) -> Vec<(Option<u16>, Response)> {
        Self::operation_response(ctx, operation).map(|response| (Some(200), response)).into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_pages_are_checked_with_hugging_faces_messages() {
        assert_eq!(parse_limit(None, 50, 100).unwrap(), 50);
        assert_eq!(parse_limit(Some("100"), 50, 100).unwrap(), 100);
        assert_eq!(parse_limit(Some("101"), 50, 100).unwrap_err().to_string(), "expected number to be <=100");
        assert_eq!(
            parse_limit(Some("99999999999999999999999"), 50, 100).unwrap_err().to_string(),
            "expected number to be <=100"
        );
        assert_eq!(parse_limit(Some("0"), 50, 100).unwrap_err().to_string(), "expected number to be >=1");
        for bad in ["ten", "+5", "-1", "5.0", ""] {
            assert!(parse_limit(Some(bad), 50, 100).is_err(), "{bad}");
        }
        assert_eq!(parse_page(Some("2")).unwrap(), 2);
        assert!(parse_page(Some("-1")).is_err() && parse_page(Some("1000001")).is_err());
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
