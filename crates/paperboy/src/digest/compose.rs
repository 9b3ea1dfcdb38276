//! Choosing each reader's papers for a period and putting the digest in the outbox.
//!
//! The period's candidates (its feed days' papers, most upvoted first) are read once per run
//! and filtered per reader: their categories (an archive such as `cs` takes all of its
//! categories), include keywords (any one must appear in the title or abstract, as a whole
//! word), exclude keywords (none may), and every paper the reader was sent before. `trending`
//! takes the first papers left; `personal` ranks them by cosine similarity to the papers the
//! reader upvoted or saved to a collection (their stored embeddings) and says which one each is
//! close to, or falls back to trending, saying so, for a reader with fewer than [`MIN_HISTORY`]
//! such papers.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::db::digests::{Liked, NewDigest, PeriodPaper, Subscription};
use crate::db::{Db, DbError};
use crate::domain::digest::{Mode, Period, Pick};
use crate::domain::secrets::Secret;
use crate::progress::Progress;

/// Upvoted or saved papers with vectors a reader needs for a personal ranking.
pub const MIN_HISTORY: usize = 3;
/// Upvoted or saved papers a personal ranking looks at, newest first.
const HISTORY: i64 = 200;
/// Subscriptions read per query.
const PAGE: i64 = 500;

/// What a compose run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ComposeReport {
    /// Subscriptions looked at.
    pub readers: u64,
    /// Digests put in the outbox.
    pub queued: u64,
    /// Readers whose period held nothing for them: nothing is sent.
    pub empty: u64,
    /// Readers who had this period's digest already.
    pub existing: u64,
}

impl ComposeReport {
    pub fn summary(&self) -> String {
        format!(
            "{} readers: {} digests queued, {} with nothing to send, {} queued before",
            self.readers, self.queued, self.empty, self.existing
        )
    }
}

/// A period's candidates, read once per run.
struct Candidates {
    papers: Vec<Candidate>,
    /// Vectors of the candidates, read on the first personal reader.
    vectors: Option<HashMap<String, Vec<f32>>>,
}

struct Candidate {
    paper: PeriodPaper,
    categories: Vec<String>,
    /// Title and abstract, lowercased, for keyword matching.
    text: String,
}

/// Composes digests, reading each period's candidates once.
pub struct Composer<'a> {
    db: &'a Db,
    /// The host part of `Message-ID`s.
    host: String,
    periods: HashMap<Period, Candidates>,
    /// The embedding model personal rankings use, read on the first personal reader.
    model: Option<Option<String>>,
}

impl<'a> Composer<'a> {
    pub fn new(db: &'a Db, base_url: &str) -> Composer<'a> {
        Composer { db, host: message_host(base_url), periods: HashMap::new(), model: None }
    }

    /// Composes the latest due digest of every subscription due at `now`, and moves each
    /// one's next due time on.
    pub async fn compose_due(
        &mut self,
        now: DateTime<Utc>,
        progress: &Progress,
    ) -> Result<ComposeReport, DbError> {
        let mut report = ComposeReport::default();
        let mut after = 0;
        loop {
            let page = self.db.due_subscriptions(now, after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            let due: Vec<(&Subscription, Period)> =
                page.iter().filter_map(|s| Some((s, s.prefs.latest_due(now)?.0))).collect();
            self.compose_page(&due, &mut report).await?;
            let next: Vec<(i64, Option<DateTime<Utc>>)> =
                page.iter().map(|s| (s.id, s.prefs.next_due_after(now).map(|(_, due)| due))).collect();
            self.db.set_next_dues(&next, now).await?;
            progress.set_records(report.readers);
        }
        Ok(report)
    }

    /// Composes `period`'s digest for every active subscription of its frequency.
    pub async fn compose_period(
        &mut self,
        period: Period,
        progress: &Progress,
    ) -> Result<ComposeReport, DbError> {
        let mut report = ComposeReport::default();
        let mut after = 0;
        loop {
            let page = self.db.active_subscriptions(period.frequency(), after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            let all: Vec<(&Subscription, Period)> = page.iter().map(|s| (s, period)).collect();
            self.compose_page(&all, &mut report).await?;
            progress.set_records(report.readers);
        }
        Ok(report)
    }

    /// Chooses the papers of a page of readers and queues their digests in one transaction.
    async fn compose_page(
        &mut self,
        page: &[(&Subscription, Period)],
        report: &mut ComposeReport,
    ) -> Result<(), DbError> {
        let (Some(first), Some(last)) = (page.first(), page.last()) else { return Ok(()) };
        let sent = self.db.sent_papers_between(first.0.id, last.0.id).await?;
        let none = HashSet::new();
        let mut digests = Vec::with_capacity(page.len());
        for (subscription, period) in page {
            report.readers += 1;
            let picks = self.pick(subscription, *period, sent.get(&subscription.id).unwrap_or(&none)).await?;
            if picks.is_empty() {
                // Its papers went out in this period's digest already, or there are none.
                match self.db.has_digest(subscription.id, *period).await? {
                    true => report.existing += 1,
                    false => report.empty += 1,
                }
                continue;
            }
            let message_id =
                format!("<{}.{}@{}>", &Secret::generate("").hash()[..20], subscription.id, self.host);
            digests.push(NewDigest {
                subscription: subscription.id,
                recipient: subscription.email.clone(),
                mode: subscription.prefs.mode,
                period: *period,
                picks,
                message_id,
            });
        }
        let queued = self.db.queue_digests(&digests).await?;
        report.queued += queued;
        report.existing += digests.len() as u64 - queued;
        Ok(())
    }

    /// The papers of `period` for this reader, in order.
    pub async fn choose(
        &mut self,
        subscription: &Subscription,
        period: Period,
    ) -> Result<Vec<Pick>, DbError> {
        let sent = self.db.sent_papers(subscription.id).await?;
        self.pick(subscription, period, &sent).await
    }

    /// The papers of `period` for this reader, leaving out those in `sent`.
    async fn pick(
        &mut self,
        subscription: &Subscription,
        period: Period,
        sent: &HashSet<String>,
    ) -> Result<Vec<Pick>, DbError> {
        if !self.periods.contains_key(&period) {
            let papers = self.db.period_papers(period.first_day(), period.last_day()).await?;
            let papers = papers.into_iter().map(Candidate::new).collect();
            self.periods.insert(period, Candidates { papers, vectors: None });
        }
        let prefs = &subscription.prefs;
        let limit = prefs.papers_per_email as usize;
        let history = match (prefs.mode, subscription.user_id) {
            (Mode::Personal, Some(user)) => self.db.liked_papers(user, HISTORY).await?,
            _ => Vec::new(),
        };
        let profile = match prefs.mode {
            Mode::Personal => self.profile(&history).await?,
            Mode::Trending => Vec::new(),
        };
        let ranks_personally = profile.len() >= MIN_HISTORY;
        if ranks_personally {
            self.load_vectors(period).await?;
        }
        let liked: HashSet<&str> = history.iter().map(|paper| paper.id.as_str()).collect();
        let Some(candidates) = self.periods.get(&period) else { return Ok(Vec::new()) };
        let wanted: Vec<&Candidate> = candidates
            .papers
            .iter()
            .filter(|c| !sent.contains(&c.paper.id) && !liked.contains(c.paper.id.as_str()))
            .filter(|c| c.matches(subscription))
            .collect();
        let trending = |reason: fn(&Candidate) -> Option<String>| {
            wanted.iter().take(limit).map(|c| Pick { id: c.paper.id.clone(), reason: reason(c) }).collect()
        };
        match (prefs.mode, ranks_personally, &candidates.vectors) {
            (Mode::Trending, _, _) => Ok(trending(|_| None)),
            (Mode::Personal, true, Some(vectors)) => {
                let mut ranked: Vec<(f32, &Candidate, &Liked)> = wanted
                    .iter()
                    .filter_map(|c| {
                        let vector = vectors.get(&c.paper.id)?;
                        let (score, because) = profile
                            .iter()
                            .map(|(because, liked)| (cosine(vector, liked), because))
                            .max_by(|a, b| a.0.total_cmp(&b.0))?;
                        Some((score, *c, because))
                    })
                    .collect();
                ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
                Ok(ranked
                    .into_iter()
                    .take(limit)
                    .map(|(_, c, because)| Pick {
                        id: c.paper.id.clone(),
                        reason: Some(format!(
                            "Close to “{}”, which you {}.",
                            because.title,
                            if because.saved { "saved" } else { "upvoted" }
                        )),
                    })
                    .collect())
            }
            (Mode::Personal, _, _) => Ok(trending(|c| {
                Some(format!(
                    "Trending with {} upvotes. Upvote or save papers you like to make this digest yours.",
                    c.paper.upvotes
                ))
            })),
        }
    }

    /// The reader's liked papers that have vectors, with their vectors.
    async fn profile(&mut self, history: &[Liked]) -> Result<Vec<(Liked, Vec<f32>)>, DbError> {
        let Some(model) = self.model().await? else { return Ok(Vec::new()) };
        let ids: Vec<String> = history.iter().map(|paper| paper.id.clone()).collect();
        let mut vectors: HashMap<String, Vec<f32>> =
            self.db.embeddings_of(&model, &ids).await?.into_iter().map(|v| (v.paper_id, v.vector)).collect();
        Ok(history.iter().filter_map(|paper| Some((paper.clone(), vectors.remove(&paper.id)?))).collect())
    }

    async fn model(&mut self) -> Result<Option<String>, DbError> {
        if self.model.is_none() {
            self.model = Some(self.db.main_embedding_model().await?);
        }
        Ok(self.model.clone().flatten())
    }

    async fn load_vectors(&mut self, period: Period) -> Result<(), DbError> {
        let model = self.model().await?.unwrap_or_default();
        if let Some(candidates) = self.periods.get_mut(&period)
            && candidates.vectors.is_none()
        {
            let ids: Vec<String> = candidates.papers.iter().map(|c| c.paper.id.clone()).collect();
            candidates.vectors = Some(
                self.db
                    .embeddings_of(&model, &ids)
                    .await?
                    .into_iter()
                    .map(|v| (v.paper_id, v.vector))
                    .collect(),
            );
        }
        Ok(())
    }
}

impl Candidate {
    fn new(paper: PeriodPaper) -> Candidate {
        let categories = serde_json::from_str(&paper.categories).unwrap_or_default();
        let text = format!("{} {}", paper.title, paper.summary).to_lowercase();
        Candidate { paper, categories, text }
    }

    fn matches(&self, subscription: &Subscription) -> bool {
        let prefs = &subscription.prefs;
        let in_category = prefs.categories.is_empty()
            || prefs.categories.iter().any(|wanted| {
                self.categories.iter().any(|category| {
                    category.eq_ignore_ascii_case(wanted)
                        || (!wanted.contains('.')
                            && category
                                .split_once('.')
                                .is_some_and(|(archive, _)| archive.eq_ignore_ascii_case(wanted)))
                })
            });
        in_category
            && (prefs.include.is_empty() || prefs.include.iter().any(|word| mentions(&self.text, word)))
            && !prefs.exclude.iter().any(|word| mentions(&self.text, word))
    }
}

/// Whether lowercased `text` holds `word` as a whole word or phrase, whatever its case.
pub fn mentions(text: &str, word: &str) -> bool {
    let word = word.to_lowercase();
    if word.is_empty() {
        return false;
    }
    text.match_indices(&word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let (mut dot, mut aa, mut bb) = (0.0_f32, 0.0_f32, 0.0_f32);
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa == 0.0 || bb == 0.0 { 0.0 } else { dot / (aa.sqrt() * bb.sqrt()) }
}

/// The host of `base_url`, for `Message-ID`s and `List-Id`.
pub fn message_host(base_url: &str) -> String {
    let rest = base_url.split_once("://").map_or(base_url, |(_, rest)| rest);
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, host)| host);
    let host = host.split(':').next().unwrap_or_default();
    if host.is_empty() || !host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') {
        "paperboy.localhost".into()
    } else {
        host.to_ascii_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_match_whole_words() {
        let text = "generative adversarial networks (gans) for organ segmentation";
        assert!(mentions(text, "GANs"));
        assert!(mentions(text, "adversarial networks"));
        assert!(!mentions(text, "gan"));
        assert!(!mentions(text, "network"));
        assert!(mentions(text, "segmentation"));
    }

    #[test]
    fn message_ids_take_the_sites_host() {
        assert_eq!(message_host("https://papers.example.org/base"), "papers.example.org");
        assert_eq!(message_host("http://127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(message_host("http://a b"), "paperboy.localhost");
    }
}
