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
//!   LaTeXML's;
//! - then the PDF (`/pdf/{id}v{n}`): its first page becomes the paper's thumbnail, and, when
//!   there was no HTML rendering, its text becomes the full text. PDFs are read by `paperboy
//!   pdf-worker`, a process of its own with a memory and CPU limit and a deadline
//!   ([`PdfReader`]): a decompression bomb kills that process, not the worker;
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
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::time::Duration;

use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use paperboy_arxiv::Paper;
use paperboy_arxiv::client::{ArxivClient, ClientError, Content, ContentKind};
use paperboy_fulltext::pdf::MAX_PDF_BYTES;
use paperboy_fulltext::{ConvertError, Document};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::db::fulltext::{DueFullText, FullTextOutcome, StoredFullText, StoredThumbnail};
use crate::db::{Db, DbError};
use crate::error::AppError;
use crate::progress::Progress;

/// The largest page or PDF fetched for one paper, by default.
pub const DEFAULT_MAX_BYTES: usize = 25 << 20;
/// Attempts at one paper before it is given up on.
pub const MAX_ATTEMPTS: i64 = 4;
/// The wait before the second attempt; each later one waits four times longer.
const FIRST_RETRY: Duration = Duration::from_secs(3600);
/// Papers read from the queue at a time.
const BATCH: i64 = 20;

/// The width of thumbnails, in pixels (cards show them at half of it, for sharp screens).
pub const THUMBNAIL_WIDTH: u32 = 320;

/// How a run behaves.
#[derive(Debug, Clone)]
pub struct FullTextOptions {
    /// The largest page or PDF read for one paper.
    pub max_bytes: usize,
    /// Papers fetched in this run at most; `None`: every due one.
    pub limit: Option<u64>,
    pub progress: bool,
    pub pdf: PdfReader,
}

impl Default for FullTextOptions {
    fn default() -> Self {
        FullTextOptions {
            max_bytes: DEFAULT_MAX_BYTES,
            limit: None,
            progress: false,
            pdf: PdfReader::default(),
        }
    }
}

/// How PDFs are read: `program pdf-worker TASK`, the PDF on its standard input, under a memory
/// limit, killed at a deadline.
#[derive(Debug, Clone)]
pub struct PdfReader {
    /// The `paperboy` executable: this one, unless told otherwise (tests name the built binary).
    pub program: PathBuf,
    /// Address space the reading process may use, in bytes.
    pub memory: u64,
    /// How long one PDF may take, wall clock (the CPU limit is one second more).
    pub deadline: Duration,
}

impl Default for PdfReader {
    fn default() -> Self {
        PdfReader {
            program: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("paperboy")),
            memory: 1 << 30,
            deadline: Duration::from_secs(30),
        }
    }
}

/// What `paperboy pdf-worker` does with a PDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PdfTask {
    /// The first page as a PNG [`THUMBNAIL_WIDTH`] wide.
    Thumbnail,
    /// The text, as a document in JSON.
    Text,
}

impl PdfTask {
    pub fn name(self) -> &'static str {
        match self {
            PdfTask::Thumbnail => "thumbnail",
            PdfTask::Text => "text",
        }
    }
}

impl PdfReader {
    /// Runs `task` over `pdf` in a process of its own; its output, or why there is none.
    pub async fn read(&self, task: PdfTask, pdf: &[u8]) -> Result<Vec<u8>, String> {
        let mut child = tokio::process::Command::new(&self.program)
            .args(["pdf-worker", task.name(), "--memory", &self.memory.to_string()])
            .args(["--cpu-seconds", &(self.deadline.as_secs() + 1).to_string()])
            // mimalloc reserves a 1 GiB arena up front, which a 1 GiB address-space limit
            // cannot hold; without it mimalloc maps memory as it needs it.
            .env("MIMALLOC_ARENA_RESERVE", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|err| format!("cannot start {}: {err}", self.program.display()))?;
        let (Some(mut stdin), Some(mut stdout), Some(mut stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err("the PDF reader has no pipes".into());
        };
        let input = pdf.to_vec();
        let exchange = async move {
            let write = async move {
                // A reader that stops early closes its input: not an error of ours.
                let _ = stdin.write_all(&input).await;
                drop(stdin);
            };
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let read_out = stdout.read_to_end(&mut out);
            let read_err = stderr.read_to_end(&mut err);
            let (_, read_out, read_err) = tokio::join!(write, read_out, read_err);
            let status = child.wait().await;
            (status, read_out.map(|_| out), read_err.map(|_| err))
        };
        match tokio::time::timeout(self.deadline, exchange).await {
            Err(_) => Err(format!("reading the PDF took longer than {} s", self.deadline.as_secs())),
            Ok((Ok(status), Ok(out), _)) if status.success() => Ok(out),
            Ok((status, _, err)) => {
                let said: String = match err {
                    Ok(bytes) => {
                        String::from_utf8_lossy(&bytes).lines().next().unwrap_or_default().to_owned()
                    }
                    Err(_) => String::new(),
                };
                match status {
                    Ok(status) if status.code() == Some(PDF_REFUSED) => Err(said),
                    Ok(status) => Err(format!(
                        "the PDF reader stopped ({status}){}",
                        if said.is_empty() { String::new() } else { format!(": {said}") }
                    )),
                    Err(err) => Err(format!("the PDF reader failed: {err}")),
                }
            }
        }
    }
}

/// The exit code of `paperboy pdf-worker` for a PDF it refused (its reason on stderr).
const PDF_REFUSED: i32 = 3;

/// `paperboy pdf-worker TASK`: limits its own memory and CPU time, reads a PDF from standard
/// input and writes the task's output to standard output. A PDF it cannot read exits with
/// [`PDF_REFUSED`] and the reason on standard error.
pub fn pdf_worker(task: PdfTask, memory: u64, cpu_seconds: u64) -> ExitCode {
    let limited = rlimit::setrlimit(rlimit::Resource::AS, memory, memory)
        .and_then(|()| rlimit::setrlimit(rlimit::Resource::CPU, cpu_seconds, cpu_seconds));
    if let Err(err) = limited {
        eprintln!("cannot limit the PDF reader: {err}");
        return ExitCode::FAILURE;
    }
    let mut pdf = Vec::new();
    if let Err(err) = std::io::stdin().take(MAX_PDF_BYTES as u64 + 1).read_to_end(&mut pdf) {
        eprintln!("cannot read the PDF: {err}");
        return ExitCode::FAILURE;
    }
    let output = match task {
        PdfTask::Thumbnail => paperboy_fulltext::pdf::thumbnail(&pdf, THUMBNAIL_WIDTH).map(|made| made.png),
        PdfTask::Text => {
            paperboy_fulltext::pdf::document(&pdf).map(|doc| serde_json::to_vec(&doc).unwrap_or_default())
        }
    };
    match output {
        Ok(bytes) => match std::io::stdout().write_all(&bytes) {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::FAILURE,
        },
        Err(err) => {
            eprintln!("{err}");
            ExitCode::from(PDF_REFUSED as u8)
        }
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
            let outcome = fetch_one(db, arxiv, &paper, &options, Utc::now()).await?;
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

/// Fetches one paper's content and says what came of it; its thumbnail, when its PDF gave
/// one, is kept on the way.
async fn fetch_one(
    db: &Db,
    arxiv: &ArxivClient,
    due: &DueFullText,
    options: &FullTextOptions,
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
    let max_bytes = options.max_bytes;
    let ready = |document: &mut Document, source, fetched_bytes| {
        document.authors = paper.authors.join(", ");
        if document.title.is_empty() {
            document.title = vec![paperboy_fulltext::Inline::text(paper.title.replace('\n', " "))];
        }
        FullTextOutcome::Ready {
            source,
            version: paper.version.map(i64::from),
            document: encode(document),
            fetched_bytes,
        }
    };
    // The HTML rendering: a document, or why there is none (`Err`: try the PDF's text).
    let (html, html_bytes) = match arxiv.content(ContentKind::Html, &versioned, max_bytes).await {
        Ok(Content::Body(html)) => {
            let fetched = html.len() as i64;
            match paperboy_fulltext::convert(&html, max_bytes) {
                Ok(mut document) => (Ok(ready(&mut document, "html", fetched)), fetched),
                Err(ConvertError::Empty) => (Err("arXiv's HTML rendering has no text".to_owned()), fetched),
                Err(err @ ConvertError::TooLarge { .. }) => (Err(err.to_string()), fetched),
                // A captcha or error page in the paper's place, or a cut transfer: may pass.
                Err(err) => return Ok(failed(format!("arXiv's HTML answer: {err}"))),
            }
        }
        Ok(Content::Missing) => (Err("arXiv has no HTML rendering of this paper".to_owned()), 0),
        Err(ClientError::TooLarge { limit, .. }) => {
            (Err(format!("arXiv's HTML rendering is larger than the limit of {limit} bytes")), 0)
        }
        Err(err) => return Ok(failed(err.to_string())),
    };
    // The PDF: the thumbnail always, the text when the HTML gave none.
    let pdf = match arxiv.content(ContentKind::Pdf, &versioned, max_bytes).await {
        Ok(Content::Body(pdf)) => Ok(pdf),
        Ok(Content::Missing) => Err("arXiv has no PDF of this paper".to_owned()),
        Err(ClientError::TooLarge { limit, .. }) => {
            Err(format!("the PDF is larger than the limit of {limit} bytes"))
        }
        Err(err) if html.is_err() => return Ok(failed(err.to_string())),
        Err(err) => Err(err.to_string()),
    };
    let fetched_bytes = html_bytes + pdf.as_ref().map_or(0, |pdf| pdf.len() as i64);
    let pdf = match pdf {
        Ok(pdf) => pdf,
        Err(reason) => {
            db.record_thumbnail(&due.paper_id, Err(&reason), now).await?;
            return Ok(match html {
                Ok(outcome) => outcome,
                Err(no_html) => {
                    FullTextOutcome::Missing { reason: format!("{no_html}; {reason}"), fetched_bytes }
                }
            });
        }
    };
    let thumbnail = options.pdf.read(PdfTask::Thumbnail, &pdf).await.and_then(|png| {
        let (width, height) = png_size(&png).ok_or("the thumbnail is not a PNG")?;
        Ok(StoredThumbnail { image: png, width: i64::from(width), height: i64::from(height) })
    });
    db.record_thumbnail(&due.paper_id, thumbnail.as_ref().map_err(String::as_str), now).await?;
    let outcome = match html {
        Ok(FullTextOutcome::Ready { source, version, document, .. }) => {
            FullTextOutcome::Ready { source, version, document, fetched_bytes }
        }
        Ok(other) => other,
        Err(no_html) => match options.pdf.read(PdfTask::Text, &pdf).await {
            Ok(json) => match serde_json::from_slice::<Document>(&json) {
                Ok(mut document) => ready(&mut document, "pdf", fetched_bytes),
                Err(err) => FullTextOutcome::Missing {
                    reason: format!("{no_html}; the PDF's text: {err}"),
                    fetched_bytes,
                },
            },
            Err(reason) => {
                FullTextOutcome::Missing { reason: format!("{no_html}; the PDF: {reason}"), fetched_bytes }
            }
        },
    };
    Ok(outcome)
}

/// A PNG's width and height, from its header.
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    let header = png.strip_prefix(b"\x89PNG\r\n\x1a\n")?;
    let number = |at: usize| Some(u32::from_be_bytes(header.get(at..at + 4)?.try_into().ok()?));
    Some((number(8)?, number(12)?))
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

/// A paper's full text as readers find it.
pub enum FullText {
    Ready(Document),
    /// None kept: why, when Paperboy knows (`None`: it was never asked for, and is queued now).
    Missing(Option<String>),
}

/// The full text of the paper `id` for a reader (the site, an agent): its document when one is
/// kept, else why not; a paper whose full text was never asked for is queued for the job.
pub async fn for_reader(db: &Db, id: &str) -> Result<FullText, AppError> {
    Ok(match db.full_text(id).await? {
        Some(StoredFullText { document: Some(document), .. }) => {
            FullText::Ready(decode(&document).map_err(AppError::Internal)?)
        }
        Some(text) => FullText::Missing(Some(text.reason.unwrap_or_else(|| "not fetched yet".into()))),
        None => {
            db.queue_full_texts(&[id.to_owned()], false, Utc::now()).await?;
            FullText::Missing(None)
        }
    })
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
    fn a_png_says_its_size_in_its_header() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&320u32.to_be_bytes());
        png.extend_from_slice(&414u32.to_be_bytes());
        assert_eq!(png_size(&png), Some((320, 414)));
        assert_eq!(png_size(b"GIF89a"), None);
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
