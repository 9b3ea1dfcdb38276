//! `paperboy bench vectors`: the vector index at any size, on synthetic embeddings.
//!
//! The measurement itself is `paperboy_vectors::bench` (build with all cores, then
//! single-threaded queries checked against exact search over the `f32` vectors); this module
//! only chooses the data and prints the report.

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
