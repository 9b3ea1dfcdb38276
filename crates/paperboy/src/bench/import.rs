//! `paperboy bench import`: times the whole import pipeline on one file into a fresh database
//! per run: first with no database at all (reading, decompressing, parsing and validating only:
//! the baseline, the floor any engine can reach), then SQLite, then the same file again into the
//! filled SQLite database (every record unchanged), then PostgreSQL when a server is given. Peak
//! memory is the process's peak resident set size during each run, reset between runs through
//! `/proc/self/clear_refs`; the PostgreSQL server's own memory is not included.

use std::time::Duration;

use anyhow::Context;

use crate::cli::BenchImportArgs;
use crate::db::Db;
use crate::db::scratch::ScratchDatabase;
use crate::domain::feed::FeatureRules;
use crate::ingest::import::{ImportOptions, import_sources, open_files};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    ParseOnly,
    Sqlite,
    /// A second import of the same file into the database the first one filled.
    SqliteAgain,
    Postgres,
}

impl Target {
    fn label(self) -> &'static str {
        match self {
            Target::ParseOnly => "parse only (baseline)",
            Target::Sqlite => "SQLite",
            Target::SqliteAgain => "SQLite, re-import",
            Target::Postgres => "PostgreSQL",
        }
    }
}

struct Run {
    elapsed: Duration,
    papers: u64,
    peak_rss_kib: Option<u64>,
}

/// Runs the import benchmark and returns its report as a Markdown table.
pub async fn bench_import(args: &BenchImportArgs) -> anyhow::Result<String> {
    let mut targets = vec![Target::ParseOnly, Target::Sqlite, Target::SqliteAgain];
    if args.postgres_url.is_some() {
        targets.push(Target::Postgres);
    }
    let mut rows = Vec::new();
    let mut baseline = None;
    for target in targets {
        let mut runs = Vec::new();
        for run in 1..=args.runs {
            let result =
                run_once(target, args).await.with_context(|| format!("{} run {run}", target.label()))?;
            eprintln!(
                "{:<22} run {run}: {:.2} s, {} papers, peak RSS {}",
                target.label(),
                result.elapsed.as_secs_f64(),
                result.papers,
                format_rss(result.peak_rss_kib)
            );
            runs.push(result);
        }
        let median = median(runs.iter().map(|r| r.elapsed).collect());
        let baseline = *baseline.get_or_insert(median);
        let papers = runs.last().map_or(0, |r| r.papers);
        let peak = runs.iter().filter_map(|r| r.peak_rss_kib).max();
        let all_runs =
            runs.iter().map(|r| format!("{:.2}", r.elapsed.as_secs_f64())).collect::<Vec<_>>().join(", ");
        rows.push(format!(
            "| {} | {:.2} | {all_runs} | {:.0} | {} | {:.2}x |",
            target.label(),
            median.as_secs_f64(),
            papers as f64 / median.as_secs_f64(),
            format_rss(peak),
            median.as_secs_f64() / baseline.as_secs_f64()
        ));
    }
    let mut report = format!(
        "import of {} ({} runs each, batch size {})\n\n\
         | target | median s | runs s | papers/s | peak RSS | time vs baseline |\n\
         | --- | --- | --- | --- | --- | --- |\n",
        args.file.display(),
        args.runs,
        args.batch_size
    );
    report.push_str(&rows.join("\n"));
    report.push('\n');
    Ok(report)
}

async fn run_once(target: Target, args: &BenchImportArgs) -> anyhow::Result<Run> {
    let options = ImportOptions {
        batch_size: args.batch_size as usize,
        progress: false,
        report_rejections: false,
        features: FeatureRules::default(),
    };
    let scratch_dir = tempfile::tempdir().context("creating a scratch directory")?;
    let mut scratch_pg = None;
    let db = match target {
        Target::ParseOnly => None,
        Target::Sqlite | Target::SqliteAgain => Some(Db::open_embedded(scratch_dir.path()).await?),
        Target::Postgres => {
            let server = args.postgres_url.as_deref().unwrap_or_default();
            let scratch = ScratchDatabase::create(server, "bench").await?;
            let db = Db::connect(scratch.url()).await?;
            scratch_pg = Some(scratch);
            Some(db)
        }
    };
    if let Some(db) = &db {
        db.migrate().await?;
        if target == Target::SqliteAgain {
            import_sources(Some(db), open_files(std::slice::from_ref(&args.file), None)?, &options).await?;
        }
    }
    reset_peak_rss();
    let sources = open_files(std::slice::from_ref(&args.file), None)?;
    let report = import_sources(db.as_ref(), sources, &options).await?;
    let peak_rss_kib = peak_rss_kib();
    if let Some(db) = db {
        db.close().await;
    }
    if let Some(scratch) = scratch_pg {
        scratch.drop_database().await?;
    }
    Ok(Run { elapsed: report.elapsed, papers: report.valid, peak_rss_kib })
}

pub(crate) fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

/// Resets the kernel's record of this process's peak RSS (Linux 4.0 and later).
pub(crate) fn reset_peak_rss() {
    if let Err(err) = std::fs::write("/proc/self/clear_refs", "5") {
        tracing::warn!(error = %err, "cannot reset the peak RSS; peaks include earlier runs");
    }
}

/// The peak resident set size (VmHWM) since the last reset, in KiB.
pub(crate) fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

pub(crate) fn format_rss(kib: Option<u64>) -> String {
    kib.map_or_else(|| "n/a".to_owned(), |kib| format!("{:.0} MiB", kib as f64 / 1024.0))
}
