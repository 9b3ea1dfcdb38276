//! `paperboy import`: files of paper records into the catalog, streaming, in batches.
//!
//! A reader thread parses the files (gzip, JSON, validation: the CPU-heavy part) and hands
//! batches of papers over a small bounded channel to the task that writes them, so parsing and
//! writing overlap on two cores and memory stays flat however large the file. Rejected records
//! are reported as `FILE:LINE: reason` the moment they are found. With no database the same
//! pipeline only checks the files (`--dry-run`, and the first pass of `--strict`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use paperboy_arxiv::reader::BytesRead;
use paperboy_arxiv::{Format, Item, Paper, RecordReader};
use tokio::sync::mpsc;

use crate::db::Db;
use crate::db::papers::UpsertCounts;
use crate::domain::feed::{FeatureRules, rule_entries};
use crate::progress::Progress;

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub batch_size: usize,
    /// Show a progress bar (only drawn when standard error is a terminal).
    pub progress: bool,
    /// Print each rejected record to standard error.
    pub report_rejections: bool,
    /// Which papers join the daily feed of their announce day.
    pub features: FeatureRules,
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub counts: UpsertCounts,
    /// Records read and valid (stored, or only checked in a dry run).
    pub valid: u64,
    pub rejected: u64,
    /// Papers that joined the daily feed by a feature rule.
    pub featured: u64,
    /// Damage that stopped the reading of a file early, as `FILE:LINE: message`.
    pub file_errors: Vec<String>,
    /// Sources that held no records at all.
    pub empty_sources: Vec<String>,
    pub elapsed: Duration,
}

impl ImportReport {
    /// The one-paragraph summary printed at the end of an import.
    pub fn summary(&self, dry_run: bool) -> String {
        let seconds = self.elapsed.as_secs_f64();
        let read = self.valid + self.rejected;
        let rate = if seconds > 0.0 { read as f64 / seconds } else { 0.0 };
        let outcome = if dry_run {
            format!("{} valid, {} rejected (dry run: nothing written)", self.valid, self.rejected)
        } else {
            format!(
                "{} inserted, {} updated, {} unchanged, {} rejected",
                self.counts.inserted, self.counts.updated, self.counts.unchanged, self.rejected
            )
        };
        let mut text = format!("{read} records in {seconds:.1} s ({rate:.0} records/s): {outcome}.");
        if !dry_run {
            text.push_str(&format!(" {} joined the daily feed.", self.featured));
        }
        for name in &self.empty_sources {
            text.push_str(&format!("\n{name}: empty, no records."));
        }
        for error in &self.file_errors {
            text.push_str(&format!("\n{error}"));
        }
        text
    }
}

enum Event {
    Batch(Vec<Paper>),
    Rejected { source: String, line: u64, reason: String },
    FileError(String),
    Empty(String),
}

/// One input: a file, or bytes built into the binary.
pub struct Source {
    /// What messages call it: the file's path as given.
    pub name: String,
    pub reader: RecordReader,
    pub bytes_read: BytesRead,
    /// Its size in bytes as stored (compressed or not), for the progress bar.
    pub len: u64,
}

impl Source {
    /// Wraps bytes already in memory, such as the bundled demo data.
    pub fn from_bytes(name: &str, bytes: &'static [u8], format: Option<Format>) -> anyhow::Result<Source> {
        let (reader, bytes_read) = RecordReader::from_reader(std::io::Cursor::new(bytes), format)
            .with_context(|| format!("cannot read {name}"))?;
        Ok(Source { name: name.to_owned(), reader, bytes_read, len: bytes.len() as u64 })
    }
}

/// Opens every file before anything is read, so that a missing file fails the whole command
/// before any record is written.
pub fn open_files(paths: &[PathBuf], format: Option<Format>) -> anyhow::Result<Vec<Source>> {
    let mut sources = Vec::with_capacity(paths.len());
    for path in paths {
        let name = path.display().to_string();
        let metadata = std::fs::metadata(path).with_context(|| format!("cannot open {name}"))?;
        if metadata.is_dir() {
            bail!("{name} is a directory, not a file of records");
        }
        let (reader, bytes_read) =
            RecordReader::open(path, format).with_context(|| format!("cannot read {name}"))?;
        sources.push(Source { name, reader, bytes_read, len: metadata.len() });
    }
    Ok(sources)
}

/// Imports the records of `sources` into `db`, or only checks them when `db` is `None`.
pub async fn import_sources(
    db: Option<&Db>,
    sources: Vec<Source>,
    options: &ImportOptions,
) -> anyhow::Result<ImportReport> {
    let started = Instant::now();
    let total_bytes = sources.iter().map(|s| s.len).sum();
    let progress = Progress::bytes(options.progress, total_bytes, "importing");
    let counters: Vec<BytesRead> = sources.iter().map(|s| s.bytes_read.clone()).collect();
    let batch_size = options.batch_size.max(1);
    let (sender, mut receiver) = mpsc::channel::<Event>(4);
    let reading = std::thread::Builder::new()
        .name("import-reader".into())
        .spawn(move || read_sources(sources, batch_size, &sender))
        .context("cannot start the reader thread")?;

    let mut report = ImportReport::default();
    while let Some(event) = receiver.recv().await {
        match event {
            Event::Batch(papers) => {
                report.valid += papers.len() as u64;
                if let Some(db) = db {
                    let entries = rule_entries(&options.features, &papers);
                    report.counts += db.upsert_papers(papers).await.context("storing a batch of papers")?;
                    report.featured +=
                        db.add_feed_entries(&entries).await.context("putting papers on the daily feed")?;
                }
            }
            Event::Rejected { source, line, reason } => {
                report.rejected += 1;
                if options.report_rejections {
                    progress.println(format!("{source}:{line}: skipped: {reason}"));
                }
            }
            Event::FileError(message) => {
                progress.println(format!("error: {message}"));
                report.file_errors.push(message);
            }
            Event::Empty(name) => report.empty_sources.push(name),
        }
        progress.set_position(counters.iter().map(|c| c.get()).sum());
        progress.set_records(report.valid + report.rejected);
    }
    reading.join().map_err(|_| anyhow::anyhow!("the reader thread panicked"))?;
    if let Some(db) = db {
        db.after_bulk_write(report.counts.written()).await.context("refreshing the planner's statistics")?;
    }
    progress.finish();
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Runs on the reader thread: parses every source and sends batches and problems, in order.
fn read_sources(sources: Vec<Source>, batch_size: usize, sender: &mpsc::Sender<Event>) {
    let mut batch = Vec::with_capacity(batch_size);
    for Source { name, reader, .. } in sources {
        let mut records = 0u64;
        for item in reader {
            let event = match item {
                Ok(Item::Paper { paper, .. }) => {
                    records += 1;
                    batch.push(paper);
                    if batch.len() < batch_size {
                        continue;
                    }
                    Event::Batch(std::mem::replace(&mut batch, Vec::with_capacity(batch_size)))
                }
                Ok(Item::Rejected { line, reason }) => {
                    records += 1;
                    Event::Rejected { source: name.clone(), line, reason }
                }
                Err(error) => Event::FileError(format!("{name}:{}: {}", error.line, error.message)),
            };
            if sender.blocking_send(event).is_err() {
                // The writer stopped (a database error); it reports why.
                return;
            }
        }
        if records == 0 && sender.blocking_send(Event::Empty(name)).is_err() {
            return;
        }
    }
    if !batch.is_empty() {
        let _ = sender.blocking_send(Event::Batch(batch));
    }
}
