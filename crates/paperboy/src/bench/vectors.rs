//! `paperboy bench vectors`: the vector index at any size, on synthetic embeddings; and the
//! same synthetic vectors stored for a catalog's papers (`bench synthetic-vectors`).
//!
//! The measurement itself is `paperboy_vectors::bench` (build with all cores, then
//! single-threaded queries checked against exact search over the `f32` vectors); this module
//! only chooses the data and prints the report.

use std::sync::atomic::{AtomicUsize, Ordering};

use paperboy_embed::{EmbedError, Embedder};
use paperboy_vectors::IndexParams;
use paperboy_vectors::bench::{BenchConfig, run};
use paperboy_vectors::synthetic::{Mixture, SyntheticSpec};

use crate::cli::BenchVectorsArgs;

/// Runs the benchmark and returns the report.
pub fn bench_vectors(args: &BenchVectorsArgs) -> anyhow::Result<String> {
    let mixture = Mixture::new(SyntheticSpec::default());
    let config = BenchConfig {
        size: args.size as usize,
        queries: args.queries as usize,
        params: IndexParams::default(),
        grow: args.grow as usize,
        compare_rebuild: args.compare_rebuild,
    };
    let report = run(&mixture, config)?;
    let mib = |bytes: usize| bytes as f64 / f64::from(1 << 20);
    let mut printed = format!(
        "Vector index, {} synthetic 384-d vectors, {} queries (ef_construction {}, ef_search {}):\n\
         build            {:>9.1} s\n\
         query p50        {:>9.3} ms\n\
         query p99        {:>9.3} ms\n\
         recall@10        {:>9.4}   (against exact search, computed in {:.1} s)\n\
         index memory     {:>9.1} MiB ({:.0} bytes a vector)\n\
         resident growth  {:>9}\n",
        report.size,
        report.queries,
        report.params.ef_construction,
        report.params.ef_search,
        report.build_time.as_secs_f64(),
        report.latency.p50.as_secs_f64() * 1e3,
        report.latency.p99.as_secs_f64() * 1e3,
        report.recall_at_10,
        report.ground_truth_time.as_secs_f64(),
        mib(report.index_bytes),
        report.index_bytes as f64 / report.size as f64,
        report.resident_growth_bytes.map_or("unknown".to_owned(), |b| format!("{:.1} MiB", mib(b))),
    );
    if let Some(growth) = &report.growth {
        printed.push_str(&format!(
            "Then {} more vectors grown into the graph on one thread:\n\
             grow             {:>9.1} s   ({:.2} ms a vector; {} of one core's CPU time)\n\
             query p50        {:>9.3} ms\n\
             query p99        {:>9.3} ms\n\
             recall@10        {:>9.4}   (against exact search over all {} vectors)\n\
             index memory     {:>9.1} MiB\n",
            growth.vectors,
            growth.time.as_secs_f64(),
            growth.time.as_secs_f64() * 1e3 / growth.vectors as f64,
            growth.cpu_time.map_or("unknown".to_owned(), |cpu| format!("{:.1} s", cpu.as_secs_f64())),
            growth.latency.p50.as_secs_f64() * 1e3,
            growth.latency.p99.as_secs_f64() * 1e3,
            growth.recall_at_10,
            report.size + growth.vectors,
            mib(growth.index_bytes),
        ));
        if let Some(rebuild) = growth.rebuild_time {
            printed.push_str(&format!(
                "rebuild instead  {:>9.1} s   (all cores; growing took {:.3}x its wall time)\n",
                rebuild.as_secs_f64(),
                growth.time.as_secs_f64() / rebuild.as_secs_f64(),
            ));
        }
    }
    Ok(printed)
}

/// Vectors of `bench vectors`' mixture (shaped like all-MiniLM-L6-v2's), standing in for an
/// embedder's: the `n`-th text given gets the mixture's `n`-th vector, whatever it says, under
/// the name of the embedder it stands in for. A catalog made of copies of one sample (as
/// `bench/scale_sample.py` makes) thus gets distinct vectors with a real model's spread, and a
/// vector index whose costs are a real one's, without a day of embedding; rankings by them mean
/// nothing.
pub struct MixtureEmbedder {
    mixture: Mixture,
    model: String,
    next: AtomicUsize,
}

impl MixtureEmbedder {
    pub fn standing_in_for(embedder: &dyn Embedder) -> anyhow::Result<MixtureEmbedder> {
        let spec = SyntheticSpec::default();
        anyhow::ensure!(
            embedder.dim() == spec.dim,
            "{} has {} dimensions; the synthetic vectors have {}",
            embedder.model(),
            embedder.dim(),
            spec.dim
        );
        Ok(MixtureEmbedder {
            mixture: Mixture::new(spec),
            model: embedder.model().to_owned(),
            next: AtomicUsize::new(0),
        })
    }
}

impl Embedder for MixtureEmbedder {
    fn model(&self) -> &str {
        &self.model
    }

    fn dim(&self) -> usize {
        SyntheticSpec::default().dim
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let start = self.next.fetch_add(texts.len(), Ordering::Relaxed);
        Ok(self.mixture.base_range(start..start + texts.len()))
    }
}

#[cfg(test)]
mod tests {
    use paperboy_embed::HashEmbedder;

    use super::*;

    #[test]
    fn each_text_gets_the_next_vector_under_the_stood_in_for_name() {
        let stand_in = MixtureEmbedder::standing_in_for(&HashEmbedder::default()).unwrap();
        let first = stand_in.embed(&["same text", "same text"]).unwrap();
        let then = stand_in.embed(&["same text"]).unwrap();
        assert_eq!(stand_in.model(), HashEmbedder::MODEL);
        assert_ne!(first[0], first[1]);
        assert_eq!(then[0], Mixture::new(SyntheticSpec::default()).base_range(2..3)[0]);
        assert!(MixtureEmbedder::standing_in_for(&HashEmbedder::new(8)).is_err());
    }
}
