//! Extractors that answer a request they cannot read with an [`AppError`] (a 400 that says what
//! is wrong, as a page or as JSON for whoever asked) instead of axum's plain-text rejections:
//! query parameters, path parameters, JSON bodies and forms.

use aide::generate::GenContext;
use aide::openapi::{Operation, Response};
use aide::operation::OperationInput;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Form, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::http::error::error_responses;

/// Query parameters, with a 400 when they cannot be read.
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

/// A path parameter, with a 400 when it cannot be read.
pub struct PathParam<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PathParam<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| PathParam(value))
            .map_err(|rejection| AppError::BadRequest(rejection.body_text()))
    }
}

/// A JSON object request body, with a 400 that names the problem (and where) when it cannot be
/// read. Every body the API takes is an object: an array is refused, though serde would read
/// one into a struct's fields in order.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        let Json(value) = Json::<serde_json::Value>::from_request(request, state)
            .await
            .map_err(|rejection: JsonRejection| AppError::BadRequest(rejection.body_text()))?;
        if !value.is_object() {
            return Err(AppError::BadRequest("the request body must be a JSON object".into()));
        }
        serde_path_to_error::deserialize(value).map(Body).map_err(|error| {
            AppError::BadRequest(format!("Failed to deserialize the JSON body into the target type: {error}"))
        })
    }
}

/// A form body (`application/x-www-form-urlencoded`), with a 400 when it cannot be read.
pub struct FormData<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for FormData<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        Form::<T>::from_request(request, state)
            .await
            .map(|Form(value)| FormData(value))
            .map_err(|rejection| AppError::BadRequest(rejection.body_text()))
    }
}

/// A JSON body the request may leave out (with no `Content-Type`): then `T`'s defaults.
pub struct OptionalBody<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalBody<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        if request.headers().contains_key(axum::http::header::CONTENT_TYPE) {
            Ok(OptionalBody(Body::<T>::from_request(request, state).await?.0))
        } else {
            Ok(OptionalBody(T::default()))
        }
    }
}

/// `?token=`: the signed token of a digest's links.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(transform = no_null)]
pub struct TokenQuery {
    /// The token of every digest's links.
    pub token: Option<String>,
}

/// Removes `null` from the types of a struct's optional properties: a query string has no null,
/// only absent parameters.
pub fn no_null(schema: &mut schemars::Schema) {
    use serde_json::Value;
    let Some(properties) =
        schema.as_object_mut().and_then(|o| o.get_mut("properties")).and_then(Value::as_object_mut)
    else {
        return;
    };
    for property in properties.values_mut().filter_map(Value::as_object_mut) {
        if let Some(Value::Array(types)) = property.get_mut("type") {
            types.retain(|t| t != "null");
            if types.len() == 1 {
                let only = types.remove(0);
                property.insert("type".into(), only);
            }
        }
        if let Some(Value::Array(any)) = property.remove("anyOf") {
            let mut rest: Vec<Value> =
                any.into_iter().filter(|v| v.get("type") != Some(&Value::from("null"))).collect();
            match rest.len() {
                1 => {
                    if let Value::Object(only) = rest.remove(0) {
                        property.extend(only);
                    }
                }
                _ => {
                    property.insert("anyOf".into(), rest.into());
                }
            }
        }
    }
}

/// Query parameters document themselves from `T`'s schema, and the 400 that rejects them.
impl<T: JsonSchema> OperationInput for Params<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        Query::<T>::operation_input(ctx, operation);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        error_responses(
            ctx,
            operation,
            &[(400, "A parameter is malformed or out of range; the message says which.")],
        )
    }
}

/// Path parameters document themselves from `T`'s schema (a struct with a field per
/// parameter), and the 400 that rejects them.
impl<T: JsonSchema> OperationInput for PathParam<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        Path::<T>::operation_input(ctx, operation);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        error_responses(ctx, operation, &[(400, "A path parameter is malformed; the message says which.")])
    }
}

/// A JSON body documents itself from `T`'s schema, and the 400 that rejects it.
impl<T: JsonSchema> OperationInput for Body<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        Json::<T>::operation_input(ctx, operation);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        error_responses(
            ctx,
            operation,
            &[(
                400,
                "The body is not JSON of the documented shape, or a field is out of range; the message says which.",
            )],
        )
    }
}

/// An optional JSON body documents itself as `T`, not required.
impl<T: JsonSchema> OperationInput for OptionalBody<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        Body::<T>::operation_input(ctx, operation);
        if let Some(aide::openapi::ReferenceOr::Item(body)) = operation.request_body.as_mut() {
            body.required = false;
        }
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        Body::<T>::inferred_early_responses(ctx, operation)
    }
}
