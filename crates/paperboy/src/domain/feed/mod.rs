//! The daily feed: which papers are on which day's feed, and the periods pages and the API
//! show. Storage lives in `db::feed`; this module holds the rules and the calendar.
//!
//! A paper joins the feed once, on one day: by a feature rule when it is imported or harvested
//! ([`rules`]), by a curator (`paperboy feature`), or, with accounts, by a user who submits it.
//! Days, ISO weeks and months ([`period`]) select entries by that day; within a period they
//! are ordered by upvotes, then by when they joined.

pub mod period;
pub mod rules;

pub use period::{Period, PeriodError};
pub use rules::{FeatureRule, FeatureRules};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use paperboy_arxiv::{ArxivId, Paper};

/// How a paper joined the feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedSource {
    /// A feature rule, on import or harvest.
    Rule,
    /// A curator, with `paperboy feature` or from the site.
    Curator,
    /// A user who submitted it.
    User,
}

impl FeedSource {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedSource::Rule => "rule",
            FeedSource::Curator => "curator",
            FeedSource::User => "user",
        }
    }

    pub fn parse(text: &str) -> Option<FeedSource> {
        match text {
            "rule" => Some(FeedSource::Rule),
            "curator" => Some(FeedSource::Curator),
            "user" => Some(FeedSource::User),
            _ => None,
        }
    }
}

/// A paper's place on the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    pub paper_id: ArxivId,
    pub feed_date: NaiveDate,
    pub source: FeedSource,
    /// The submitting user's name; `None` for rules and curators ("auto").
    pub submitted_by: Option<String>,
    pub submitted_at: DateTime<Utc>,
}

/// The feed entries `rules` make of `papers`: each featured paper on the feed of its announce
/// day (papers without one wait until a source gives it). Store them after the papers with
/// `Db::add_feed_entries`, which leaves papers already on a feed where they are.
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
