//! The shared state of a running server, handed to every handler.

use std::sync::Arc;

use crate::db::Db;
use crate::search::Search;

/// Everything handlers need, behind one `Arc`.
#[derive(Debug)]
pub struct App {
    pub db: Db,
    pub search: Arc<Search>,
}

/// The state type of the router.
pub type AppState = Arc<App>;
