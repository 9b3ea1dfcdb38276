//! The shared state of a running server, handed to every handler.

use std::sync::Arc;

use crate::db::Db;

/// Everything handlers need, behind one `Arc`.
#[derive(Debug)]
pub struct App {
    pub db: Db,
}

/// The state type of the router.
pub type AppState = Arc<App>;
