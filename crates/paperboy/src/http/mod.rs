//! What the site and the API share over HTTP: the router's state ([`App`]: the core and the
//! web's own state), how errors are answered ([`error`]), the page cache ([`cache`]), the rate
//! limit ([`limit`]), metrics, the access log and request ids ([`metrics`], [`observe`]), the account corner of cached pages ([`corner`]), who is asking ([`session`], and the members the rate limit recognises, [`members`]),
//! extractors that reject with an [`crate::error::AppError`] ([`extract`]), the page layout
//! ([`page`]) and the security headers ([`security`]). It sits below [`crate::web`] and
//! [`crate::api`], which never import each other.

pub mod cache;
pub mod corner;
pub mod error;
pub mod extract;
pub mod limit;
pub mod members;
pub mod metrics;
pub mod observe;
pub mod page;
pub mod security;
pub mod session;
pub mod state;

pub use state::App;
