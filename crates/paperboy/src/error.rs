//! The one error type of actions and handlers, the HTTP status each variant answers with, and
//! how the refusals of storage and the community's rules map onto it.
//!
//! How an error is shown is the HTTP layer's ([`crate::http::error`]): a page for a browser,
//! `{"error": "..."}` for the API, and for our own failures (`Db`, `Internal`) only that
//! something went wrong, with the cause logged once beside the request's id.

use axum::http::StatusCode;
use chrono::Utc;

use crate::db::DbError;
use crate::domain::Refusal;

/// Errors a handler can return.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed: a bad id, parameter or body. The message says what to fix.
    #[error("{0}")]
    BadRequest(String),
    /// The request needs a signed-in user or a valid API token.
    #[error("{0}")]
    Unauthorized(String),
    /// The user may not do this (their role, or a missing or forged CSRF token).
    #[error("{0}")]
    Forbidden(String),
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The address exists but does not take this method; the router adds the `Allow` header.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// It clashes with what is there: a duplicate, a taken name.
    #[error("{0}")]
    Conflict(String),
    /// A collection of that title exists already; `slug` is its slug, as Hugging Face's client
    /// reads it from the answer.
    #[error("{message}")]
    Exists { message: String, slug: String },
    /// The client's quota for this action is used up.
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: u64 },
    /// A service we depend on (arXiv) did not answer; worth trying again later.
    #[error("{0}")]
    Unavailable(String),
    /// It was here and is gone for good (a paper the curators hid).
    #[error("{0}")]
    Gone(String),
    /// The database failed; details go to the log, not to the client.
    #[error(transparent)]
    Db(DbError),
    /// Something else of ours failed: the cause goes to the log, not to the client.
    #[error("{0}")]
    Internal(String),
}

impl From<DbError> for AppError {
    /// A refusal inside a write is an answer for the client; anything else is our failure.
    fn from(err: DbError) -> Self {
        match err {
            DbError::Refused(refusal) => refusal.into(),
            other => AppError::Db(other),
        }
    }
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        let message = refusal.to_string();
        match refusal {
            Refusal::NoSuchPaper(_)
            | Refusal::NoSuchComment
            | Refusal::ParentElsewhere
            | Refusal::NoSuchClaim
            | Refusal::NoSuchCollection
            | Refusal::NoSuchItem => AppError::NotFound(message),
            Refusal::PaperHidden
            | Refusal::NotYourComment
            | Refusal::OwnClaim
            | Refusal::NotYourCollection => AppError::Forbidden(message),
            Refusal::CollectionExists { slug, .. } => AppError::Exists { message, slug },
            Refusal::CommentGone
            | Refusal::AlreadySubmitted { .. }
            | Refusal::OutsideWindow { .. }
            | Refusal::OwnRole
            | Refusal::ClaimTaken { .. }
            | Refusal::ClaimExists(_)
            | Refusal::ClaimRejectedTwice
            | Refusal::ClaimDecided(_)
            | Refusal::TooManyCollections(_)
            | Refusal::InCollection(_)
            | Refusal::CollectionFull(_) => AppError::Conflict(message),
            Refusal::DailyCap(_) => AppError::TooManyRequests { message, retry_after: seconds_to_midnight() },
            Refusal::TooMany { retry_after, .. } => AppError::TooManyRequests { message, retry_after },
            Refusal::Link(_) | Refusal::NotAnAuthor { .. } => AppError::BadRequest(message),
        }
    }
}

/// Seconds until the next UTC midnight, when daily caps start over.
fn seconds_to_midnight() -> u64 {
    let now = Utc::now();
    let midnight = (now.date_naive() + chrono::Days::new(1)).and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    midnight.map_or(3600, |midnight| (midnight - now).num_seconds().max(1) as u64)
}

impl AppError {
    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::Conflict(_) | AppError::Exists { .. } => StatusCode::CONFLICT,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Db(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Whether this is a failure of ours, whose details the client must not see.
    pub fn is_internal(&self) -> bool {
        matches!(self, AppError::Db(_) | AppError::Internal(_))
    }
}
