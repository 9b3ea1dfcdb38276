//! `paperboy backup` and `paperboy restore`: a backup taken while papers are written holds every
//! paper committed before it began; a restore brings it back, keeps the database it replaces,
//! refuses a file that is not a Paperboy database and a data directory a server is using, and
//! the server started on the restored database builds its search index again by itself.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use paperboy::backup::{backup, restore};
use paperboy::db::Db;
use paperboy::search::follow;

use crate::harness::fixtures::{paper, store};
use crate::harness::{Server, paperboy, text};

#[tokio::test]
async fn a_backup_taken_during_writes_holds_everything_committed_before_it() {
    let test_db = crate::harness::TestDb::sqlite().await;
    let db = test_db.db.clone();
    store(&db, (1..=50).map(|n| paper(&format!("2611.{n:05}"), &format!("Before {n}"))).collect()).await;
    let committed: Arc<Mutex<Vec<String>>> = Arc::default();
    let writer = {
        let (db, committed) = (db.clone(), committed.clone());
        tokio::spawn(async move {
            for n in 1..=400 {
                let id = format!("2612.{n:05}");
                store(&db, vec![paper(&id, &format!("During {n}"))]).await;
                committed.lock().unwrap().push(id);
            }
        })
    };
    while committed.lock().unwrap().len() < 50 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let before: Vec<String> = committed.lock().unwrap().clone();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.db");
    let report = backup(&db, &file).await.unwrap();
    let after = committed.lock().unwrap().len();
    writer.await.unwrap();
    assert!(after < 400, "the backup ran while papers were written ({after} of 400 done)");
    assert!(report.papers >= 50 + before.len() as u64, "{report:?}");
    assert!(backup(&db, &file).await.unwrap_err().to_string().contains("exists already"));

    let restored_dir = dir.path().join("restored");
    let restored = restore(&restored_dir, &file).await.unwrap();
    assert_eq!(restored.papers, report.papers);
    let restored_db = Db::open_embedded(&restored_dir).await.unwrap();
    let ids: Vec<String> = (1..=50).map(|n| format!("2611.{n:05}")).chain(before).collect();
    let found = restored_db.paper_texts(&ids).await.unwrap();
    let missing: Vec<&String> = ids.iter().filter(|id| !found.iter().any(|(f, ..)| f == *id)).collect();
    assert!(
        missing.is_empty(),
        "every paper committed before the backup began is in it; missing {missing:?}"
    );
    restored_db.close().await;
}

#[test]
fn a_restored_database_is_served_with_its_index_built_again() {
    paperboy_arxiv::client::install_tls_provider();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let papers = dir.path().join("papers.jsonl");
    let record = |id: &str, title: &str| {
        format!(
            r#"{{"id":"{id}","title":"{title}","summary":"About {title}.","authors":["A"],"categories":["cs.CL"],"comment":null,"announce_date":"2025-03-18"}}"#
        )
    };
    std::fs::write(&papers, record("2503.00001", "Sparse attention") + "\n").unwrap();
    assert!(paperboy(&data, &["import", papers.to_str().unwrap()]).status.success());
    let file = dir.path().join("backup.db");
    let output = paperboy(&data, &["backup", file.to_str().unwrap()]);
    assert!(text(&output.stdout).contains("Backed up 1 papers"), "{}", text(&output.stderr));
    std::fs::write(&papers, record("2503.00002", "Graph networks") + "\n").unwrap();
    assert!(paperboy(&data, &["import", papers.to_str().unwrap()]).status.success());

    let not_ours = dir.path().join("notes.txt");
    std::fs::write(&not_ours, "not a database").unwrap();
    let output = paperboy(&data, &["restore", not_ours.to_str().unwrap()]);
    assert!(!output.status.success() && text(&output.stderr).contains("is not a Paperboy database"));

    let output = paperboy(&data, &["restore", file.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("Restored 1 papers"));
    let kept = std::fs::read_dir(&data)
        .unwrap()
        .flatten()
        .any(|entry| entry.file_name().to_string_lossy().starts_with("paperboy.db.before-restore-"));
    assert!(kept, "the replaced database is kept beside");

    let server = Server::start(&data, &[], &[]);
    // A server holds the index: a restore now is refused.
    let output = paperboy(&data, &["restore", file.to_str().unwrap()]);
    assert!(text(&output.stderr).contains("stop it first"), "{}", text(&output.stderr));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let get = |path: &str| {
        runtime.block_on(async {
            let reply = reqwest::get(server.url(path)).await.unwrap();
            (reply.status().as_u16(), reply.text().await.unwrap())
        })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !get("/api/papers/search?q=sparse&mode=keyword").1.contains("2503.00001") {
        assert!(Instant::now() < deadline, "the restored papers were never indexed");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(get("/api/papers/2503.00002").0, 404, "what came after the backup is gone");
    assert!(!get("/api/papers/search?q=graph&mode=keyword").1.contains("2503.00002"));
}

/// An index that has seen more of the catalog than the database holds (a database copied back
/// by hand) is built again from the database, not trusted.
#[tokio::test]
async fn an_index_ahead_of_a_database_copied_back_by_hand_is_built_again() {
    let newer = crate::harness::TestDb::sqlite().await;
    store(&newer.db, vec![paper("2611.00001", "Sparse attention"), paper("2611.00002", "Graph networks")])
        .await;
    store(&newer.db, vec![paper("2611.00003", "Robots that grasp")]).await;
    let dir = tempfile::tempdir().unwrap();
    let index = paperboy_search::SearchIndex::open(dir.path()).unwrap();
    let quiet = paperboy::progress::Progress::records(false, "indexing");
    let (writer, _) = follow::catch_up(&newer.db, &index, index.writer(1).unwrap(), &quiet).await.unwrap();
    assert_eq!(index.len(), 3);

    let older = crate::harness::TestDb::sqlite().await;
    store(&older.db, vec![paper("2611.00009", "Language agents")]).await;
    assert!(older.db.catalog_version().await.unwrap() < index.cursor().unwrap());
    let (_, done) = follow::catch_up(&older.db, &index, writer, &quiet).await.unwrap();
    assert_eq!((done, index.len()), (1, 1), "only the database's papers are indexed");
}

/// The same for the vector index.
#[tokio::test]
async fn a_vector_index_ahead_of_the_database_starts_again() {
    use paperboy::db::embeddings::NewEmbedding;
    use paperboy_embed::{Embedder, HashEmbedder};
    let embedder: Arc<dyn Embedder> = Arc::new(HashEmbedder::default());
    let vectors = |db: Db, ids: Vec<&'static str>| {
        let embedder = embedder.clone();
        async move {
            store(&db, ids.iter().map(|id| paper(id, "Sparse attention")).collect()).await;
            let rows: Vec<NewEmbedding> = ids
                .iter()
                .map(|id| NewEmbedding {
                    paper_id: (*id).to_owned(),
                    text_hash: "h".into(),
                    vector: embedder.embed(&["Sparse attention"]).unwrap().remove(0),
                    paper_seq: 0,
                })
                .collect();
            db.store_embeddings(embedder.model(), &rows).await.unwrap();
        }
    };
    let newer = crate::harness::TestDb::sqlite().await;
    vectors(newer.db.clone(), vec!["2611.00001", "2611.00002", "2611.00003"]).await;
    let semantic = paperboy::search::semantic::Semantic::open(embedder.clone(), None).await.unwrap();
    semantic.catch_up(&newer.db).await.unwrap();
    assert_eq!(semantic.len(), 3);
    let older = crate::harness::TestDb::sqlite().await;
    vectors(older.db.clone(), vec!["2611.00009"]).await;
    assert_eq!(semantic.catch_up(&older.db).await.unwrap(), 1);
    assert_eq!(semantic.len(), 1, "only the database's vectors");
}
