//! The catalog's storage rules, each checked on SQLite and on PostgreSQL.

use chrono::Utc;
use paperboy::db::Db;
use paperboy::db::checkpoints::Checkpoint;
use paperboy::db::papers::UpsertCounts;
use paperboy_arxiv::{ArxivId, RawPaper};

use crate::harness::{on_both_engines, paper};

fn id(s: &str) -> ArxivId {
    s.parse().unwrap()
}

fn counts(inserted: u64, updated: u64, unchanged: u64) -> UpsertCounts {
    UpsertCounts { inserted, updated, unchanged }
}

async fn stores_and_reads_back_every_field(db: &Db) {
    let full = RawPaper {
        id: Some("hep-th/9901001v3".into()),
        title: Some("Strings & <things>; DROP TABLE papers; --".into()),
        summary: Some("Line one\nline two with $x^2$ and 'quotes'".into()),
        authors: vec!["Zoë Ünicode".into(), "O'Brien".into(), "李雷".into()],
        categories: vec!["hep-th".into(), "gr-qc".into()],
        comment: Some("12 pages".into()),
        journal_ref: Some("Phys. Rev. D 60 (1999)".into()),
        doi: Some("10.1103/PhysRevD.60.000001".into()),
        license: Some("http://arxiv.org/licenses/nonexclusive-distrib/1.0/".into()),
        submitter: Some("Ada".into()),
        github_repo: Some("https://github.com/ada/strings".into()),
        project_page: Some("https://strings.example.org/?q=1&r=ü".into()),
        published_at: "1999-01-04T10:00:00Z".parse().ok(),
        updated_at: "1999-03-01T08:30:15.250Z".parse().ok(),
        announce_date: None,
        version: None,
    }
    .validate()
    .unwrap();
    assert_eq!(db.upsert_papers(vec![full.clone()]).await.unwrap(), counts(1, 0, 0));
    let stored = db.get_paper(&id("hep-th/9901001")).await.unwrap().unwrap();
    assert_eq!(stored.paper, full);
    assert_eq!(stored.paper.version, Some(3));
    assert!(stored.created_at <= Utc::now());
    assert_eq!(db.count_papers().await.unwrap(), 1);
    assert!(db.get_paper(&id("2503.99999")).await.unwrap().is_none());
}

async fn importing_the_same_records_twice_changes_nothing(db: &Db) {
    let batch: Vec<_> = (1..=1200).map(|n| paper(&format!("2503.{n:05}"), &format!("Paper {n}"))).collect();
    assert_eq!(db.upsert_papers(batch.clone()).await.unwrap(), counts(1200, 0, 0));
    let before = db.get_paper(&id("2503.00007")).await.unwrap().unwrap();
    assert_eq!(db.upsert_papers(batch).await.unwrap(), counts(0, 0, 1200));
    let after = db.get_paper(&id("2503.00007")).await.unwrap().unwrap();
    assert_eq!(before, after, "an unchanged record must not even touch changed_at");
    assert_eq!(db.count_papers().await.unwrap(), 1200);
}

async fn a_newer_version_replaces_an_older_one(db: &Db) {
    db.upsert_papers(vec![paper("2503.11731v1", "First draft")]).await.unwrap();
    assert_eq!(db.upsert_papers(vec![paper("2503.11731v2", "Final title")]).await.unwrap(), counts(0, 1, 0));
    let stored = db.get_paper(&id("2503.11731")).await.unwrap().unwrap();
    assert_eq!((stored.paper.version, stored.paper.title.as_str()), (Some(2), "Final title"));
}

async fn an_older_version_never_overwrites_a_newer_one(db: &Db) {
    db.upsert_papers(vec![paper("2503.11731v3", "Newest")]).await.unwrap();
    assert_eq!(db.upsert_papers(vec![paper("2503.11731v1", "Oldest")]).await.unwrap(), counts(0, 0, 1));
    // Also within one batch, in either order.
    let batch = vec![paper("2503.22222v2", "Two"), paper("2503.22222v1", "One")];
    assert_eq!(db.upsert_papers(batch).await.unwrap(), counts(1, 0, 1));
    let stored = db.get_paper(&id("2503.22222")).await.unwrap().unwrap();
    assert_eq!(stored.paper.title, "Two");
    let stored = db.get_paper(&id("2503.11731")).await.unwrap().unwrap();
    assert_eq!((stored.paper.version, stored.paper.title.as_str()), (Some(3), "Newest"));
}

/// Regression: a newer version seen twice in one batch (or followed by an older one) was
/// counted as an update but never written.
async fn a_paper_repeated_in_one_batch_keeps_its_update(db: &Db) {
    db.upsert_papers(vec![paper("2503.00010v1", "Old title")]).await.unwrap();
    let twice = vec![paper("2503.00010v2", "New title"), paper("2503.00010v2", "New title")];
    assert_eq!(db.upsert_papers(twice).await.unwrap(), counts(0, 1, 1));
    let stored = db.get_paper(&id("2503.00010")).await.unwrap().unwrap();
    assert_eq!(
        (stored.paper.version, stored.paper.title.as_str(), stored.revision),
        (Some(2), "New title", 2)
    );

    db.upsert_papers(vec![paper("2503.00011v1", "Old title")]).await.unwrap();
    let newer_then_older = vec![paper("2503.00011v2", "New title"), paper("2503.00011v1", "Old title")];
    assert_eq!(db.upsert_papers(newer_then_older).await.unwrap(), counts(0, 1, 1));
    let stored = db.get_paper(&id("2503.00011")).await.unwrap().unwrap();
    assert_eq!((stored.paper.version, stored.paper.title.as_str()), (Some(2), "New title"));
}

async fn times_finer_than_storage_keeps_do_not_make_a_reimport_an_update(db: &Db) {
    let precise = RawPaper {
        id: Some("2503.11731".into()),
        title: Some("T".into()),
        summary: Some("S".into()),
        categories: vec!["cs.CL".into()],
        published_at: "2025-03-14T10:00:00.123456789Z".parse().ok(),
        updated_at: "2025-03-15T10:00:00.987654321Z".parse().ok(),
        ..RawPaper::default()
    };
    assert_eq!(db.upsert_papers(vec![precise.clone().validate().unwrap()]).await.unwrap(), counts(1, 0, 0));
    assert_eq!(db.upsert_papers(vec![precise.validate().unwrap()]).await.unwrap(), counts(0, 0, 1));
}

async fn a_source_without_categories_keeps_the_stored_ones(db: &Db) {
    db.upsert_papers(vec![paper("2503.11731", "Title")]).await.unwrap();
    let from_hugging_face = RawPaper {
        id: Some("2503.11731".into()),
        title: Some("Title, revised".into()),
        summary: Some("An abstract about Title.".into()),
        ..RawPaper::default()
    }
    .validate()
    .unwrap();
    assert_eq!(db.upsert_papers(vec![from_hugging_face]).await.unwrap(), counts(0, 1, 0));
    let stored = db.get_paper(&id("2503.11731")).await.unwrap().unwrap();
    assert_eq!(stored.paper.title, "Title, revised");
    assert_eq!(stored.paper.categories, ["cs.CL", "cs.LG"]);
    assert_eq!(stored.paper.authors, ["Ada Lovelace", "Alan Turing"]);
}

async fn the_category_lookup_follows_the_paper(db: &Db) {
    db.upsert_papers(vec![paper("2503.00001", "A"), paper("2503.00002", "B")]).await.unwrap();
    assert_eq!(db.paper_ids_in_category("cs.LG").await.unwrap(), ["2503.00001", "2503.00002"]);
    let mut moved = paper("2503.00002v2", "B");
    moved.categories = vec!["stat.ML".into()];
    db.upsert_papers(vec![moved]).await.unwrap();
    assert_eq!(db.paper_ids_in_category("cs.LG").await.unwrap(), ["2503.00001"]);
    assert_eq!(db.paper_ids_in_category("stat.ML").await.unwrap(), ["2503.00002"]);
}

async fn concurrent_writers_keep_the_newest_version(db: &Db) {
    // Many tasks store versions 1..=8 of the same papers at once; the newest must win.
    let mut tasks = Vec::new();
    for version in (1..=8).rev() {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let batch: Vec<_> =
                (1..=50).map(|n| paper(&format!("2504.{n:05}v{version}"), &format!("v{version}"))).collect();
            db.upsert_papers(batch).await.unwrap()
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    for n in [1, 25, 50] {
        let stored = db.get_paper(&id(&format!("2504.{n:05}"))).await.unwrap().unwrap();
        assert_eq!((stored.paper.version, stored.paper.title.as_str()), (Some(8), "v8"));
        assert_eq!(db.paper_ids_in_category("cs.CL").await.unwrap().len(), 50);
    }
    assert_eq!(db.count_papers().await.unwrap(), 50);
}

async fn concurrent_writers_merge_instead_of_overwriting(db: &Db) {
    // Two sources race on the same new papers: one has categories, the other only a comment.
    // Whichever lands first, the second must merge over it, so both survive.
    for round in 0..5 {
        let ids: Vec<String> = (1..=40).map(|n| format!("2505.{:05}", round * 100 + n)).collect();
        let with_categories: Vec<_> = ids.iter().map(|id| paper(id, "Title")).collect();
        let with_comment: Vec<_> = ids
            .iter()
            .map(|id| {
                RawPaper {
                    id: Some(id.clone()),
                    title: Some("Title".into()),
                    summary: Some("An abstract about Title.".into()),
                    comment: Some("12 pages".into()),
                    ..RawPaper::default()
                }
                .validate()
                .unwrap()
            })
            .collect();
        let (a, b) = (db.clone(), db.clone());
        let first = tokio::spawn(async move { a.upsert_papers(with_categories).await.unwrap() });
        let second = tokio::spawn(async move { b.upsert_papers(with_comment).await.unwrap() });
        let total = {
            let mut total = first.await.unwrap();
            total += second.await.unwrap();
            total
        };
        assert_eq!(total.inserted + total.updated + total.unchanged, 80);
        assert_eq!(total.inserted, 40, "each paper is inserted once: {total:?}");
        for id in &ids {
            let stored = db.get_paper(&id.parse().unwrap()).await.unwrap().unwrap().paper;
            assert_eq!(stored.categories, ["cs.CL", "cs.LG"], "{id}");
            assert_eq!(stored.comment.as_deref(), Some("12 pages"), "{id}");
        }
    }
}

async fn checkpoints_round_trip(db: &Db) {
    let key = "http://localhost/oai metadataPrefix=arXivRaw set=cs from=2025-03-01 until=";
    assert!(db.load_checkpoint(key).await.unwrap().is_none());
    let mut checkpoint = Checkpoint::new(key.to_owned());
    checkpoint.resumption_token = Some("726959|1001".into());
    checkpoint.pages = 1;
    checkpoint.records = 6;
    db.save_checkpoint(&checkpoint).await.unwrap();
    let loaded = db.load_checkpoint(key).await.unwrap().unwrap();
    assert_eq!(loaded.resumption_token.as_deref(), Some("726959|1001"));
    assert_eq!((loaded.pages, loaded.records), (1, 6));
    checkpoint.resumption_token = None;
    checkpoint.completed_at = Some(Utc::now());
    db.save_checkpoint(&checkpoint).await.unwrap();
    assert!(db.load_checkpoint(key).await.unwrap().unwrap().completed_at.is_some());
}

async fn migrating_twice_is_harmless(db: &Db) {
    db.migrate().await.unwrap();
    db.ping().await.unwrap();
}

on_both_engines!(
    stores_and_reads_back_every_field,
    importing_the_same_records_twice_changes_nothing,
    a_newer_version_replaces_an_older_one,
    an_older_version_never_overwrites_a_newer_one,
    a_paper_repeated_in_one_batch_keeps_its_update,
    times_finer_than_storage_keeps_do_not_make_a_reimport_an_update,
    a_source_without_categories_keeps_the_stored_ones,
    the_category_lookup_follows_the_paper,
    concurrent_writers_keep_the_newest_version,
    concurrent_writers_merge_instead_of_overwriting,
    checkpoints_round_trip,
    migrating_twice_is_harmless,
);

/// A PostgreSQL constraint: its kind (`p`, `u`, `f`), columns, and for a foreign key the table
/// and columns it refers to and its `ON DELETE`.
type Constraint = (String, Vec<String>, Option<String>, Option<Vec<String>>, String);

/// What a migrated database holds, as sorted lines: tables, columns (and whether they may be
/// null), primary keys, unique constraints, foreign keys with their `ON DELETE`, and named
/// indexes with their columns, uniqueness and whether they are partial. Types are left out:
/// each engine has its own on purpose (`TIMESTAMPTZ` against RFC 3339 text).
async fn schema(db: &Db) -> Vec<String> {
    let mut facts = Vec::new();
    match db {
        Db::Sqlite(pool) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
                 AND name NOT LIKE '_sqlx%' ORDER BY name",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for table in &tables {
                facts.push(format!("table {table}"));
                let columns: Vec<(String, bool, i64)> =
                    sqlx::query_as("SELECT name, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid")
                        .bind(table)
                        .fetch_all(pool)
                        .await
                        .unwrap();
                let mut key: Vec<(i64, String)> = Vec::new();
                for (column, not_null, pk) in columns {
                    let null = if not_null || pk > 0 { "not null" } else { "null" };
                    facts.push(format!("column {table}.{column} {null}"));
                    if pk > 0 {
                        key.push((pk, column));
                    }
                }
                key.sort();
                let key: Vec<String> = key.into_iter().map(|(_, c)| c).collect();
                facts.push(format!("primary key {table} ({})", key.join(", ")));
                let uniques: Vec<String> = sqlx::query_scalar(
                    "SELECT name FROM pragma_index_list($1) WHERE origin = 'u' ORDER BY name",
                )
                .bind(table)
                .fetch_all(pool)
                .await
                .unwrap();
                for index in uniques {
                    let columns: Vec<String> =
                        sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                            .bind(&index)
                            .fetch_all(pool)
                            .await
                            .unwrap();
                    facts.push(format!("unique {table} ({})", columns.join(", ")));
                }
                let keys: Vec<(String, String, String, String)> = sqlx::query_as(
                    "SELECT \"from\", \"table\", \"to\", on_delete FROM pragma_foreign_key_list($1) ORDER BY id, seq",
                )
                .bind(table)
                .fetch_all(pool)
                .await
                .unwrap();
                for (from, to_table, to, on_delete) in keys {
                    facts
                        .push(format!("foreign key {table}.{from} -> {to_table}.{to} on delete {on_delete}"));
                }
            }
            let indexes: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for (name, table, sql) in indexes {
                facts.push(index_fact(&name, &table, &sql));
            }
        }
        Db::Postgres(pool) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' \
                 AND table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_sqlx%' ORDER BY table_name",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for table in &tables {
                facts.push(format!("table {table}"));
                let columns: Vec<(String, String)> = sqlx::query_as(
                    "SELECT column_name::text, is_nullable::text FROM information_schema.columns \
                     WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
                )
                .bind(table)
                .fetch_all(pool)
                .await
                .unwrap();
                for (column, nullable) in columns {
                    let null = if nullable == "YES" { "null" } else { "not null" };
                    facts.push(format!("column {table}.{column} {null}"));
                }
                let constraints: Vec<Constraint> =
                    sqlx::query_as(
                        "SELECT c.contype::text, \
                         ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, o) \
                               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o), \
                         f.relname::text, \
                         CASE WHEN c.contype = 'f' THEN ARRAY(SELECT a.attname::text FROM unnest(c.confkey) \
                               WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = c.confrelid \
                               AND a.attnum = k.n ORDER BY k.o) END, \
                         c.confdeltype::text \
                         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
                         LEFT JOIN pg_class f ON f.oid = c.confrelid \
                         WHERE t.relname = $1 AND c.contype IN ('p', 'u', 'f')",
                    )
                    .bind(table)
                    .fetch_all(pool)
                    .await
                    .unwrap();
                for (kind, columns, to_table, to_columns, on_delete) in constraints {
                    match kind.as_str() {
                        "p" => facts.push(format!("primary key {table} ({})", columns.join(", "))),
                        "u" => facts.push(format!("unique {table} ({})", columns.join(", "))),
                        _ => {
                            let on_delete = match on_delete.as_str() {
                                "c" => "CASCADE",
                                "n" => "SET NULL",
                                "d" => "SET DEFAULT",
                                "r" => "RESTRICT",
                                _ => "NO ACTION",
                            };
                            for (from, to) in columns.iter().zip(to_columns.unwrap_or_default()) {
                                let to_table = to_table.clone().unwrap_or_default();
                                facts.push(format!(
                                    "foreign key {table}.{from} -> {to_table}.{to} on delete {on_delete}"
                                ));
                            }
                        }
                    }
                }
            }
            let indexes: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT i.relname::text, t.relname::text, pg_get_indexdef(x.indexrelid) FROM pg_index x \
                 JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
                 JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = 'public' \
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) \
                 AND t.relname NOT LIKE '\\_sqlx%'",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for (name, table, sql) in indexes {
                facts.push(index_fact(&name, &table, &sql));
            }
        }
    }
    facts.sort();
    facts
}

/// `index NAME on TABLE (COLUMNS) [unique] [partial]` from a `CREATE INDEX` statement, in either
/// engine's spelling (PostgreSQL quotes a column named like a keyword, `"position"`).
fn index_fact(name: &str, table: &str, sql: &str) -> String {
    let sql = sql.to_lowercase();
    let unique = if sql.starts_with("create unique") { " unique" } else { "" };
    let partial = if sql.split_whitespace().any(|word| word == "where") { " partial" } else { "" };
    let open = sql.find(" (").map_or(0, |at| at + 2);
    let mut depth = 1;
    let close = sql[open..]
        .char_indices()
        .find(|(_, c)| {
            depth += match c {
                '(' => 1,
                ')' => -1,
                _ => 0,
            };
            depth == 0
        })
        .map_or(sql.len(), |(at, _)| open + at);
    let columns: String = sql[open..close].chars().filter(|c| !c.is_whitespace() && *c != '"').collect();
    format!("index {name} on {table} ({columns}){unique}{partial}")
}

#[tokio::test]
async fn the_sqlite_and_postgresql_migrations_make_the_same_schema() {
    let (sqlite, postgres) =
        (crate::harness::TestDb::sqlite().await, crate::harness::TestDb::postgres().await);
    let (on_sqlite, on_postgres) = (schema(&sqlite.db).await, schema(&postgres.db).await);
    let only = |a: &[String], b: &[String]| a.iter().filter(|f| !b.contains(f)).cloned().collect::<Vec<_>>();
    assert!(
        on_sqlite.iter().any(|f| f == "index jobs_dedupe on jobs (dedupe_key) unique partial"),
        "{on_sqlite:#?}"
    );
    assert!(
        on_sqlite.iter().any(|f| f.starts_with("foreign key votes.paper_id -> papers.id on delete CASCADE"))
    );
    assert_eq!(
        (only(&on_sqlite, &on_postgres), only(&on_postgres, &on_sqlite)),
        (Vec::new(), Vec::new()),
        "facts only SQLite has, and only PostgreSQL has"
    );
}
