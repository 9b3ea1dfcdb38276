//! The product's own benchmark, run by `paperboy bench vectors`: builds a `VectorIndex` over
//! synthetic embeddings and measures it the way the service uses it.
//!
//! Queries run one at a time on the calling thread (the service answers each request on one
//! thread); the build uses all cores. With `grow`, more vectors are then grown into the graph
//! one at a time on one thread, as a server does with new embeddings, and the index is measured
//! again; with `compare_rebuild`, a whole rebuild of the grown index (what the service did before
//! it could grow the graph) is timed beside it. Not here: printing (the CLI formats
//! `BenchReport`).

use std::time::{Duration, Instant};

use crate::error::VectorError;
use crate::index::{IndexParams, VectorIndex};
use crate::measure::{self, Latency};
use crate::synthetic::Mixture;

/// Neighbours compared for recall.
pub const RECALL_K: usize = 10;
/// Base vectors generated per step, so that a large base never exists whole as `f32`.
const GENERATION_CHUNK: usize = 10_000;

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BenchConfig {
    /// Base vectors in the index.
    pub size: usize,
    /// Queries timed (and checked against exact search).
    pub queries: usize,
    pub params: IndexParams,
    /// Vectors grown into the built graph afterwards (0: none).
    pub grow: usize,
    /// Also time a whole rebuild of the grown index.
    pub compare_rebuild: bool,
}

/// What was measured.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    pub size: usize,
    pub queries: usize,
    pub params: IndexParams,
    /// Wall time of `VectorIndex::build` (includes quantisation).
    pub build_time: Duration,
    /// Single-threaded latency of `search(query, 10)`.
    pub latency: Latency,
    /// Mean recall@10 against exact search over the `f32` vectors.
    pub recall_at_10: f64,
    /// `VectorIndex::memory_bytes` after the build.
    pub index_bytes: usize,
    /// Growth of the process's resident memory across the build, where the platform tells.
    pub resident_growth_bytes: Option<usize>,
    /// Time to exact ground truth (not part of the index's cost).
    pub ground_truth_time: Duration,
    /// The index after `grow` more vectors, when asked for.
    pub growth: Option<GrowthReport>,
}

/// The index measured again after vectors were grown into it.
#[derive(Debug, Clone, PartialEq)]
pub struct GrowthReport {
    pub vectors: usize,
    /// Wall time of growing them in, on one thread.
    pub time: Duration,
    /// That thread's CPU time, where the platform tells: the cost, even on a busy machine.
    pub cpu_time: Option<Duration>,
    pub latency: Latency,
    /// Against exact search over the base and the grown vectors.
    pub recall_at_10: f64,
    pub index_bytes: usize,
    /// Wall time of a whole rebuild of the grown index with all cores, when asked for.
    pub rebuild_time: Option<Duration>,
}

/// Builds an index of `config.size` vectors drawn from `mixture` and measures it.
pub fn run(mixture: &Mixture, config: BenchConfig) -> Result<BenchReport, VectorError> {
    let queries = mixture.queries(config.queries);
    let truth_started = Instant::now();
    let truth = measure::ground_truth(mixture, config.size, &queries, RECALL_K);
    let ground_truth_time = truth_started.elapsed();

    let resident_before = measure::resident_bytes();
    let build_started = Instant::now();
    let index =
        VectorIndex::build_with(mixture.spec().dim, config.params, streamed_base(mixture, config.size))?;
    let build_time = build_started.elapsed();
    let resident_growth_bytes =
        measure::resident_bytes().zip(resident_before).map(|(after, before)| after.saturating_sub(before));

    let (latency, found) = time_queries(&index, &queries)?;
    let index_bytes = index.memory_bytes();
    let growth = match config.grow {
        0 => None,
        _ => Some(grow(index, mixture, &config, &queries)?),
    };
    Ok(BenchReport {
        size: config.size,
        queries: config.queries,
        params: config.params,
        build_time,
        latency,
        recall_at_10: measure::recall(&truth, &found),
        index_bytes,
        resident_growth_bytes,
        ground_truth_time,
        growth,
    })
}

/// Inserts `config.grow` more vectors, grows them into the graph and measures the result.
fn grow(
    mut index: VectorIndex,
    mixture: &Mixture,
    config: &BenchConfig,
    queries: &[Vec<f32>],
) -> Result<GrowthReport, VectorError> {
    let total = config.size + config.grow;
    for start in (config.size..total).step_by(GENERATION_CHUNK) {
        let end = (start + GENERATION_CHUNK).min(total);
        for (key, vector) in (start as u64..).zip(mixture.base_range(start..end)) {
            index.insert(key, &vector)?;
        }
    }
    let started = Instant::now();
    let cpu_before = measure::thread_cpu_time();
    let grown = index.grow();
    let cpu_time =
        measure::thread_cpu_time().zip(cpu_before).map(|(after, before)| after.saturating_sub(before));
    let time = started.elapsed();
    debug_assert_eq!(grown, config.grow);
    let truth = measure::ground_truth(mixture, total, queries, RECALL_K);
    let (latency, found) = time_queries(&index, queries)?;
    let rebuild_time = config.compare_rebuild.then(|| {
        let started = Instant::now();
        std::hint::black_box(index.rebuilt());
        started.elapsed()
    });
    Ok(GrowthReport {
        vectors: config.grow,
        time,
        cpu_time,
        latency,
        recall_at_10: measure::recall(&truth, &found),
        index_bytes: index.memory_bytes(),
        rebuild_time,
    })
}

/// Base vectors keyed by their index, generated in parallel chunks as they are consumed.
fn streamed_base(mixture: &Mixture, size: usize) -> impl Iterator<Item = (u64, Vec<f32>)> + '_ {
    (0..size).step_by(GENERATION_CHUNK).flat_map(move |start| {
        let end = (start + GENERATION_CHUNK).min(size);
        (start as u64..).zip(mixture.base_range(start..end))
    })
}

/// One untimed pass (warms caches, collects results), then a timed single-threaded pass.
fn time_queries(index: &VectorIndex, queries: &[Vec<f32>]) -> Result<(Latency, Vec<Vec<u64>>), VectorError> {
    let found = queries
        .iter()
        .map(|query| {
            let hits = index.search(query, RECALL_K)?;
            Ok(hits.into_iter().map(|(key, _)| key).collect())
        })
        .collect::<Result<Vec<Vec<u64>>, VectorError>>()?;
    let mut samples = Vec::with_capacity(queries.len());
    for query in queries {
        let started = Instant::now();
        std::hint::black_box(index.search(query, RECALL_K)?);
        samples.push(started.elapsed());
    }
    Ok((Latency::of(samples), found))
}
