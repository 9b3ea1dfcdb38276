//! Keywords and TL;DRs: an annotation run gives each paper up to five keywords from its title
//! and abstract and its most central sentence, stores them with the method and model, and a
//! second run does only what is due (a changed abstract, a new paper, the newest first within
//! a limit); the paper page shows them marked as automatic, keywords linked to a search, and
//! the API carries them as Hugging Face names them. With the deterministic test embedder
//! (hashed words), on both engines; one test with the real model, where it is installed, checks
//! that its choices read as a person would expect.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use paperboy::annotate::{Annotator, Methods, PaperText, annotate, annotate_catalog};
use paperboy::db::Db;
use paperboy::db::embeddings::NewEmbedding;
use paperboy::domain::feed::FeatureRules;
use paperboy::jobs::{WorkerConfig, run_worker};
use paperboy::progress::Progress;
use paperboy::search::embedding::{paper_text, text_hash};
use paperboy_arxiv::{Paper, RawPaper};
use paperboy_embed::{Embedder, HashEmbedder, MiniLm};

use crate::harness::app::TestApp;
use crate::harness::fixtures::store;
use crate::harness::on_both_engines;

const SPARSE_ABSTRACT: &str = "Transformers struggle with long documents because attention grows \
    quadratically with length. We propose sparse attention with learned block patterns for long \
    documents. Sparse attention keeps the accuracy of dense attention on long document benchmarks \
    while it halves the memory. The weather was pleasant on most days of the year.";

fn paper(id: &str, title: &str, summary: &str) -> Paper {
    RawPaper {
        id: Some(id.into()),
        title: Some(title.into()),
        summary: Some(summary.into()),
        authors: vec!["Ada Lovelace".into()],
        categories: vec!["cs.CL".into()],
        announce_date: "2026-05-11".parse().ok(),
        ..RawPaper::default()
    }
    .validate()
    .unwrap()
}

async fn run(db: &Db, limit: Option<u64>) -> (u64, u64) {
    let embedder: Arc<dyn Embedder> = Arc::new(HashEmbedder::default());
    let report =
        annotate_catalog(db, embedder, limit, &Progress::records(false, "annotating")).await.unwrap();
    (report.due, report.annotated)
}

async fn papers_get_keywords_and_a_tldr_shown_as_automatic(db: &Db) {
    store(
        db,
        vec![
            paper("2605.00101", "Sparse attention for long documents", SPARSE_ABSTRACT),
            paper(
                "2605.00102",
                "Graph networks for molecules",
                "Molecules are graphs of atoms and bonds. \
            Graph neural networks learn molecular properties from these graphs of atoms. We train graph \
            networks on small molecules and test them on larger ones.",
            ),
        ],
    )
    .await;
    assert_eq!(run(db, None).await, (2, 2));
    assert_eq!(run(db, None).await, (0, 0), "a second run finds nothing due");

    let ids = vec!["2605.00101".to_owned()];
    let stored = db.annotations(&ids).await.unwrap().remove("2605.00101").unwrap();
    let methods = Methods::of(HashEmbedder::MODEL);
    assert_eq!(
        (stored.keywords_method.as_str(), stored.summary_method.as_str()),
        (methods.keywords.as_str(), methods.summary.as_str())
    );
    assert!(!stored.keywords.is_empty() && stored.keywords.len() <= 5, "{:?}", stored.keywords);
    let text = format!("Sparse attention for long documents {SPARSE_ABSTRACT}").to_lowercase();
    for keyword in &stored.keywords {
        assert!(text.contains(&keyword.to_lowercase()), "{keyword} is a phrase of the paper");
    }
    assert!(SPARSE_ABSTRACT.contains(stored.summary.as_str()), "one of its sentences: {}", stored.summary);
    assert!(!stored.summary.contains("weather"), "the sentence off the subject is not the TL;DR");

    // A changed abstract is annotated again; new papers are, the newest first within a limit.
    store(
        db,
        vec![paper(
            "2605.00101",
            "Sparse attention for long documents",
            "Sparse attention for long documents, in one sentence of enough words.",
        )],
    )
    .await;
    store(
        db,
        vec![
            paper("2605.00103", "Third paper about caches", "Caches make memory fast for programs today."),
            paper("2605.00104", "Fourth paper about queues", "Queues keep work in order for programs today."),
        ],
    )
    .await;
    assert_eq!(run(db, Some(1)).await, (3, 1));
    let done = db.annotations(&["2605.00103".into(), "2605.00104".into()]).await.unwrap();
    assert_eq!(done.keys().collect::<Vec<_>>(), ["2605.00104"], "the newest first");
    assert_eq!(run(db, None).await, (2, 2));
    let changed = db.annotations(&ids).await.unwrap().remove("2605.00101").unwrap();
    assert_eq!(changed.summary, "Sparse attention for long documents, in one sentence of enough words.");

    let app = TestApp::new(db).await;
    let page = app.get("/papers/2605.00101").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("<strong>TL;DR</strong> Sparse attention for long documents, in one sentence"),
        "{}",
        page.text
    );
    assert!(page.text.contains("Automatic: the abstract&#39;s sentence closest in meaning to the whole paper, by paperboy-hash-v1."), "{}", page.text);
    let first = &changed.keywords[0];
    let link = format!("href=\"/search?q=%22{}%22\" rel=\"tag\">{first}</a>", first.replace(' ', "+"));
    assert!(page.text.contains(&link), "{link} in {}", page.text);

    let json = app.get("/api/papers/2605.00101").await.json();
    assert_eq!(json["ai_summary"], changed.summary.as_str());
    assert_eq!(json["ai_keywords"], serde_json::json!(changed.keywords));
    assert_eq!(json["aiSummaryMethod"], methods.summary.as_str());
    assert_eq!(json["aiKeywordsMethod"], methods.keywords.as_str());
    let day = app.get("/api/daily_papers?date=2026-05-11").await.json();
    let listed = day.as_array().unwrap().iter().find(|item| item["paper"]["id"] == "2605.00102").unwrap();
    assert!(listed["paper"]["ai_keywords"].is_array(), "lists carry them too: {listed}");

    // A paper not annotated yet has neither, on the page or in the API.
    store(
        db,
        vec![paper("2605.00105", "Fresh paper about caches", "Caches again for programs today, twice.")],
    )
    .await;
    let json = app.get("/api/papers/2605.00105").await.json();
    assert!(json.get("ai_summary").is_none() && json.get("ai_keywords").is_none(), "{json}");
    assert!(!app.get("/papers/2605.00105").await.text.contains("TL;DR"));
}

on_both_engines!(papers_get_keywords_and_a_tldr_shown_as_automatic);

/// The real model's keywords and TL;DR of a real abstract (the sample's first paper).
#[test]
fn the_real_model_chooses_keywords_and_a_tldr_a_reader_would() {
    let Some(dir) = std::env::var_os("PAPERBOY_TEST_MODEL_DIR") else {
        eprintln!(
            "*** SKIPPED: PAPERBOY_TEST_MODEL_DIR is not set, so the model's annotations are NOT checked ***"
        );
        return;
    };
    let model = MiniLm::load(std::path::Path::new(&dir)).unwrap();
    let title = "Simulation of prosthetic vision with PRIMA system and enhancement of face representation";
    let summary = "Objective. Patients implanted with the PRIMA photovoltaic subretinal prosthesis in \
        geographic atrophy report form vision with the average acuity matching the 100um pixel size. \
        Although this remarkable outcome enables them to read and write, they report difficulty with \
        perceiving faces. This paper provides a novel, non-pixelated algorithm for simulating prosthetic \
        vision the way it is experienced by PRIMA patients, compares the algorithm's predictions to \
        clinical perceptual outcomes, and offers computer vision and machine learning (ML) methods to \
        improve face representation. Approach. Our simulation algorithm integrates a grayscale filter, \
        spatial resolution filter, and contrast filter. Main results. Simulated prosthetic vision matches \
        the maximum letter acuity observed in clinical studies as well as patients' subjective \
        descriptions.";
    let made = annotate(&model, &[PaperText { title, summary, vector: None }]).unwrap().remove(0);
    eprintln!("keywords: {:?}\nTL;DR: {}", made.keywords, made.summary);
    assert_eq!(made.keywords.len(), 5);
    assert!(made.keywords.iter().any(|k| k.contains("prosthetic vision")), "{:?}", made.keywords);
    assert!(
        made.summary.starts_with("This paper provides a novel, non-pixelated algorithm"),
        "{}",
        made.summary
    );
}

/// A worker with a model annotates new papers in the background.
#[tokio::test]
async fn a_worker_with_a_model_embeds_and_annotates_new_papers() {
    let test_db = crate::harness::TestDb::sqlite().await;
    let db = &test_db.db;
    store(db, vec![paper("2605.00101", "Sparse attention for long documents", SPARSE_ABSTRACT)]).await;
    let arxiv = paperboy_arxiv::client::ArxivClient::new(Default::default()).unwrap();
    let model: Arc<dyn Embedder> = Arc::new(HashEmbedder::default());
    let config = WorkerConfig {
        embed: Some(model.clone()),
        annotate: Some(Annotator(model.clone())),
        poll: Duration::from_millis(50),
        ..WorkerConfig::new(arxiv, FeatureRules::default())
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(run_worker(db.clone(), config, async move { stopped.await.unwrap_or(()) }));
    let started = Instant::now();
    while db.annotations(&["2605.00101".into()]).await.unwrap().is_empty()
        || db.embedding(model.model(), "2605.00101").await.unwrap().is_none()
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the worker never embedded and annotated the paper"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(()).unwrap();
    worker.await.unwrap().unwrap();
}

#[test]
fn annotating_without_a_model_says_how_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["annotate"][..], &["worker", "--annotate"]] {
        let output = crate::harness::paperboy(dir.path(), args);
        let stderr = crate::harness::text(&output.stderr);
        assert!(!output.status.success(), "{args:?}");
        assert!(
            stderr.contains("needs a model: pass --model DIR or set PAPERBOY_MODEL_DIR"),
            "{args:?}: {stderr}"
        );
    }
}

/// The vector semantic search stored for a paper's current text is the paper's vector here too;
/// one of an older text is not.
#[tokio::test]
async fn a_stored_vector_of_the_same_text_is_used_not_computed_again() {
    let test_db = crate::harness::TestDb::sqlite().await;
    let db = &test_db.db;
    store(
        db,
        vec![
            paper("2605.00101", "Sparse attention for long documents", SPARSE_ABSTRACT),
            paper("2605.00102", "Sparse attention for long documents", SPARSE_ABSTRACT),
        ],
    )
    .await;
    let embedder = HashEmbedder::default();
    // A stand-in vector that points at the weather: the sentence closest to it is the TL;DR.
    let weather = embedder.embed(&["The weather was pleasant on most days of the year."]).unwrap().remove(0);
    let text = paper_text("Sparse attention for long documents", SPARSE_ABSTRACT);
    let rows = vec![
        NewEmbedding {
            paper_id: "2605.00101".into(),
            text_hash: text_hash(&text),
            vector: weather.clone(),
            paper_seq: 0,
        },
        NewEmbedding {
            paper_id: "2605.00102".into(),
            text_hash: "an older text".into(),
            vector: weather,
            paper_seq: 0,
        },
    ];
    db.store_embeddings(HashEmbedder::MODEL, &rows).await.unwrap();
    assert_eq!(run(db, None).await, (2, 2));
    let made = db.annotations(&["2605.00101".into(), "2605.00102".into()]).await.unwrap();
    assert!(made["2605.00101"].summary.contains("weather"), "the stored vector was used");
    assert!(!made["2605.00102"].summary.contains("weather"), "a vector of an older text was not");
}
