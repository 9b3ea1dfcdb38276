//! Papers as search results show them (the paper with its counters, claims, stars and
//! annotation, and its feed entry), kept in memory for one catalog version, so that a search
//! whose papers were shown before at that version answers without the four database queries
//! that load them.
//!
//! Every write to the catalog moves its clock, and a newer version drops everything kept. The
//! caller passes the version it read (the page cache's [`crate::http::cache::CatalogVersion`],
//! at most a quarter of a second old), so a change shows in search results as soon as it shows
//! on pages. A request holding an older version than the one kept loads from the database and
//! keeps nothing, so two versions never mix.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::db::papers::StoredPaper;
use crate::db::{Db, DbError};
use crate::domain::feed::FeedEntry;

/// A paper and its place on the daily feed, as results show them.
pub type Card = (StoredPaper, Option<FeedEntry>);

/// Papers kept at most (a few kilobytes each); past it, everything goes and filling starts again.
const CAPACITY: usize = 10_000;

/// The kept papers; see the module docs.
#[derive(Debug, Default)]
pub struct Cards {
    kept: Mutex<Kept>,
}

#[derive(Debug, Default)]
struct Kept {
    version: i64,
    cards: HashMap<String, Card>,
}

impl Cards {
    /// The papers `ids` that the catalog holds, in the order of `ids`, as of catalog `version`
    /// (`None`: straight from the database, nothing kept).
    pub async fn load(&self, db: &Db, version: Option<i64>, ids: &[String]) -> Result<Vec<Card>, DbError> {
        let Some(version) = version else { return db.get_papers_with_entries(ids).await };
        let mut found: HashMap<String, Card> = HashMap::with_capacity(ids.len());
        {
            let mut kept = self.lock();
            if version > kept.version {
                *kept = Kept { version, cards: HashMap::new() };
            }
            if version == kept.version {
                found.extend(ids.iter().filter_map(|id| Some((id.clone(), kept.cards.get(id)?.clone()))));
            }
        }
        let missing: Vec<String> = ids.iter().filter(|id| !found.contains_key(*id)).cloned().collect();
        if !missing.is_empty() {
            let loaded = db.get_papers_with_entries(&missing).await?;
            let mut kept = self.lock();
            if version == kept.version {
                if kept.cards.len() + loaded.len() > CAPACITY {
                    kept.cards.clear();
                }
                kept.cards
                    .extend(loaded.iter().map(|card| (card.0.paper.id.as_str().to_owned(), card.clone())));
            }
            found.extend(loaded.into_iter().map(|card| (card.0.paper.id.as_str().to_owned(), card)));
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
