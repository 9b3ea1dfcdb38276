//! Measuring tools shared by the benchmark and the crate comparison in `bench/ann-compare`:
//! streamed exact ground truth, recall@k, latency percentiles and resident memory.
//!
//! Not here: building or querying an index (see `bench` for the product's benchmark).

use std::time::Duration;

use rayon::prelude::*;

use crate::exact::TopK;
use crate::quantise::dot_f32;
use crate::synthetic::Mixture;

/// Base vectors generated per step of the streamed ground truth (about 15 MB at 384 dimensions).
const GROUND_TRUTH_CHUNK: usize = 10_000;

/// Exact top-`k` base indexes for each query, over base vectors `0..n` of `mixture`.
///
/// The base is generated chunk by chunk and never held whole, so 1M vectors need no 1.5 GB.
pub fn ground_truth(mixture: &Mixture, n: usize, queries: &[Vec<f32>], k: usize) -> Vec<Vec<u64>> {
    let mut best: Vec<TopK> = queries.iter().map(|_| TopK::new(k)).collect();
    for start in (0..n).step_by(GROUND_TRUTH_CHUNK) {
        let chunk = mixture.base_range(start..(start + GROUND_TRUTH_CHUNK).min(n));
        best.par_iter_mut().zip(queries).for_each(|(top, query)| {
            for (offset, vector) in chunk.iter().enumerate() {
                top.offer((start + offset) as u64, dot_f32(vector, query));
            }
        });
    }
    best.into_iter().map(|top| top.into_sorted().into_iter().map(|(key, _)| key).collect()).collect()
}

/// Mean over queries of |found ∩ truth| / |truth| (each truth list holds the exact top k).
pub fn recall(truth: &[Vec<u64>], found: &[Vec<u64>]) -> f64 {
    let per_query = truth.iter().zip(found).map(|(expected, got)| {
        if expected.is_empty() {
            return 1.0;
        }
        let hits = expected.iter().filter(|key| got.contains(key)).count();
        hits as f64 / expected.len() as f64
    });
    per_query.sum::<f64>() / truth.len().max(1) as f64
}

/// Median and 99th percentile of a set of latencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Latency {
    pub p50: Duration,
    pub p99: Duration,
}

impl Latency {
    /// Summarises `samples` (nearest-rank percentiles; zero for an empty set).
    pub fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort_unstable();
        let rank = |p: f64| -> Duration {
            if samples.is_empty() {
                return Duration::ZERO;
            }
            let index = ((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1;
            samples[index]
        };
        Self { p50: rank(0.50), p99: rank(0.99) }
    }
}

/// Current resident set size of this process, where the platform tells (Linux).
pub fn resident_bytes() -> Option<usize> {
    proc_status_kib("VmRSS:").map(|kib| kib * 1024)
}

/// Peak resident set size of this process so far, where the platform tells (Linux).
pub fn peak_resident_bytes() -> Option<usize> {
    proc_status_kib("VmHWM:").map(|kib| kib * 1024)
}

/// CPU time the calling thread has had so far, where the platform tells (Linux's schedstat,
/// in nanoseconds): what a single-threaded step costs even when other work shares the cores.
pub fn thread_cpu_time() -> Option<Duration> {
    let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = schedstat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

fn proc_status_kib(field: &str) -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line[field.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::SyntheticSpec;

    #[test]
    fn percentiles_use_nearest_rank() {
        let samples = (1..=100).map(Duration::from_millis).collect();
        let latency = Latency::of(samples);
        assert_eq!(latency.p50, Duration::from_millis(50));
        assert_eq!(latency.p99, Duration::from_millis(99));
        assert_eq!(Latency::of(Vec::new()), Latency::default());
    }

    #[test]
    fn recall_counts_overlap() {
        let truth = vec![vec![1, 2], vec![3, 4]];
        let found = vec![vec![2, 9], vec![4, 3]];
        assert!((recall(&truth, &found) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn streamed_ground_truth_matches_exact_search() {
        let mixture = Mixture::new(SyntheticSpec { dim: 16, topics: 5, seed: 7 });
        let n = GROUND_TRUTH_CHUNK + 500;
        let queries = mixture.queries(3);
        let truth = ground_truth(&mixture, n, &queries, 5);
        let base: Vec<(u64, Vec<f32>)> = (0u64..).zip(mixture.base(n)).collect();
        for (query, expected) in queries.iter().zip(&truth) {
            let exact: Vec<u64> =
                crate::exact_search(&base, query, 5).into_iter().map(|(key, _)| key).collect();
            assert_eq!(&exact, expected);
        }
    }
}
