//! Who calls the API: the account of a personal token (`Authorization: Bearer pb_...`), required
//! ([`ApiUser`]) or optional ([`MaybeApiUser`]); each documents the security it asks for.

use aide::generate::GenContext;
use aide::openapi::{Operation, Response, SecurityRequirement};
use aide::operation::OperationInput;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use crate::db::users::User;
use crate::domain::secrets::Secret;
use crate::error::AppError;
use crate::http::App;
use crate::http::error::error_responses;

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
        let secret = Secret::from_client(token);
        match app.core.db.api_token_user(&secret).await? {
            Some(user) => {
                app.web.members.remember(&secret, user.id);
                Ok(Some(ApiUser(user)))
            }
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

/// The account of the request's bearer token, if it sends one; 401 for an unknown or revoked
/// token.
pub struct MaybeApiUser(pub Option<User>);

impl FromRequestParts<App> for MaybeApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, AppError> {
        Ok(MaybeApiUser(ApiUser::optional(&parts.headers, app).await?.map(|ApiUser(user)| user)))
    }
}

/// The name of the token scheme in the OpenAPI document.
pub const BEARER: &str = "bearer";

fn bearer() -> SecurityRequirement {
    [(BEARER.to_owned(), Vec::new())].into_iter().collect()
}

impl OperationInput for ApiUser {
    fn operation_input(_: &mut GenContext, operation: &mut Operation) {
        operation.security.push(bearer());
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        error_responses(ctx, operation, &[(401, "No API token was sent, or it is unknown or revoked.")])
    }
}

impl OperationInput for MaybeApiUser {
    fn operation_input(_: &mut GenContext, operation: &mut Operation) {
        operation.security.extend([SecurityRequirement::default(), bearer()]);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        error_responses(ctx, operation, &[(401, "The API token sent is unknown or revoked.")])
    }
}
