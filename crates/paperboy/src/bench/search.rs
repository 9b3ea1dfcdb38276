//! `paperboy bench search`: search latency on a real catalog, beside SQLite FTS5.
//!
//! Loads the papers of a file into a keyword index on disk (as `serve` uses it) and into an
//! SQLite FTS5 table (`porter unicode61`, title and abstract) in a temporary database, then runs
//! a fixed set of realistic queries (`bench/search-queries.txt`, built in) several times each,
//! one at a time. Paperboy's keyword search is timed through its whole query path: parsing,
//! BM25 top 10 with the total count, and highlighted titles and snippets for the 10. The
//! baseline is FTS5's `bm25` top 10 with `snippet()`, the same work in SQLite's engine.
//!
//! With a model configured, hybrid and semantic search are timed too, through the same path as
//! [`Search::rank`] plus highlighting: the query embedded by the real model, the vector index's
//! 100 nearest, BM25's 100 best, fusion and the query's filters. Embedding every paper of the
//! sample would take hours on a small CPU, so the vector index holds one synthetic vector per
//! paper (the seeded mixture of `bench vectors`, under the papers' ids), built with the
//! parameters `serve` uses: the timings are real, the semantic rankings are not (relevance is
//! `bench relevance`'s business).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use paperboy_arxiv::ArxivId;
use paperboy_arxiv::reader::{Item, RecordReader};
use paperboy_embed::Embedder;
use paperboy_search::{IndexDoc, SearchIndex, parse};
use paperboy_vectors::VectorIndex;
use paperboy_vectors::measure::Latency;
use paperboy_vectors::synthetic::{Mixture, SyntheticSpec};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{ConnectOptions, SqlitePool};

use crate::search::follow::index_doc;
use crate::search::semantic::{PARAMS, Semantic};
use crate::search::{Mode, Search};

/// The built-in queries, one per line.
pub(crate) const QUERIES: &str = include_str!("../../../../bench/search-queries.txt");

/// What to measure.
pub struct SearchBenchOptions {
    pub files: Vec<PathBuf>,
    pub runs: usize,
    /// The model that embeds queries for semantic and hybrid search; keyword only without one.
    pub embedder: Option<Arc<dyn Embedder>>,
}

pub(crate) fn read_papers(files: &[PathBuf]) -> anyhow::Result<Vec<IndexDoc>> {
    let mut docs = Vec::new();
    for file in files {
        let (reader, _) =
            RecordReader::open(file, None).with_context(|| format!("cannot open {}", file.display()))?;
        for item in reader {
            if let Item::Paper { paper, .. } = item.with_context(|| format!("{}", file.display()))? {
                docs.push(index_doc(&paper));
            }
        }
    }
    Ok(docs)
}

async fn fts5(docs: &[IndexDoc], path: &std::path::Path) -> anyhow::Result<SqlitePool> {
    // The baseline's slow queries are what is measured, not something to warn about.
    let options =
        SqliteConnectOptions::new().filename(path).create_if_missing(true).disable_statement_logging();
    let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
    sqlx::query("CREATE VIRTUAL TABLE papers_fts USING fts5(id UNINDEXED, title, summary, tokenize = 'porter unicode61')")
        .execute(&pool)
        .await?;
    let mut tx = pool.begin().await?;
    for doc in docs {
        sqlx::query("INSERT INTO papers_fts (id, title, summary) VALUES ($1, $2, $3)")
            .bind(&doc.id)
            .bind(&doc.title)
            .bind(&doc.summary)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(pool)
}

/// The words of a query as an FTS5 expression: each quoted, any may match.
fn fts5_query(query: &str) -> String {
    let parsed = parse(query);
    let mut words: Vec<String> =
        parsed.words.iter().chain(&parsed.phrases).chain(&parsed.authors).cloned().collect();
    words.extend(parsed.categories.iter().cloned());
    words.iter().map(|w| format!("\"{}\"", w.replace('"', ""))).collect::<Vec<_>>().join(" OR ")
}

/// Semantic search over one synthetic vector per paper (see the module docs), and how long the
/// graph took to build.
fn synthetic_semantic(
    embedder: Arc<dyn Embedder>,
    docs: &[IndexDoc],
) -> anyhow::Result<(Semantic, Duration)> {
    let mixture = Mixture::new(SyntheticSpec { dim: embedder.dim(), ..SyntheticSpec::default() });
    let keys: Vec<u64> = docs
        .iter()
        .map(|doc| doc.id.parse::<ArxivId>().map(|id| id.key()))
        .collect::<Result<_, _>>()
        .context("a paper id of the sample does not parse")?;
    let started = Instant::now();
    let index =
        VectorIndex::build_with(embedder.dim(), PARAMS, keys.into_iter().zip(mixture.base(docs.len())))?;
    Ok((Semantic::with_index(embedder, index), started.elapsed()))
}

fn line(label: &str, samples: Vec<Duration>, baseline_p50: Option<Duration>) -> String {
    let Latency { p50, p99 } = Latency::of(samples);
    let ratio =
        baseline_p50.map_or("1.00x".to_owned(), |b| format!("{:.2}x", p50.as_secs_f64() / b.as_secs_f64()));
    format!("{label:<34} {:>9.3} {:>9.3} {:>10}\n", p50.as_secs_f64() * 1e3, p99.as_secs_f64() * 1e3, ratio)
}

/// Runs the benchmark and returns the report.
pub async fn bench_search(options: &SearchBenchOptions) -> anyhow::Result<String> {
    let queries: Vec<&str> = QUERIES.lines().map(str::trim).filter(|q| !q.is_empty()).collect();
    let docs = read_papers(&options.files)?;
    let dir = tempfile::tempdir()?;

    let started = Instant::now();
    let mut index = SearchIndex::open(&dir.path().join("index"))?;
    // Every run scores its queries afresh: the benchmark times the search, not its memory.
    index.keep_rankings(false);
    let mut writer = index.writer(2)?;
    // Loaded and merged as a catch-up of this size does it (see `search::follow`).
    writer.pause_merging();
    for doc in &docs {
        writer.upsert(doc)?;
    }
    writer.commit(0)?;
    writer.merge_segments()?;
    drop(writer);
    index.refresh()?;
    let index_time = started.elapsed();

    let started = Instant::now();
    let pool = fts5(&docs, &dir.path().join("fts.db")).await?;
    let fts_time = started.elapsed();

    let index = Arc::new(index);
    let (search, graph_time) = match &options.embedder {
        Some(embedder) => {
            let (semantic, graph_time) = synthetic_semantic(embedder.clone(), &docs)?;
            (Search::with_semantic(index.clone(), Arc::new(semantic)), Some(graph_time))
        }
        None => (Search::new(index.clone()), None),
    };

    let (mut keyword, mut ranking_only, mut baseline) = (Vec::new(), Vec::new(), Vec::new());
    let (mut hybrid, mut semantic, mut embedding) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..=options.runs {
        for query in &queries {
            let (keyword_time, ranked_time) = timed_search(&search, query, Mode::Keyword).await?;

            let started = Instant::now();
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT id, snippet(papers_fts, 2, '<mark>', '</mark>', '…', 32) FROM papers_fts \
                 WHERE papers_fts MATCH $1 ORDER BY bm25(papers_fts) LIMIT 10",
            )
            .bind(fts5_query(query))
            .fetch_all(&pool)
            .await?;
            std::hint::black_box(rows);
            let baseline_time = started.elapsed();
            // Run 0 warms caches and is not counted.
            if run > 0 {
                keyword.push(keyword_time);
                ranking_only.push(ranked_time);
                baseline.push(baseline_time);
            }

            if let Some(embedder) = &options.embedder {
                let (hybrid_time, _) = timed_search(&search, query, Mode::Hybrid).await?;
                let (semantic_time, _) = timed_search(&search, query, Mode::Semantic).await?;
                let text = parse(query).text();
                let started = Instant::now();
                std::hint::black_box(embedder.embed(&[text.as_str()])?);
                let embedding_time = started.elapsed();
                if run > 0 {
                    hybrid.push(hybrid_time);
                    semantic.push(semantic_time);
                    embedding.push(embedding_time);
                }
            }
        }
    }
    pool.close().await;

    let baseline_p50 = Latency::of(baseline.clone()).p50;
    let mut report = format!(
        "Search latency on {} papers, {} queries x {} runs, one at a time:\n\
         indexing: Paperboy keyword index {:.1} s ({:.0} papers/s); FTS5 table {:.1} s\n\n\
         {:<34} {:>9} {:>9} {:>10}\n",
        docs.len(),
        queries.len(),
        options.runs,
        index_time.as_secs_f64(),
        docs.len() as f64 / index_time.as_secs_f64(),
        fts_time.as_secs_f64(),
        "search",
        "p50 ms",
        "p99 ms",
        "p50 ratio"
    );
    report += &line("SQLite FTS5 bm25 + snippet (base)", baseline, None);
    report += &line("keyword (parse, top 10, highlights)", keyword, Some(baseline_p50));
    report += &line("  of which parse and top 10", ranking_only, Some(baseline_p50));
    match graph_time {
        Some(graph_time) => {
            report += &line("hybrid (embed, fuse 100+100, hl.)", hybrid, Some(baseline_p50));
            report += &line("semantic (embed, nearest 100, hl.)", semantic, Some(baseline_p50));
            report += &line("  query embedding alone", embedding, Some(baseline_p50));
            report += &format!(
                "\nhybrid and semantic: {} synthetic vectors under the papers' ids (graph built in {:.1} s); \
                 queries embedded by the real model\n",
                docs.len(),
                graph_time.as_secs_f64()
            );
        }
        None => report += "\nhybrid and semantic: not measured (no model configured: pass --model DIR)\n",
    }
    Ok(report)
}

/// Times one search through `mode`'s whole path without the database: parsing, ranking, and
/// highlights for the top 10. Returns the whole time and the time to the ranking.
async fn timed_search(search: &Search, query: &str, mode: Mode) -> anyhow::Result<(Duration, Duration)> {
    let started = Instant::now();
    let parsed = parse(query);
    let ranking = search.rank(&parsed, mode, 0, 10, true).await?;
    let ranked_time = started.elapsed();
    let ids: Vec<String> = ranking.hits.into_iter().map(|h| h.id).collect();
    std::hint::black_box(search.index.highlight(&parsed, &ids)?);
    Ok((started.elapsed(), ranked_time))
}
