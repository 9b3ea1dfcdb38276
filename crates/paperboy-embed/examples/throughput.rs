//! Measures `MiniLm`'s throughput on real arXiv abstracts, for the batching settings below.
//!
//! ```text
//! cargo run --release -p paperboy-embed --example throughput -- MODEL_DIR [N] [RUNS]
//! ```
//!
//! Embeds the abstracts of the first N papers (default 64) of
//! `../shared/data/arxiv-2025-2026.jsonl.gz` (or `$PAPERBOY_ABSTRACTS`) RUNS times (default 3)
//! per setting and prints the median texts per second of wall-clock time and per second of the
//! process's CPU time; the second is what to compare on a machine busy with other work. Set
//! `RAYON_NUM_THREADS` to change the number of threads candle uses (it defaults to the number
//! of physical cores).
//!
//! Uses mimalloc as the global allocator, as the `paperboy` binary does: with glibc's
//! default malloc, candle's large short-lived buffers are mapped and unmapped on every
//! operation, which cost about 40% at batches of 2,048 tokens and more (measured here; glibc
//! with `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=268435456` did as well as mimalloc).

use std::error::Error;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::time::Instant;

use flate2::read::GzDecoder;
use paperboy_embed::{Embedder, MiniLm};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const DEFAULT_ABSTRACTS: &str = "../shared/data/arxiv-2025-2026.jsonl.gz";

/// How the texts are handed to `embed`.
struct Setting {
    name: String,
    /// Texts per `embed` call.
    call_size: usize,
    /// `MiniLm::with_batch_tokens`.
    batch_tokens: usize,
}

fn settings(texts: usize) -> Vec<Setting> {
    let mut settings = vec![
        Setting {
            name: "calls of 16 texts, each one batch padded to its longest (no sorting)".into(),
            call_size: 16,
            batch_tokens: usize::MAX,
        },
        Setting {
            name: "one call per text (no padding, batch of 1)".into(),
            call_size: 1,
            batch_tokens: usize::MAX,
        },
    ];
    for batch_tokens in [512, 1024, 2048, 4096] {
        settings.push(Setting {
            name: format!("one call, sorted by length, batches of <= {batch_tokens} tokens"),
            call_size: texts,
            batch_tokens,
        });
    }
    settings
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let model_dir = PathBuf::from(args.next().ok_or("usage: throughput MODEL_DIR [N] [RUNS]")?);
    let count: usize = args.next().map_or(Ok(64), |n| n.parse())?;
    let runs: usize = args.next().map_or(Ok(3), |n| n.parse())?;
    let data = std::env::var("PAPERBOY_ABSTRACTS").unwrap_or_else(|_| DEFAULT_ABSTRACTS.into());

    let abstracts = read_abstracts(&data, count)?;
    let texts: Vec<&str> = abstracts.iter().map(String::as_str).collect();
    println!(
        "{} abstracts from {data}, {runs} runs per setting, candle threads: {}",
        texts.len(),
        candle_core::utils::get_num_threads()
    );
    let mut model = MiniLm::load(&model_dir)?;
    model.embed(&texts[..texts.len().min(8)])?;
    for setting in settings(texts.len()) {
        model = model.with_batch_tokens(setting.batch_tokens);
        let mut wall_rates = Vec::with_capacity(runs);
        let mut cpu_rates = Vec::with_capacity(runs);
        for _ in 0..runs {
            let (start, start_cpu) = (Instant::now(), cpu_seconds()?);
            for call in texts.chunks(setting.call_size) {
                model.embed(call)?;
            }
            let count = texts.len() as f64;
            wall_rates.push(count / start.elapsed().as_secs_f64());
            cpu_rates.push(count / (cpu_seconds()? - start_cpu));
        }
        println!(
            "{:>7.2} texts/s {:>7.2} texts/CPU-s  {}",
            median(wall_rates),
            median(cpu_rates),
            setting.name
        );
    }
    Ok(())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// User plus system CPU time of this process so far, from `/proc/self/stat` (Linux; in clock
/// ticks of 1/100 s, the value of USER_HZ on every mainstream Linux).
fn cpu_seconds() -> Result<f64, Box<dyn Error>> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after_name = stat.rsplit_once(')').ok_or("unexpected /proc/self/stat")?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
    Ok(ticks as f64 / 100.0)
}

/// The `summary` (abstract) of the first `count` records of a gzipped JSON Lines file.
fn read_abstracts(path: &str, count: usize) -> Result<Vec<String>, Box<dyn Error>> {
    let reader = BufReader::new(GzDecoder::new(File::open(path)?));
    let mut abstracts = Vec::with_capacity(count);
    for line in reader.lines().take(count) {
        let record: serde_json::Value = serde_json::from_str(&line?)?;
        let summary = record["summary"].as_str().ok_or("a record without summary")?;
        abstracts.push(summary.to_owned());
    }
    Ok(abstracts)
}
