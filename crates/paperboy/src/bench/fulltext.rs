//! `paperboy bench fulltext`: what a paper's full text costs, per paper, on the recorded arXiv
//! captures (`fixtures/arxiv-fulltext/`), each beside a baseline measured in the same run:
//!
//! - HTML: parsing the page alone (html5ever, what any conversion pays), then parsing and
//!   converting it into a document, then that and the Markdown;
//! - PDF: opening it (the cross-reference table and the page tree), then its thumbnail, then
//!   its text; and the thumbnail through `paperboy pdf-worker`, the separate process the job
//!   uses, to show what the isolation costs.
//!
//! Each is the median of `--runs` runs after one untimed run.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use paperboy_fulltext::dom::Dom;
use paperboy_fulltext::pdf::{page_count, page_texts, thumbnail};
use paperboy_fulltext::{convert, to_markdown};

use crate::fulltext::{PdfReader, PdfTask, THUMBNAIL_WIDTH};

/// What to measure.
#[derive(Debug, Clone)]
pub struct FullTextBenchOptions {
    /// The folder with `html/*.html` and `pdf/*.pdf`.
    pub fixtures: PathBuf,
    pub runs: usize,
    /// The `paperboy` binary whose `pdf-worker` is timed.
    pub program: PathBuf,
}

/// Runs the measurements and returns the report as Markdown tables.
pub async fn bench_fulltext(options: &FullTextBenchOptions) -> anyhow::Result<String> {
    let mut out = format!("paperboy bench fulltext, {} runs each, medians in ms\n\n", options.runs);
    out.push_str(
        "| HTML page | KB | parse only | document | document + Markdown | ratio to parse | Markdown KB |\n",
    );
    out.push_str("| --- | --- | --- | --- | --- | --- | --- |\n");
    for path in files(&options.fixtures.join("html"), "html")? {
        let html = std::fs::read(&path).with_context(|| path.display().to_string())?;
        let parse = median(options.runs, || drop(std::hint::black_box(Dom::parse(&html))));
        let document = median(options.runs, || drop(std::hint::black_box(convert(&html, usize::MAX))));
        let mut markdown = String::new();
        let both = median(options.runs, || {
            markdown = convert(&html, usize::MAX).map(|doc| to_markdown(&doc)).unwrap_or_default();
        });
        out.push_str(&format!(
            "| {} | {} | {:.1} | {:.1} | {:.1} | {:.2}x | {} |\n",
            name(&path),
            html.len() / 1024,
            ms(parse),
            ms(document),
            ms(both),
            ms(both) / ms(parse),
            markdown.len() / 1024
        ));
    }
    out.push_str("\n| PDF | pages | KB | open only | thumbnail | ratio | PNG KB | text | text chars | thumbnail, own process |\n");
    out.push_str("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    let reader = PdfReader { program: options.program.clone(), ..PdfReader::default() };
    for path in files(&options.fixtures.join("pdf"), "pdf")? {
        let pdf = std::fs::read(&path).with_context(|| path.display().to_string())?;
        let pages = page_count(&pdf).map_err(anyhow::Error::msg)?;
        let open = median(options.runs, || drop(std::hint::black_box(page_count(&pdf))));
        let mut png = 0;
        let image =
            median(options.runs, || png = thumbnail(&pdf, THUMBNAIL_WIDTH).map_or(0, |made| made.png.len()));
        let mut chars = 0;
        let text = median(options.runs, || {
            chars = page_texts(&pdf).map_or(0, |pages| pages.iter().map(|page| page.chars().count()).sum());
        });
        let mut isolated = Vec::with_capacity(options.runs);
        for _ in 0..=options.runs {
            let started = Instant::now();
            reader.read(PdfTask::Thumbnail, &pdf).await.map_err(anyhow::Error::msg)?;
            isolated.push(started.elapsed());
        }
        out.push_str(&format!(
            "| {} | {pages} | {} | {:.1} | {:.1} | {:.1}x | {:.1} | {:.1} | {chars} | {:.1} |\n",
            name(&path),
            pdf.len() / 1024,
            ms(open),
            ms(image),
            ms(image) / ms(open),
            png as f64 / 1024.0,
            ms(text),
            ms(middle(&mut isolated[1..].to_vec()))
        ));
    }
    Ok(out)
}

/// The files of `folder` that end in `.extension`, by name.
pub(crate) fn files(folder: &Path, extension: &str) -> anyhow::Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(folder)
        .with_context(|| format!("cannot read {}", folder.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|e| e == extension))
        .collect();
    found.sort();
    Ok(found)
}

fn name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// The median time of `runs` runs of `work`, after one untimed run.
fn median(runs: usize, mut work: impl FnMut()) -> Duration {
    work();
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed()
        })
        .collect();
    middle(&mut times)
}

fn middle(times: &mut [Duration]) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn ms(time: Duration) -> f64 {
    time.as_secs_f64() * 1000.0
}
