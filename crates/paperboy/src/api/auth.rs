//! Who calls the API: the account of a personal token (`Authorization: Bearer pb_...`).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use crate::db::users::User;
use crate::domain::secrets::Secret;
use crate::error::AppError;
use crate::http::App;

/// The account a request's bearer token belongs to; 401 without a valid one.
pub struct ApiUser(pub User);

impl ApiUser {
    /// The token's account; `None` without an `Authorization: Bearer` header, 401 with an
    /// unknown or revoked token.
    pub async fn optional(headers: &HeaderMap, app: &App) -> Result<Option<ApiUser>, AppError> {
        let header = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let Some(token) = header.and_then(|h| h.strip_prefix("Bearer ")).map(str::trim) else {
            return Ok(None);
        };
        match app.core.db.api_token_user(&Secret::from_client(token)).await? {
            Some(user) => Ok(Some(ApiUser(user))),
            None => Err(AppError::Unauthorized("the API token is unknown or was revoked".into())),
        }
    }
}

impl FromRequestParts<App> for ApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, AppError> {
        match ApiUser::optional(&parts.headers, app).await? {
            Some(user) => Ok(user),
            None => Err(AppError::Unauthorized(format!(
                "this endpoint needs an API token: send Authorization: Bearer TOKEN (create one at {}/settings)",
                app.core.config.base_url
            ))),
        }
    }
}
