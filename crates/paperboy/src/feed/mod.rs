//! The daily feed: which papers are on which day's feed, and the periods pages and the API
//! show. Storage lives in [`crate::db::feed`]; this module holds the rules and the calendar.
//!
//! A paper joins the feed once, on one day: by a feature rule when it is imported or harvested
//! ([`rules`]), by a curator (`paperboy feature`), or, with accounts, by a user who submits it.
//! Days, ISO weeks and months ([`period`]) select entries by that day; within a period they
//! are ordered by upvotes, then by when they joined.

pub mod period;
pub mod rules;

pub use period::{Period, PeriodError};
pub use rules::{FeatureRule, FeatureRules};

use chrono::NaiveTime;
use paperboy_arxiv::Paper;

#[cfg(doc)]
use crate::db::Db;
use crate::db::feed::{FeedEntry, FeedSource};

/// The feed entries `rules` make of `papers`: each featured paper on the feed of its announce
/// day (papers without one wait until a source gives it). Store them after the papers with
/// [`Db::add_feed_entries`], which leaves papers already on a feed where they are.
pub fn rule_entries(rules: &FeatureRules, papers: &[Paper]) -> Vec<FeedEntry> {
    let mut entries: Vec<FeedEntry> = papers
        .iter()
        .filter(|paper| rules.features(paper))
        .filter_map(|paper| {
            let day = paper.announce_date?;
            Some(FeedEntry {
                paper_id: paper.id.clone(),
                feed_date: day,
                source: FeedSource::Rule,
                submitted_by: None,
                // arXiv announces at 00:00 UTC (20:00 in New York, the evening before).
                submitted_at: day.and_time(NaiveTime::MIN).and_utc(),
            })
        })
        .collect();
    entries.sort_by(|a, b| a.paper_id.cmp(&b.paper_id));
    entries.dedup_by(|a, b| a.paper_id == b.paper_id);
    entries
}
