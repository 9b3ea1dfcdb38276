//! `paperboy bench passages`: searching full texts, and what indexing them does to searching
//! abstracts.
//!
//! arXiv's full texts cannot be fetched here, so the corpus is synthetic, built from the
//! recorded captures and the sample's abstracts: each of the `--full-texts` newest papers of
//! the sample takes the shape of one of the captures (its HTML page or a PDF, in turn): the same
//! sections, in the same order, with passages of the same lengths; every passage is filled with
//! sentences of other papers' abstracts, drawn by a seeded generator, and the paper's own
//! abstract is its abstract passage. The text is real arXiv prose and the shapes are real
//! papers'; what is lost is the topical unity of one paper's sections.
//!
//! Two indexes of the same papers are built on disk: one of the papers alone, as before full
//! texts were indexed, and one with the full texts' passages beside them. The built-in queries
//! (`bench/search-queries.txt`) then run through the same keyword path as `bench search`,
//! alternating between the two indexes, query by query (and which goes first, run by run), so
//! that both see the same machine. Then
//! each query searches the full texts (`in:fulltext`): papers ranked by their best passage,
//! with the best passage of the top 10 marked, as the search page shows them.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use paperboy_fulltext::convert;
use paperboy_fulltext::passages::{Passage, passages};
use paperboy_fulltext::pdf::document;
use paperboy_search::{IndexDoc, IndexPassage, ParsedQuery, SearchIndex, parse};
use paperboy_vectors::measure::Latency;
use paperboy_vectors::random::SplitMix64;

use super::fulltext::files;
use super::search::{QUERIES, read_papers};

/// What to measure.
#[derive(Debug, Clone)]
pub struct PassagesBenchOptions {
    pub files: Vec<PathBuf>,
    /// The folder with `html/*.html` and `pdf/*.pdf` whose shapes the full texts take.
    pub fixtures: PathBuf,
    pub full_texts: usize,
    pub runs: usize,
    pub seed: u64,
}

/// A capture's shape: its passages' sections and lengths.
struct Shape {
    passages: Vec<Passage>,
}

/// The shapes of the captures in `fixtures`.
fn shapes(fixtures: &Path) -> anyhow::Result<Vec<Shape>> {
    let mut shapes = Vec::new();
    for extension in ["html", "pdf"] {
        for path in files(&fixtures.join(extension), extension)? {
            let bytes = std::fs::read(&path).with_context(|| path.display().to_string())?;
            let doc = match extension {
                "html" => {
                    convert(&bytes, usize::MAX).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
                }
                _ => document(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
            };
            shapes.push(Shape { passages: passages(&doc) });
        }
    }
    anyhow::ensure!(!shapes.is_empty(), "no capture in {}", fixtures.display());
    Ok(shapes)
}

/// The synthetic full text of `paper` in `shape` (see the module docs).
fn full_text(
    paper: &IndexDoc,
    shape: &Shape,
    sentences: &[&str],
    random: &mut SplitMix64,
) -> Vec<IndexPassage> {
    shape
        .passages
        .iter()
        .map(|template| {
            let text = if template.anchor == "abstract" {
                paper.summary.clone()
            } else {
                let mut text = String::with_capacity(template.text.len() + 200);
                while text.len() < template.text.len() {
                    text.push_str(sentences[random.below(sentences.len())]);
                    text.push(' ');
                }
                text
            };
            IndexPassage { anchor: template.anchor.clone(), section: template.section.clone(), text }
        })
        .collect()
}

fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| match entry.metadata() {
                    Ok(meta) if meta.is_dir() => dir_size(&entry.path()),
                    Ok(meta) => meta.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

/// An index of `docs` under `dir`, merged as a bulk catch-up leaves it.
fn papers_index(dir: &Path, docs: &[IndexDoc]) -> anyhow::Result<SearchIndex> {
    let index = SearchIndex::open(dir)?;
    let mut writer = index.writer(2)?;
    writer.pause_merging();
    for doc in docs {
        writer.upsert(doc)?;
    }
    writer.commit(1)?;
    writer.merge_segments()?;
    drop(writer);
    index.refresh()?;
    Ok(index)
}

/// One keyword search of titles and abstracts through the path `bench search` times: parse,
/// top 10 with the total, highlights.
fn abstract_search(index: &SearchIndex, query: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let parsed = parse(query);
    let ranking = index.search(&parsed, 0, 10)?;
    let ids: Vec<String> = ranking.hits.into_iter().map(|h| h.id).collect();
    std::hint::black_box(index.highlight(&parsed, &ids)?);
    Ok(started.elapsed())
}

/// One search of full texts as the search page makes it: parse, papers by best passage, top 10
/// with the total, their titles and abstracts highlighted and their best passages marked.
/// Returns the whole time, the time to the ranking, and how many papers matched.
fn fulltext_search(index: &SearchIndex, query: &str) -> anyhow::Result<(Duration, Duration, usize)> {
    let started = Instant::now();
    let parsed: ParsedQuery = parse(&format!("{query} in:fulltext"));
    let ranking = index.search_passages(&parsed, 0, 10)?;
    let ranked = started.elapsed();
    let ids: Vec<String> = ranking.hits.into_iter().map(|h| h.id).collect();
    std::hint::black_box(index.highlight(&parsed, &ids)?);
    std::hint::black_box(index.best_passages(&parsed, &ids)?);
    Ok((started.elapsed(), ranked, ranking.total))
}

fn row(label: &str, samples: Vec<Duration>, baseline: Option<&Latency>) -> String {
    let latency = Latency::of(samples);
    let ratio = |now: Duration, then: Duration| now.as_secs_f64() / then.as_secs_f64();
    let (p50_ratio, p99_ratio) = match baseline {
        Some(base) => {
            (format!("{:.2}x", ratio(latency.p50, base.p50)), format!("{:.2}x", ratio(latency.p99, base.p99)))
        }
        None => ("1.00x".into(), "1.00x".into()),
    };
    format!(
        "| {label} | {:.3} | {:.3} | {p50_ratio} | {p99_ratio} |\n",
        latency.p50.as_secs_f64() * 1e3,
        latency.p99.as_secs_f64() * 1e3
    )
}

/// Runs the benchmark and returns the report as Markdown.
pub async fn bench_passages(options: &PassagesBenchOptions) -> anyhow::Result<String> {
    let queries: Vec<&str> = QUERIES.lines().map(str::trim).filter(|q| !q.is_empty()).collect();
    let mut docs = read_papers(&options.files)?;
    docs.sort_by(|a, b| b.day.cmp(&a.day).then_with(|| a.id.cmp(&b.id)));
    let shapes = shapes(&options.fixtures)?;
    let sentences: Vec<&str> = docs
        .iter()
        .flat_map(|doc| doc.summary.split_inclusive(". "))
        .map(str::trim)
        .filter(|sentence| sentence.len() > 20)
        .collect();
    let dir = tempfile::tempdir()?;

    let plain = papers_index(&dir.path().join("plain"), &docs)?;
    let full_dir = dir.path().join("full");
    let full = papers_index(&full_dir, &docs)?;
    let with_texts = options.full_texts.min(docs.len());

    let progress = crate::progress::Progress::records(true, "full texts");
    progress.set_length(with_texts as u64);
    let mut random = SplitMix64(options.seed);
    let (mut passage_count, mut text_bytes) = (0usize, 0usize);
    let started = Instant::now();
    let mut writer = full.writer(2)?;
    writer.pause_merging();
    for (n, paper) in docs.iter().take(with_texts).enumerate() {
        let passages = full_text(paper, &shapes[n % shapes.len()], &sentences, &mut random);
        passage_count += passages.len();
        text_bytes += passages.iter().map(|p| p.text.len()).sum::<usize>();
        writer.replace_passages(&paper.id, &passages)?;
        if (n + 1) % 1_000 == 0 {
            writer.commit(1)?;
            progress.set_position(n as u64 + 1);
            progress.set_records(n as u64 + 1);
        }
    }
    writer.commit(1)?;
    let indexed = started.elapsed();
    writer.merge_segments()?;
    drop(writer);
    full.refresh()?;
    let merged = started.elapsed();
    progress.finish();
    let papers_size = dir_size(&full_dir.join(format!("v{}", paperboy_search::index::SCHEMA_VERSION)));
    let passages_size = dir_size(&full_dir.join("passages"));

    let (mut before, mut after) = (Vec::new(), Vec::new());
    for run in 0..=options.runs {
        for query in &queries {
            // Which index goes first alternates, so that neither always runs after the other.
            let (plain_time, full_time) = if run % 2 == 0 {
                let plain_time = abstract_search(&plain, query)?;
                (plain_time, abstract_search(&full, query)?)
            } else {
                let full_time = abstract_search(&full, query)?;
                (abstract_search(&plain, query)?, full_time)
            };
            // Run 0 warms caches and is not counted.
            if run > 0 {
                before.push(plain_time);
                after.push(full_time);
            }
        }
    }
    let (mut passages_time, mut ranking_time, mut matched) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..=options.runs {
        for query in &queries {
            let (time, ranked, total) = fulltext_search(&full, query)?;
            if run == 0 {
                matched.push(total);
            } else {
                passages_time.push(time);
                ranking_time.push(ranked);
            }
        }
    }
    let baseline = Latency::of(before.clone());
    matched.sort_unstable();
    let mib = |bytes: u64| bytes as f64 / f64::from(1 << 20);
    let mut report = format!(
        "paperboy bench passages: {} papers, {} of them with a synthetic full text ({} shapes from {}), \
         {} queries x {} runs, one at a time\n\n\
         | indexing full texts | value |\n| --- | --- |\n\
         | passages | {passage_count} ({:.0} a paper, {:.1} KB of text each) |\n\
         | text | {:.0} MiB |\n\
         | indexing, until committed | {:.1} s: {:.0} full texts/s, {:.0} passages/s, {:.1} MiB/s |\n\
         | merging into one segment | {:.1} s more |\n\
         | passages' index on disk | {:.0} MiB ({:.2}x the text) |\n\
         | papers' index on disk | {:.0} MiB |\n\
         | papers matched per query (median) | {} |\n\n\
         | search | p50 ms | p99 ms | p50 ratio | p99 ratio |\n| --- | --- | --- | --- | --- |\n",
        docs.len(),
        with_texts,
        shapes.len(),
        options.fixtures.display(),
        queries.len(),
        options.runs,
        passage_count as f64 / with_texts.max(1) as f64,
        text_bytes as f64 / with_texts.max(1) as f64 / 1024.0,
        mib(text_bytes as u64),
        indexed.as_secs_f64(),
        with_texts as f64 / indexed.as_secs_f64(),
        passage_count as f64 / indexed.as_secs_f64(),
        mib(text_bytes as u64) / indexed.as_secs_f64(),
        (merged - indexed).as_secs_f64(),
        mib(passages_size),
        passages_size as f64 / text_bytes.max(1) as f64,
        mib(papers_size),
        matched.get(matched.len() / 2).copied().unwrap_or_default(),
    );
    report += &row("keyword, papers alone (base)", before, None);
    report += &row("keyword, full texts beside", after, Some(&baseline));
    report += &row("full texts (in:fulltext)", passages_time, Some(&baseline));
    report += &row("  of which papers ranked and counted", ranking_time, Some(&baseline));
    Ok(report)
}
