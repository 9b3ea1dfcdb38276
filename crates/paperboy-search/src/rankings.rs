//! Rankings of recent queries, kept for the searcher that ranked them (what Solr calls its query
//! result cache): a query asked again before the index changes is answered from memory instead
//! of scoring its matches again. Popular queries repeat, and scoring is most of a keyword
//! search's time. A commit makes a new searcher; the first use of a newer one drops everything
//! kept, and a search still holding an older one neither reads nor keeps anything.
//!
//! Not here: which papers a ranking shows (the service loads them per catalog version).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::index::Ranking;
use crate::query::ParsedQuery;

/// Rankings kept at most (about a kilobyte each); past it, everything goes.
const CAPACITY: usize = 4_096;

/// What a ranking depends on besides the index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct RankingKey {
    pub query: ParsedQuery,
    pub offset: usize,
    pub limit: usize,
    pub count: bool,
}

/// See the module docs.
#[derive(Debug, Default)]
pub(crate) struct Rankings {
    kept: Mutex<Kept>,
}

#[derive(Debug, Default)]
struct Kept {
    /// The searcher generation the rankings were made by.
    generation: u64,
    rankings: HashMap<RankingKey, Ranking>,
}

impl Rankings {
    /// The ranking kept for `key` by searcher `generation`, if any.
    pub(crate) fn get(&self, generation: u64, key: &RankingKey) -> Option<Ranking> {
        let mut kept = self.lock();
        kept.advance(generation);
        (kept.generation == generation).then(|| kept.rankings.get(key).cloned()).flatten()
    }

    /// Keeps `ranking`, made by searcher `generation`, for `key`.
    pub(crate) fn keep(&self, generation: u64, key: RankingKey, ranking: &Ranking) {
        let mut kept = self.lock();
        kept.advance(generation);
        if kept.generation == generation {
            if kept.rankings.len() >= CAPACITY {
                kept.rankings.clear();
            }
            kept.rankings.insert(key, ranking.clone());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Kept {
    fn advance(&mut self, generation: u64) {
        if generation > self.generation {
            *self = Kept { generation, rankings: HashMap::new() };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::Ranked;

    fn key(word: &str) -> RankingKey {
        RankingKey { query: crate::parse(word), offset: 0, limit: 10, count: true }
    }

    fn ranking(id: &str) -> Ranking {
        Ranking { hits: vec![Ranked { id: id.into(), score: 1.0 }], total: 1, corrected: Vec::new() }
    }

    #[test]
    fn a_ranking_is_kept_for_its_searcher_only() {
        let rankings = Rankings::default();
        rankings.keep(3, key("graph"), &ranking("a"));
        assert_eq!(rankings.get(3, &key("graph")).map(|r| r.hits[0].id.clone()), Some("a".into()));
        assert!(rankings.get(3, &key("graphs")).is_none());
        assert!(rankings.get(2, &key("graph")).is_none(), "an older searcher reads nothing");
        rankings.keep(2, key("graph"), &ranking("old"));
        assert!(rankings.get(4, &key("graph")).is_none(), "a newer searcher drops everything");
        assert!(rankings.get(3, &key("graph")).is_none());
    }
}
