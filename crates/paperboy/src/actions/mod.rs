//! The actions layer: what a reader or member can do, with every rule checked, shared by the site's
//! forms and the JSON API. Each action takes the narrow inputs it needs (a database handle, the
//! quotas, a mailer), never the whole application, and answers with an [`crate::error::AppError`]
//! that says what went wrong.

pub mod accounts;
pub mod collections;
pub mod community;
pub mod foryou;
pub mod search;
pub mod subscriptions;
