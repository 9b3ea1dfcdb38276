//! Compares approximate nearest-neighbour crates on the same synthetic embeddings: build time,
//! single-threaded query latency, recall@10 against exact search, and resident memory.
//!
//! One engine per process, so that memory deltas are not polluted by another engine's heap.
//! See README.md for the results and the decision.

mod engines;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use paperboy_vectors::measure::{self, Latency};
use paperboy_vectors::synthetic::{Mixture, SyntheticSpec};

use engines::{Engine, Params};

/// Neighbours compared for recall.
const K: usize = 10;

#[derive(Parser)]
struct Args {
    /// Engine and storage to measure.
    #[arg(long, value_enum)]
    engine: EngineKind,
    /// Base vectors.
    #[arg(long, default_value_t = 100_000)]
    n: usize,
    /// Queries (latency and recall over all of them).
    #[arg(long, default_value_t = 1_000)]
    queries: usize,
    /// Graph degree M (instant-distance has a fixed M = 32).
    #[arg(long, default_value_t = 16)]
    m: usize,
    #[arg(long, default_value_t = 200)]
    ef_construction: usize,
    /// ef at query time, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "32,64,128")]
    ef_search: Vec<usize>,
    /// Where exact ground truth is cached between runs.
    #[arg(long, default_value = "target/ground-truth")]
    cache: PathBuf,
}

#[derive(Clone, Copy, ValueEnum, Debug)]
enum EngineKind {
    HnswRsF32,
    HnswRsI8,
    InstantF32,
    InstantI8,
    #[cfg(feature = "usearch")]
    UsearchF32,
    #[cfg(feature = "usearch")]
    UsearchI8,
}

fn main() {
    let args = Args::parse();
    let mixture = Mixture::new(SyntheticSpec::default());
    let queries = mixture.queries(args.queries);
    let truth = cached_ground_truth(&args, &mixture, &queries);
    println!(
        "engine,n,m,ef_construction,ef_search,build_s,p50_ms,p99_ms,recall_at_10,index_rss_mib,peak_rss_mib"
    );
    // instant-distance fixes ef_search at build time, so it builds once per value.
    let builds: Vec<Vec<usize>> = match args.engine {
        EngineKind::InstantF32 | EngineKind::InstantI8 => {
            args.ef_search.iter().map(|&ef| vec![ef]).collect()
        }
        _ => vec![args.ef_search.clone()],
    };
    for ef_values in builds {
        measure_build(&args, &mixture, &queries, &truth, &ef_values);
    }
}

fn measure_build(
    args: &Args,
    mixture: &Mixture,
    queries: &[Vec<f32>],
    truth: &[Vec<u64>],
    ef_values: &[usize],
) {
    let params = Params {
        m: args.m,
        ef_construction: args.ef_construction,
        ef_search: ef_values[0],
    };
    let rss_before = measure::resident_bytes().unwrap_or(0);
    let started = Instant::now();
    let mut engine = engines::build(args.engine, params, mixture, args.n);
    let build_time = started.elapsed();
    let index_rss = measure::resident_bytes().unwrap_or(0).saturating_sub(rss_before);
    let peak_rss = measure::peak_resident_bytes().unwrap_or(0);
    for &ef in ef_values {
        engine.set_ef_search(ef);
        let (latency, recall) = run_queries(engine.as_ref(), queries, truth);
        println!(
            "{:?},{},{},{},{},{:.1},{:.3},{:.3},{:.4},{:.0},{:.0}",
            args.engine,
            args.n,
            args.m,
            args.ef_construction,
            ef,
            build_time.as_secs_f64(),
            millis(latency.p50),
            millis(latency.p99),
            recall,
            mib(index_rss),
            mib(peak_rss),
        );
    }
}

/// One pass to warm caches, then a timed single-threaded pass.
fn run_queries(engine: &dyn Engine, queries: &[Vec<f32>], truth: &[Vec<u64>]) -> (Latency, f64) {
    let found: Vec<Vec<u64>> = queries.iter().map(|q| engine.search(q, K)).collect();
    let samples = queries
        .iter()
        .map(|q| {
            let started = Instant::now();
            std::hint::black_box(engine.search(q, K));
            started.elapsed()
        })
        .collect();
    (Latency::of(samples), measure::recall(truth, &found))
}

fn cached_ground_truth(args: &Args, mixture: &Mixture, queries: &[Vec<f32>]) -> Vec<Vec<u64>> {
    let spec = mixture.spec();
    let file = args.cache.join(format!(
        "seed{}-dim{}-topics{}-n{}-q{}-k{K}.txt",
        spec.seed, spec.dim, spec.topics, args.n, args.queries
    ));
    if let Ok(text) = std::fs::read_to_string(&file) {
        let parsed: Option<Vec<Vec<u64>>> = text
            .lines()
            .map(|line| line.split(' ').map(|key| key.parse().ok()).collect())
            .collect();
        if let Some(truth) = parsed.filter(|t| t.len() == queries.len()) {
            return truth;
        }
    }
    let started = Instant::now();
    let truth = measure::ground_truth(mixture, args.n, queries, K);
    eprintln!("ground truth: {:.1} s", started.elapsed().as_secs_f64());
    let text: Vec<String> = truth
        .iter()
        .map(|keys| keys.iter().map(u64::to_string).collect::<Vec<_>>().join(" "))
        .collect();
    if std::fs::create_dir_all(&args.cache).is_ok() {
        // A cache that cannot be written only costs time next run.
        let _ = std::fs::write(&file, text.join("\n"));
    }
    truth
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
