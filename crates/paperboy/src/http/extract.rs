//! Extractors that answer a request they cannot read with an [`AppError`] (a 400 that says what
//! is wrong, as a page or as JSON for whoever asked) instead of axum's plain-text rejections:
//! query parameters, path parameters, JSON bodies and forms.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Form, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::AppError;

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

/// A JSON request body, with a 400 that names the problem when it cannot be read.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        Json::<T>::from_request(request, state)
            .await
            .map(|Json(value)| Body(value))
            .map_err(|rejection: JsonRejection| AppError::BadRequest(rejection.body_text()))
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

/// `?token=`: the signed token of a digest's links.
#[derive(Debug, Default, Deserialize)]
pub struct TokenQuery {
    pub token: Option<String>,
}
