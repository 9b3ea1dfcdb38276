//! Papers' full texts: `paperboy fulltext` and the worker's job fetch each queued paper's
//! content from arXiv, turn it into a [`Document`] and keep it.
//!
//! Papers are queued when they join the feed (the worker queues the recent feed days), when
//! someone first opens one that has none (its page, or its Markdown), or by `paperboy fulltext
//! --since/--ids`. A run takes the due ones, the longest waiting first, one request at a time
//! through arXiv's polite client (its pause between requests, its User-Agent with the
//! operator's contact, `Retry-After` honoured):
//!
//! - arXiv's HTML rendering (`/html/{id}v{n}`), converted by `paperboy_fulltext` when it is
//!   LaTeXML's; no rendering (404) leaves the paper without full text ("no HTML rendering");
//! - a withdrawn paper is not fetched; a page or file over the configured size is not read
//!   past the limit;
//! - a failure that may pass (5xx, a broken transfer, a captcha or error page in place of the
//!   paper, 403) is retried later with growing waits, and after [`MAX_ATTEMPTS`] the paper is
//!   given up on with the last reason. Every outcome is recorded per paper as it happens, so a
//!   stopped run resumes where it was.
//!
//! Documents are kept as deflated JSON ([`encode`]); the site serves them as Markdown
//! (`/papers/{id}.md`).

use std::io::{Read, Write};
use std::time::Duration;

use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use paperboy_arxiv::Paper;
use paperboy_arxiv::client::{ArxivClient, ClientError, Content, ContentKind};
use paperboy_fulltext::{ConvertError, Document};

use crate::db::fulltext::{DueFullText, FullTextOutcome};
use crate::db::{Db, DbError};
use crate::progress::Progress;

/// The largest page or PDF fetched for one paper, by default.
pub const DEFAULT_MAX_BYTES: usize = 25 << 20;
/// Attempts at one paper before it is given up on.
pub const MAX_ATTEMPTS: i64 = 4;
/// The wait before the second attempt; each later one waits four times longer.
const FIRST_RETRY: Duration = Duration::from_secs(3600);
/// Papers read from the queue at a time.
const BATCH: i64 = 20;

/// How a run behaves.
#[derive(Debug, Clone, Copy)]
pub struct FullTextOptions {
    /// The largest page or PDF read for one paper.
    pub max_bytes: usize,
    /// Papers fetched in this run at most; `None`: every due one.
    pub limit: Option<u64>,
    pub progress: bool,
}

impl Default for FullTextOptions {
    fn default() -> Self {
        FullTextOptions { max_bytes: DEFAULT_MAX_BYTES, limit: None, progress: false }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FullTextReport {
    pub ready: u64,
    pub missing: u64,
    /// Attempts that failed and will be retried, or were the last.
    pub failed: u64,
    pub fetched_bytes: u64,
}

impl FullTextReport {
    pub fn summary(&self) -> String {
        format!(
            "{} full texts ready, {} papers without one, {} failed attempts; {:.1} MB fetched",
            self.ready,
            self.missing,
            self.failed,
            self.fetched_bytes as f64 / 1e6
        )
    }
}

/// Fetches the due full texts, one paper at a time, recording each outcome as it comes.
pub async fn fetch_due(
    db: &Db,
    arxiv: &ArxivClient,
    options: FullTextOptions,
) -> Result<FullTextReport, DbError> {
    let mut report = FullTextReport::default();
    let progress = Progress::records(options.progress, "full texts");
    let mut done = 0u64;
    'run: loop {
        let due = db.full_texts_due(Utc::now(), BATCH).await?;
        if due.is_empty() {
            break;
        }
        for paper in due {
            if options.limit.is_some_and(|limit| done >= limit) {
                break 'run;
            }
            let outcome = fetch_one(db, arxiv, &paper, options.max_bytes, Utc::now()).await?;
            match &outcome {
                FullTextOutcome::Ready { fetched_bytes, .. } => {
                    report.ready += 1;
                    report.fetched_bytes += *fetched_bytes as u64;
                }
                FullTextOutcome::Missing { fetched_bytes, .. } => {
                    report.missing += 1;
                    report.fetched_bytes += *fetched_bytes as u64;
                }
                FullTextOutcome::Failed { reason, .. } => {
                    report.failed += 1;
                    tracing::warn!(paper = %paper.paper_id, %reason, "full text not fetched");
                }
            }
            db.record_full_text(&paper.paper_id, &outcome, Utc::now()).await?;
            done += 1;
            progress.set_records(done);
        }
    }
    progress.finish();
    Ok(report)
}

/// Fetches one paper's content and says what came of it.
async fn fetch_one(
    db: &Db,
    arxiv: &ArxivClient,
    due: &DueFullText,
    max_bytes: usize,
    now: DateTime<Utc>,
) -> Result<FullTextOutcome, DbError> {
    let Ok(id) = due.paper_id.parse() else {
        return Ok(FullTextOutcome::Missing { reason: "not an arXiv id".into(), fetched_bytes: 0 });
    };
    let Some(stored) = db.get_paper(&id).await? else {
        return Ok(FullTextOutcome::Missing { reason: "not in the catalog".into(), fetched_bytes: 0 });
    };
    let paper = stored.paper;
    if withdrawn(&paper) {
        return Ok(FullTextOutcome::Missing { reason: "withdrawn".into(), fetched_bytes: 0 });
    }
    let versioned = match paper.version {
        Some(version) => format!("{}v{version}", paper.id),
        None => paper.id.to_string(),
    };
    let failed = |reason: String| failure(due.attempts, reason, now);
    let outcome = match arxiv.content(ContentKind::Html, &versioned, max_bytes).await {
        Ok(Content::Body(html)) => {
            let fetched_bytes = html.len() as i64;
            match paperboy_fulltext::convert(&html, max_bytes) {
                Ok(mut document) => {
                    document.authors = paper.authors.join(", ");
                    FullTextOutcome::Ready {
                        source: "html",
                        version: paper.version.map(i64::from),
                        document: encode(&document),
                        fetched_bytes,
                    }
                }
                Err(err @ ConvertError::TooLarge { .. }) => {
                    FullTextOutcome::Missing { reason: err.to_string(), fetched_bytes }
                }
                Err(ConvertError::Empty) => FullTextOutcome::Missing {
                    reason: "arXiv's HTML rendering has no text".into(),
                    fetched_bytes,
                },
                // A captcha or error page in the paper's place, or a cut transfer: may pass.
                Err(err) => failed(format!("arXiv's HTML answer: {err}")),
            }
        }
        Ok(Content::Missing) => FullTextOutcome::Missing {
            reason: "arXiv has no HTML rendering of this paper".into(),
            fetched_bytes: 0,
        },
        Err(ClientError::TooLarge { limit, .. }) => FullTextOutcome::Missing {
            reason: format!("arXiv's HTML rendering is larger than the limit of {limit} bytes"),
            fetched_bytes: 0,
        },
        Err(err) => failed(err.to_string()),
    };
    Ok(outcome)
}

/// A failed attempt: retried after a wait that grows fourfold, or, after [`MAX_ATTEMPTS`],
/// the last one.
fn failure(attempts_before: i64, reason: String, now: DateTime<Utc>) -> FullTextOutcome {
    let attempt = attempts_before + 1;
    if attempt >= MAX_ATTEMPTS {
        return FullTextOutcome::Failed {
            reason: format!("failed after {attempt} attempts: {reason}"),
            retry_at: None,
        };
    }
    let wait = FIRST_RETRY * 4u32.saturating_pow(u32::try_from(attempts_before).unwrap_or(u32::MAX));
    let retry_at = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::days(1));
    FullTextOutcome::Failed { reason, retry_at: Some(retry_at) }
}

/// Whether arXiv's metadata says the paper was withdrawn (its comment, as arXiv writes it).
fn withdrawn(paper: &Paper) -> bool {
    paper.comment.as_deref().is_some_and(|comment| {
        let comment = comment.to_ascii_lowercase();
        comment.contains("paper has been withdrawn") || comment.starts_with("withdrawn")
    })
}

/// A document as it is kept: deflated JSON.
pub fn encode(document: &Document) -> Vec<u8> {
    let json = serde_json::to_vec(document).unwrap_or_default();
    let mut encoder = DeflateEncoder::new(Vec::with_capacity(json.len() / 4), Compression::default());
    // Writing to a vector cannot fail.
    let _ = encoder.write_all(&json);
    encoder.finish().unwrap_or_default()
}

/// A kept document, or why it cannot be read.
pub fn decode(stored: &[u8]) -> Result<Document, String> {
    let mut json = Vec::new();
    DeflateDecoder::new(stored)
        .read_to_end(&mut json)
        .map_err(|err| format!("a stored full text is damaged: {err}"))?;
    serde_json::from_slice(&json).map_err(|err| format!("a stored full text cannot be read: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_wait_longer_each_time_then_stop() {
        let now = Utc::now();
        let wait = |attempts| match failure(attempts, "x".into(), now) {
            FullTextOutcome::Failed { retry_at, .. } => retry_at.map(|at| (at - now).num_hours()),
            other => panic!("{other:?}"),
        };
        assert_eq!((wait(0), wait(1), wait(2), wait(3)), (Some(1), Some(4), Some(16), None));
    }

    #[test]
    fn withdrawn_papers_are_known_by_their_comment() {
        let mut paper = paperboy_arxiv::paper::RawPaper {
            id: Some("2601.00001".into()),
            title: Some("A paper".into()),
            summary: Some("An abstract.".into()),
            authors: vec!["Ada".into()],
            ..Default::default()
        }
        .validate()
        .expect("a paper");
        assert!(!withdrawn(&paper));
        paper.comment = Some("This paper has been withdrawn by the author due to an error".into());
        assert!(withdrawn(&paper));
    }
}
