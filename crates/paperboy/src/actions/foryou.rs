//! A member's "for you" list: the recent feed (its last [`WINDOW_DAYS`] days) ranked by what
//! they upvoted and saved ([`crate::domain::recommend`]), each paper with the liked one it is
//! close to. The site's page and the MCP server's tool both show it.

use std::collections::{HashMap, HashSet};

use chrono::Days;

use crate::db::Db;
use crate::db::feed::FeedText;
use crate::db::papers::StoredPaper;
use crate::db::users::User;
use crate::domain::feed::FeedEntry;
use crate::domain::recommend::{MIN_FOR_MODEL, Method, Ranked, Text, rank};
use crate::error::AppError;

/// The days of the feed ranked, ending with the newest.
pub const WINDOW_DAYS: u64 = 14;
/// Liked papers the ranking reads, the most recently liked first: recent interests, and a
/// bound on the work (each candidate is compared with each of them).
const LIKED: i64 = 50;
/// Feed papers ranked at most, and shown.
const CANDIDATES: u64 = 3_000;
const SHOWN: usize = 50;

/// A member's list.
pub struct ForYou {
    /// How many liked papers it was ranked by.
    pub liked: usize,
    /// Whether a model of the member's taste was trained on them.
    pub model: bool,
    /// At most [`SHOWN`] papers, best first.
    pub picks: Vec<Pick>,
}

/// A paper of the list, and why.
pub struct Pick {
    pub paper: StoredPaper,
    pub entry: Option<FeedEntry>,
    /// The liked paper it is closest to, and whether it was saved (else upvoted).
    pub because: String,
    pub saved: bool,
}

impl Pick {
    /// Why it is listed, for people.
    pub fn reason(&self) -> String {
        format!("Close to “{}”, which you {}.", self.because, if self.saved { "saved" } else { "upvoted" })
    }
}

/// What a paper is ranked by.
fn text(paper: &paperboy_arxiv::Paper) -> Text<'_> {
    Text { title: &paper.title, summary: &paper.summary }
}

/// `user`'s list, ranked now.
pub async fn for_you(db: &Db, user: &User) -> Result<ForYou, AppError> {
    let liked = db.liked_papers(user.id, LIKED).await?;
    let ids: Vec<String> = liked.iter().map(|l| l.id.clone()).collect();
    let liked_papers = db.get_papers_with_entries(&ids).await?;
    let candidates: Vec<FeedText> = match db.latest_feed_date().await? {
        Some(last) if !liked_papers.is_empty() => {
            let first = last - Days::new(WINDOW_DAYS - 1);
            let liked_ids: HashSet<&str> = ids.iter().map(String::as_str).collect();
            let texts = db.feed_texts(first, last, CANDIDATES).await?;
            texts.into_iter().filter(|paper| !liked_ids.contains(paper.id.as_str())).collect()
        }
        _ => Vec::new(),
    };
    let liked_texts: Vec<Text<'_>> = liked_papers.iter().map(|(stored, _)| text(&stored.paper)).collect();
    let candidate_texts: Vec<Text<'_>> =
        candidates.iter().map(|paper| Text { title: &paper.title, summary: &paper.summary }).collect();
    let upvotes: Vec<i64> = candidates.iter().map(|paper| paper.upvotes).collect();
    let ranked: Vec<Ranked> =
        rank(&liked_texts, &candidate_texts, &upvotes, Method::Full).into_iter().take(SHOWN).collect();
    // Only the papers shown are read whole, with their entries, authors' claims and stars.
    let shown_ids: Vec<String> = ranked.iter().map(|r| candidates[r.candidate].id.clone()).collect();
    let mut shown: HashMap<String, (StoredPaper, Option<FeedEntry>)> = db
        .get_papers_with_entries(&shown_ids)
        .await?
        .into_iter()
        .map(|(stored, entry)| (stored.paper.id.to_string(), (stored, entry)))
        .collect();
    let picks = ranked
        .iter()
        .filter_map(|r| Some((r, shown.remove(&candidates[r.candidate].id)?)))
        .map(|(r, (paper, entry))| {
            let (because, _) = &liked_papers[r.because];
            let saved = liked.iter().find(|l| l.id == because.paper.id.as_str()).is_some_and(|l| l.saved);
            Pick { paper, entry, because: because.paper.title.clone(), saved }
        })
        .collect();
    Ok(ForYou { liked: liked_papers.len(), model: liked_papers.len() >= MIN_FOR_MODEL, picks })
}
