//! The one error type of the HTTP layer, and how each variant becomes a response.
//!
//! Every error is JSON `{"error": "..."}` with the status that fits, as Hugging Face's API
//! answers. Internal failures are logged once, here, with their cause; the client only learns
//! that something went wrong on our side.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::db::DbError;

/// Errors a handler can return.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed: a bad id, parameter or body. The message says what to fix.
    #[error("{0}")]
    BadRequest(String),
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The database failed; details go to the log, not to the client.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Something else of ours failed and was logged; the message says only that.
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Db(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            AppError::Db(err) => {
                tracing::error!(error = %err, "request failed");
                "internal error".to_owned()
            }
            other => other.to_string(),
        };
        error_response(status, message)
    }
}

/// A JSON error body with `status`.
pub fn error_response(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}
