//! The bundled demo data set: real arXiv papers from the shared sample (CC0 metadata), built
//! into the binary so that `paperboy serve` on a fresh clone shows real papers.
//!
//! 3,841 papers announced on 39 days from 2026-05-11 to 2026-07-01 (about 30% of each day,
//! picked by a hash of the id), 2.3 MB compressed. `demo/make_demo.py` cuts it again, byte for byte.

use crate::db::Db;
use crate::feed::FeatureRules;
use crate::ingest::import::{ImportOptions, ImportReport, Source, import_sources};

const DEMO_PAPERS: &[u8] = include_bytes!("../demo/papers.jsonl.gz");

/// Loads the demo papers into `db`, featuring those `features` selects.
pub async fn load_demo(db: &Db, features: &FeatureRules, progress: bool) -> anyhow::Result<ImportReport> {
    let source = Source::from_bytes("demo/papers.jsonl.gz", DEMO_PAPERS, None)?;
    let options =
        ImportOptions { batch_size: 2000, progress, report_rejections: true, features: features.clone() };
    import_sources(Some(db), vec![source], &options).await
}
