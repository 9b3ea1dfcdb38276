//! `import` through the library: formats, idempotency, and every kind of bad input, each
//! reported by file and line without losing the good records around it.

use std::io::Write;
use std::path::{Path, PathBuf};

use paperboy::db::Db;
use paperboy::domain::feed::FeatureRules;
use paperboy::ingest::import::{ImportOptions, ImportReport, import_sources, open_files};
use paperboy_arxiv::{ArxivId, Format};

use crate::harness::{TestDb, on_both_engines, shared};

fn options() -> ImportOptions {
    ImportOptions {
        batch_size: 100,
        progress: false,
        report_rejections: false,
        features: FeatureRules::default(),
    }
}

fn record(id: &str, title: &str) -> String {
    serde_json::json!({
        "id": id, "title": title, "summary": "An abstract.", "authors": ["A. Author", "B. Author"],
        "categories": ["cs.CL", "cs.AI"], "comment": null, "announce_date": "2025-03-18"
    })
    .to_string()
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

async fn import(db: &Db, files: &[PathBuf], format: Option<Format>) -> ImportReport {
    import_sources(Some(db), open_files(files, format).unwrap(), &options()).await.unwrap()
}

async fn has(db: &Db, id: &str) -> bool {
    db.get_paper(&id.parse::<ArxivId>().unwrap()).await.unwrap().is_some()
}

async fn imports_the_shared_sample_format_idempotently(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let lines: String =
        (1..=250).map(|n| record(&format!("2503.{n:05}"), &format!("Paper {n}")) + "\n").collect();
    let path = write_file(dir.path(), "papers.jsonl.gz", &gzip(lines.as_bytes()));
    let first = import(db, std::slice::from_ref(&path), None).await;
    assert_eq!((first.counts.inserted, first.rejected), (250, 0));
    let second = import(db, &[path], None).await;
    assert_eq!((second.counts.inserted, second.counts.updated, second.counts.unchanged), (0, 0, 250));
    assert_eq!(db.count_papers().await.unwrap(), 250);
}

on_both_engines!(imports_the_shared_sample_format_idempotently);

/// PostgreSQL's estimate of the papers table's rows: -1 until it was analyzed.
async fn estimated_papers(db: &Db) -> f32 {
    let Db::Postgres(pool) = db else { unreachable!("a PostgreSQL test") };
    sqlx::query_scalar("SELECT reltuples FROM pg_class WHERE relname = 'papers'")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_bulk_import_leaves_postgresql_statistics_to_plan_with() {
    let test = TestDb::postgres().await;
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, ids: std::ops::RangeInclusive<u32>| {
        let lines: String =
            ids.map(|n| record(&format!("2503.{n:05}"), &format!("Paper {n}")) + "\n").collect();
        write_file(dir.path(), name, lines.as_bytes())
    };
    import(&test.db, &[file("few.jsonl", 1..=100)], None).await;
    assert_eq!(estimated_papers(&test.db).await, -1.0, "a small import leaves the statistics to autovacuum");
    import(&test.db, &[file("many.jsonl", 101..=10_100)], None).await;
    let estimate = estimated_papers(&test.db).await;
    assert!((9_000.0..=11_000.0).contains(&estimate), "estimated {estimate} papers after ANALYZE");
}

#[tokio::test]
async fn imports_the_first_lines_of_the_real_sample() {
    let test = TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    // The first 500 lines of the shared sample, re-compressed: real records, quick to read.
    let mut text = String::new();
    let sample = std::fs::File::open(shared("data/arxiv-2025-2026.jsonl.gz")).unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(flate2::read::GzDecoder::new(sample)));
    for _ in 0..500 {
        text.push_str(&lines.next().unwrap().unwrap());
        text.push('\n');
    }
    let path = write_file(dir.path(), "head.jsonl.gz", &gzip(text.as_bytes()));
    let report = import(&test.db, &[path], None).await;
    assert_eq!((report.counts.inserted, report.rejected), (500, 0));
    let stored = test.db.get_paper(&"2503.11685".parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.paper.title, "CORDIC Is All You Need");
    assert_eq!(stored.paper.categories, ["cs.AR", "cs.CV", "eess.IV"]);
    assert_eq!(stored.paper.announce_date.unwrap().to_string(), "2025-03-18");
}

#[tokio::test]
async fn imports_kaggle_and_hugging_face_files() {
    let test = TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let kaggle = r#"{"id":"0704.0001","submitter":"Pavel Nadolsky","authors":"C. Bal\u00e1zs, E. L. Berger","title":"Calculation of prompt diphoton production cross sections","comments":"37 pages","journal-ref":"Phys.Rev.D76:013009,2007","doi":"10.1103/PhysRevD.76.013009","report-no":null,"categories":"hep-ph","license":null,"abstract":"A fully differential calculation.","versions":[{"version":"v1","created":"Mon, 2 Apr 2007 19:18:42 GMT"},{"version":"v2","created":"Tue, 24 Jul 2007 20:10:27 GMT"}],"update_date":"2008-11-13","authors_parsed":[["Bal\u00e1zs","C.",""],["Berger","E. L.",""]]}"#;
    let kaggle_path = write_file(dir.path(), "snapshot.json", format!("{kaggle}\n").as_bytes());
    let hf = r#"[{"paper":{"id":"2407.13168","authors":[{"_id":"669dcf3b7f28c43e09d54993","name":"Yanxin Lu","hidden":false}],"publishedAt":"2024-07-18T05:15:24.000Z","title":"SciCode: A Research Coding Benchmark Curated by Scientists","summary":"Since language models (LMs) now outperform average humans.","upvotes":17},"publishedAt":"2024-07-22T03:17:16.000Z","title":"SciCode","numComments":3}]"#;
    let hf_path = write_file(dir.path(), "daily_papers.json", hf.as_bytes());
    let report = import(&test.db, &[kaggle_path, hf_path], None).await;
    assert_eq!((report.counts.inserted, report.rejected), (2, 0), "{report:?}");
    let kaggle = test.db.get_paper(&"0704.0001".parse().unwrap()).await.unwrap().unwrap().paper;
    assert_eq!(kaggle.version, Some(2));
    assert_eq!(kaggle.authors, ["C. Balázs", "E. L. Berger"]);
    assert_eq!(kaggle.doi.as_deref(), Some("10.1103/PhysRevD.76.013009"));
    let hf = test.db.get_paper(&"2407.13168".parse().unwrap()).await.unwrap().unwrap().paper;
    assert_eq!(hf.published_at.unwrap().to_rfc3339(), "2024-07-18T05:15:24+00:00");
    assert_eq!(hf.announce_date.unwrap().to_string(), "2024-07-19");
}

/// Every bad input the issue lists, between good records: each is reported with its line and
/// reason, and every good record goes in.
#[tokio::test]
async fn bad_records_are_reported_by_line_and_skipped() {
    let test = TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = Vec::new();
    let mut push = |line: &[u8]| {
        bytes.extend_from_slice(line);
        bytes.push(b'\n');
    };
    push(record("2503.00001", "Good one").as_bytes()); // 1
    push(b"this is not JSON"); // 2
    push(br#"{"title": "no id", "summary": "s", "announce_date": "2025-03-18"}"#); // 3
    push(record("", "empty id").as_bytes()); // 4
    push(record("2503.00005", "").as_bytes()); // 5
    push(record("25O3.00006", "letter O in the id").as_bytes()); // 6
    push(record("2503.00007", &"x".repeat(10 << 20)).as_bytes()); // 7: a 10 MB title
    push(b"{\"id\": \"2503.00008\", \"title\": \"\xff\xfe bad bytes\", \"summary\": \"s\"}"); // 8
    push(record("2503.00009", "Good two").as_bytes()); // 9
    let path = write_file(dir.path(), "mixed.jsonl", &bytes);

    let sources = open_files(std::slice::from_ref(&path), None).unwrap();
    let report = import_sources(Some(&test.db), sources, &options()).await.unwrap();
    assert_eq!((report.counts.inserted, report.rejected), (2, 7));
    assert!(has(&test.db, "2503.00001").await && has(&test.db, "2503.00009").await);
    assert!(!has(&test.db, "2503.00007").await);
    assert_eq!(test.db.count_papers().await.unwrap(), 2);
}

#[tokio::test]
async fn rejection_messages_name_the_line_and_field() {
    // The same checks, read through the reader to see the exact messages.
    let mut text = String::new();
    text.push_str(&record("2503.00001", "Good"));
    text.push('\n');
    text.push_str(&record("2503.00002", &"x".repeat(10 << 20)));
    text.push('\n');
    text.push_str(&record("2503.00003", "  "));
    text.push('\n');
    text.push_str(&record("hep-th/99010011", "Bad id"));
    let (reader, _) =
        paperboy_arxiv::RecordReader::from_reader(std::io::Cursor::new(text.into_bytes()), None).unwrap();
    let messages: Vec<String> = reader
        .filter_map(|item| match item.unwrap() {
            paperboy_arxiv::Item::Rejected { line, reason } => Some(format!("{line}: {reason}")),
            paperboy_arxiv::Item::Paper { .. } => None,
        })
        .collect();
    assert_eq!(
        messages,
        [
            "2: field `title`: is 10485760 characters long; at most 1000 are accepted",
            "3: field `title`: is empty",
            "4: field `id`: `hep-th/99010011` is not an arXiv id (expected e.g. 2503.11731, 2503.11731v2 or hep-th/9901001)",
        ]
    );
}

#[tokio::test]
async fn a_truncated_gzip_keeps_the_records_before_the_break() {
    let test = TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let lines: String =
        (1..=3000).map(|n| record(&format!("2503.{n:05}"), &format!("Paper {n}")) + "\n").collect();
    let compressed = gzip(lines.as_bytes());
    let path = write_file(dir.path(), "cut.jsonl.gz", &compressed[..compressed.len() * 2 / 3]);
    let report = import(&test.db, &[path], None).await;
    assert_eq!(report.file_errors.len(), 1);
    let error = &report.file_errors[0];
    assert!(error.contains("cut.jsonl.gz:") && error.contains("gzip stream is truncated"), "{error}");
    let stored = test.db.count_papers().await.unwrap();
    assert!(stored > 1000 && stored < 3000, "{stored} records stored");
    assert_eq!(report.counts.inserted, stored);
    assert_eq!(report.rejected, 0);
}

#[tokio::test]
async fn an_empty_file_is_reported_and_changes_nothing() {
    let test = TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let empty = write_file(dir.path(), "empty.jsonl", b"");
    let empty_gz = write_file(dir.path(), "empty.jsonl.gz", &gzip(b""));
    let report = import(&test.db, &[empty, empty_gz], None).await;
    assert_eq!(report.empty_sources.len(), 2);
    assert!(report.summary(false).contains("empty.jsonl: empty, no records."));
    assert_eq!(test.db.count_papers().await.unwrap(), 0);
}

#[tokio::test]
async fn a_missing_file_fails_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_file(dir.path(), "good.jsonl", record("2503.00001", "Good").as_bytes());
    let missing = dir.path().join("missing.jsonl");
    let err = open_files(&[good, missing], None).err().unwrap();
    assert!(format!("{err:#}").contains("cannot open") && format!("{err:#}").contains("missing.jsonl"));
}

#[tokio::test]
async fn a_dry_run_checks_without_writing() {
    let test = TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{}\nnot json\n", record("2503.00001", "Good"));
    let path = write_file(dir.path(), "check.jsonl", text.as_bytes());
    let report = import_sources(None, open_files(&[path], None).unwrap(), &options()).await.unwrap();
    assert_eq!((report.valid, report.rejected), (1, 1));
    assert_eq!(test.db.count_papers().await.unwrap(), 0);
}
