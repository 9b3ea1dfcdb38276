//! Search over the catalog: the keyword index follows the database on both engines, a second
//! index catches up on its own, a bulk catch-up ends in one segment, a following server makes
//! new papers searchable within seconds, and an arXiv id puts its paper first.

use std::sync::Arc;
use std::time::{Duration, Instant};

use paperboy::db::Db;
use paperboy::progress::Progress;
use paperboy::search::follow::{self, Indexed};
use paperboy::search::{Mode, Search, SearchRequest, Shown};
use paperboy_search::{SearchIndex, parse};

use crate::harness::{on_both_engines, paper};

fn quiet() -> Progress {
    Progress::records(false, "indexing")
}

fn found(index: &SearchIndex, query: &str) -> Vec<String> {
    index.search(&parse(query), 0, 10).unwrap().hits.into_iter().map(|h| h.id).collect()
}

async fn the_index_follows_the_catalog_and_a_second_index_catches_up(db: &Db) {
    db.upsert_papers(vec![paper("2503.00001", "Sparse attention"), paper("2503.00002", "Graph networks")])
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    let (writer, done) = follow::catch_up(db, &index, index.writer(1).unwrap(), &quiet()).await.unwrap();
    assert_eq!(done, 2);
    assert_eq!(found(&index, "sparse"), ["2503.00001"]);
    assert_eq!(index.cursor().unwrap(), db.latest_paper_change().await.unwrap());

    // A new version changes the title; nothing else is re-indexed.
    let mut renamed = paper("2503.00001", "Dense attention");
    renamed.version = Some(2);
    db.upsert_papers(vec![renamed, paper("2503.00002", "Graph networks")]).await.unwrap();
    let (writer, done) = follow::catch_up(db, &index, writer, &quiet()).await.unwrap();
    assert_eq!(done, 1);
    assert!(found(&index, "sparse").is_empty());
    assert_eq!(found(&index, "dense"), ["2503.00001"]);
    assert_eq!(index.len(), 2);
    drop(writer);

    // Another process with its own index (a second server on the same PostgreSQL) starts from
    // nothing and catches up by itself.
    let other_dir = tempfile::tempdir().unwrap();
    let other = SearchIndex::open(other_dir.path()).unwrap();
    let (_, done) = follow::catch_up(db, &other, other.writer(1).unwrap(), &quiet()).await.unwrap();
    assert_eq!(done, 2);
    assert_eq!(found(&other, "dense"), ["2503.00001"]);

    // Reopening the first index resumes from its recorded position: nothing to do.
    let reopened = SearchIndex::open(dir.path()).unwrap();
    let (_, done) = follow::catch_up(db, &reopened, reopened.writer(1).unwrap(), &quiet()).await.unwrap();
    assert_eq!(done, 0);
}

async fn a_bulk_catch_up_leaves_one_segment_and_later_ones_merge_as_usual(db: &Db) {
    let papers: Vec<_> = (1..=follow::BULK_LOAD)
        .map(|n| paper(&format!("2503.{n:05}"), &format!("Bulk loaded study {n}")))
        .collect();
    db.upsert_papers(papers).await.unwrap();
    let index = SearchIndex::in_memory().unwrap();
    let (writer, done) = follow::catch_up(db, &index, index.writer(1).unwrap(), &quiet()).await.unwrap();
    assert_eq!((done, index.len(), index.segments()), (follow::BULK_LOAD, follow::BULK_LOAD, 1));
    assert_eq!(index.search(&parse("bulk"), 0, 1).unwrap().total, follow::BULK_LOAD as usize);

    // A small catch-up afterwards is not a bulk load: it adds a segment, and is searchable.
    db.upsert_papers(vec![paper("2503.20001", "Quantum error correction")]).await.unwrap();
    let (_, done) = follow::catch_up(db, &index, writer, &quiet()).await.unwrap();
    assert_eq!((done, index.segments()), (1, 2));
    assert_eq!(found(&index, "quantum"), ["2503.20001"]);
}

async fn a_following_server_makes_new_papers_searchable_within_seconds(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let index = Arc::new(SearchIndex::open(dir.path()).unwrap());
    let follower = tokio::spawn(follow::follow(db.clone(), index.clone(), index.writer(1).unwrap()));
    db.upsert_papers(vec![paper("2503.00003", "Quantum error correction")]).await.unwrap();
    let started = Instant::now();
    while found(&index, "quantum").is_empty() {
        assert!(started.elapsed() < Duration::from_secs(10), "not searchable after 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    follower.abort();
}

async fn commands_index_what_they_store_unless_a_server_holds_the_writer(db: &Db) {
    let data_dir = tempfile::tempdir().unwrap();
    db.upsert_papers(vec![paper("2503.00004", "Protein folding")]).await.unwrap();
    assert_eq!(follow::index_now(db, data_dir.path(), false).await.unwrap(), Indexed::Papers(1));
    assert_eq!(follow::index_now(db, data_dir.path(), false).await.unwrap(), Indexed::Papers(0));

    let index = SearchIndex::open(&follow::index_dir(data_dir.path())).unwrap();
    let _server_writer = index.writer(1).unwrap();
    db.upsert_papers(vec![paper("2503.00005", "Protein design")]).await.unwrap();
    assert_eq!(follow::index_now(db, data_dir.path(), false).await.unwrap(), Indexed::ByOtherProcess);
}

async fn an_arxiv_id_or_url_puts_its_paper_first(db: &Db) {
    let papers: Vec<_> =
        (1..=5).map(|n| paper(&format!("2503.0001{n}"), &format!("Attention study number {n}"))).collect();
    db.upsert_papers(papers).await.unwrap();
    let index = Arc::new(SearchIndex::in_memory().unwrap());
    follow::catch_up(db, &index, index.writer(1).unwrap(), &quiet()).await.unwrap();
    let search = Search::new(index);
    for query in ["2503.00014", "https://arxiv.org/abs/2503.00014v2", "arXiv:2503.00014"] {
        let request =
            SearchRequest { query: query.into(), mode: Mode::Keyword, limit: 3, ..SearchRequest::default() };
        let results = search.search(db, &request).await.unwrap();
        assert_eq!(results.hits[0].paper.paper.id.as_str(), "2503.00014", "{query}");
        assert!(results.hits[0].score.is_infinite());
    }
    let request = SearchRequest { query: "attention".into(), limit: 2, ..SearchRequest::default() };
    let results = search.search(db, &request).await.unwrap();
    assert_eq!((results.hits.len(), results.total, results.mode), (2, 5, Mode::Keyword));
    assert!(results.hits[0].title_html.contains("<mark>Attention</mark>"));
    assert!(results.notices.iter().any(|n| n.contains("semantic search is off")));
    // Without highlights (the API's way), the same papers with plain escaped text.
    let plain = SearchRequest {
        query: "attention".into(),
        limit: 2,
        shown: Shown::ITEMS,
        ..SearchRequest::default()
    };
    let plain = search.search(db, &plain).await.unwrap();
    let ids = |hits: &[paperboy::search::SearchHit]| {
        hits.iter().map(|h| h.paper.paper.id.clone()).collect::<Vec<_>>()
    };
    assert_eq!(ids(&plain.hits), ids(&results.hits));
    assert_eq!(plain.hits[0].title_html, plain.hits[0].paper.paper.title);
    assert_eq!(plain.total, 2, "items alone: only the ranked papers are counted");
    // Papers shown at a catalog version are kept for it; a newer version shows a change.
    let at = |version| SearchRequest {
        query: "attention".into(),
        limit: 2,
        shown: Shown::ITEMS,
        catalog_version: Some(version),
        ..SearchRequest::default()
    };
    let before = db.catalog_version().await.unwrap();
    let kept = search.search(db, &at(before)).await.unwrap();
    let mut revised = kept.hits[0].paper.paper.clone();
    revised.title = format!("{} (revised)", revised.title);
    db.upsert_papers(vec![revised.clone()]).await.unwrap();
    let after = db.catalog_version().await.unwrap();
    assert!(after > before);
    let again = search.search(db, &at(before)).await.unwrap();
    assert_eq!(again.hits[0].paper.paper.title, kept.hits[0].paper.paper.title, "kept for its version");
    let newer = search.search(db, &at(after)).await.unwrap();
    assert_eq!(newer.hits[0].paper.paper.title, revised.title);
    let older = search.search(db, &at(before)).await.unwrap();
    assert_eq!(older.hits[0].paper.paper.title, revised.title, "an older version reads the database");
    // A misspelt word is matched to the words it resembles, and the reader is told.
    let request = SearchRequest { query: "atention".into(), mode: Mode::Keyword, ..SearchRequest::default() };
    let results = search.search(db, &request).await.unwrap();
    assert_eq!(results.total, 5);
    assert_eq!(results.notices, ["no paper contains \"atention\": matched similar words"]);
}

on_both_engines!(
    the_index_follows_the_catalog_and_a_second_index_catches_up,
    a_bulk_catch_up_leaves_one_segment_and_later_ones_merge_as_usual,
    a_following_server_makes_new_papers_searchable_within_seconds,
    commands_index_what_they_store_unless_a_server_holds_the_writer,
    an_arxiv_id_or_url_puts_its_paper_first,
);

/// Papers on two topics, with abstracts that share words within a topic.
fn topical_papers() -> Vec<paperboy_arxiv::Paper> {
    let mut papers = Vec::new();
    for (n, title) in [
        "Protein structure prediction with deep learning",
        "Protein folding dynamics from language models",
        "Predicting protein structures from sequences",
        "Dark matter halos in dwarf galaxies",
        "Galaxy rotation curves and dark matter",
    ]
    .iter()
    .enumerate()
    {
        let mut p = paper(&format!("2503.0010{n}"), title);
        p.summary = format!("{title}. We study {title} in detail.");
        if title.contains("alax") {
            p.categories = vec!["astro-ph.GA".into()];
        }
        papers.push(p);
    }
    papers
}

/// The ids of the first five results of `query` in `mode`.
async fn hit_ids(search: &Search, db: &Db, query: &str, mode: Mode) -> Vec<String> {
    let request = SearchRequest { query: query.into(), mode, limit: 5, ..SearchRequest::default() };
    let results = search.search(db, &request).await.unwrap();
    results.hits.iter().map(|h| h.paper.paper.id.as_str().to_owned()).collect()
}

async fn semantic_and_hybrid_search_and_similar_papers(db: &Db) {
    db.upsert_papers(topical_papers()).await.unwrap();
    let embedder: Arc<dyn paperboy_embed::Embedder> = Arc::new(paperboy_embed::HashEmbedder::new(64));
    // At most 3 in a run (as the worker's job limits itself), the rest in the next.
    let report =
        paperboy::search::embedding::embed_catalog(db, embedder.clone(), 2, Some(3), &quiet()).await.unwrap();
    assert_eq!((report.papers, report.embedded), (5, 3));
    let report =
        paperboy::search::embedding::embed_catalog(db, embedder.clone(), 2, None, &quiet()).await.unwrap();
    assert_eq!((report.papers, report.embedded), (5, 2));
    // Another run embeds nothing: every text is unchanged.
    let again =
        paperboy::search::embedding::embed_catalog(db, embedder.clone(), 2, None, &quiet()).await.unwrap();
    assert_eq!(again.embedded, 0);
    // A newer version with another abstract is embedded again; one with the same text is not.
    let mut revised = paper("2503.00104v2", "Galaxy rotation curves and dark matter");
    revised.summary = "Galaxy rotation curves and dark matter. Revised.".into();
    revised.categories = vec!["astro-ph.GA".into()];
    let mut same = paper("2503.00103v2", "Dark matter halos in dwarf galaxies");
    same.summary =
        "Dark matter halos in dwarf galaxies. We study Dark matter halos in dwarf galaxies in detail.".into();
    same.categories = vec!["astro-ph.GA".into()];
    db.upsert_papers(vec![revised, same]).await.unwrap();
    let revised =
        paperboy::search::embedding::embed_catalog(db, embedder.clone(), 2, None, &quiet()).await.unwrap();
    assert_eq!((revised.papers, revised.embedded), (5, 1));
    // The unchanged one was marked current: nothing is read again.
    assert_eq!(db.count_texts_to_embed(embedder.model()).await.unwrap(), 0);
    // A text that changes while its old version is being embedded is embedded again next time:
    // the vector records the version of the paper it was read at.
    let mut read = paper("2503.00104v3", "Galaxy rotation curves and dark matter");
    read.summary = "Galaxy rotation curves and dark matter, read for embedding.".into();
    read.categories = vec!["astro-ph.GA".into()];
    let mut newer = read.clone();
    newer.version = Some(4);
    newer.summary = "Galaxy rotation curves and dark matter, rewritten meanwhile.".into();
    db.upsert_papers(vec![read]).await.unwrap();
    let read = db.texts_to_embed(embedder.model(), "2503.00103", 1).await.unwrap().remove(0);
    db.upsert_papers(vec![newer]).await.unwrap();
    let old_text = paperboy::search::embedding::paper_text(&read.title, &read.summary);
    let stored = paperboy::db::embeddings::NewEmbedding {
        paper_id: read.id.clone(),
        text_hash: paperboy::search::embedding::text_hash(&old_text),
        vector: embedder.embed(&[old_text.as_str()]).unwrap().remove(0),
        paper_seq: read.change_seq,
    };
    db.store_embeddings(embedder.model(), &[stored]).await.unwrap();
    let again =
        paperboy::search::embedding::embed_catalog(db, embedder.clone(), 2, None, &quiet()).await.unwrap();
    assert_eq!((read.id.as_str(), again.embedded), ("2503.00104", 1));

    let index = Arc::new(SearchIndex::in_memory().unwrap());
    follow::catch_up(db, &index, index.writer(1).unwrap(), &quiet()).await.unwrap();
    let vectors_dir = tempfile::tempdir().unwrap();
    let semantic = Arc::new(
        paperboy::search::semantic::Semantic::open(embedder.clone(), Some(vectors_dir.path())).await.unwrap(),
    );
    assert_eq!(semantic.catch_up(db).await.unwrap(), 5);
    assert_eq!(semantic.len(), 5);
    let search = Search::with_semantic(index, semantic.clone());

    for mode in [Mode::Semantic, Mode::Hybrid] {
        let request =
            SearchRequest { query: "protein structure".into(), mode, limit: 3, ..SearchRequest::default() };
        let results = search.search(db, &request).await.unwrap();
        assert_eq!(results.mode, mode);
        assert!(results.notices.is_empty(), "{:?}", results.notices);
        let ids: Vec<&str> = results.hits.iter().map(|h| h.paper.paper.id.as_str()).collect();
        assert!(
            ids.iter().all(|id| ["2503.00100", "2503.00101", "2503.00102"].contains(id)),
            "{mode}: {ids:?}"
        );
        // Filters hold for semantic candidates too.
        let request = SearchRequest {
            query: "protein dark matter cat:astro-ph".into(),
            mode,
            limit: 5,
            ..SearchRequest::default()
        };
        let results = search.search(db, &request).await.unwrap();
        assert!(!results.hits.is_empty());
        assert!(results.hits.iter().all(|h| h.paper.paper.categories[0] == "astro-ph.GA"), "{mode}");
    }

    // Exclusions and phrases are judged as keyword search judges them: `-dyn` does not drop
    // "dynamics" by substring, and a phrase matches across stemming.
    let ids = hit_ids(&search, db, "protein -dyn", Mode::Hybrid).await;
    assert!(ids.contains(&"2503.00101".to_owned()), "{ids:?}");
    let ids = hit_ids(&search, db, r#""predicting protein structure""#, Mode::Semantic).await;
    assert_eq!(ids, ["2503.00102"]);
    // An id names one paper: no semantic neighbours of the id's digits.
    let request = SearchRequest {
        query: "2503.00104".into(),
        mode: Mode::Hybrid,
        limit: 5,
        ..SearchRequest::default()
    };
    let results = search.search(db, &request).await.unwrap();
    assert_eq!((results.mode, results.hits[0].paper.paper.id.as_str()), (Mode::Keyword, "2503.00104"));

    let id: paperboy_arxiv::ArxivId = "2503.00103".parse().unwrap();
    let similar = search.similar(db, &id, 2).await.unwrap();
    assert_eq!(similar.len(), 2);
    assert_eq!(similar[0].paper.paper.id.as_str(), "2503.00104");
    assert!(similar.iter().all(|h| h.paper.paper.id != id));

    // A new paper's vector reaches the index through the catch-up, and a restart loads it.
    let mut new = paper("2503.00105", "Protein design with diffusion");
    new.summary = "Protein design with diffusion models for protein structure.".into();
    db.upsert_papers(vec![new]).await.unwrap();
    paperboy::search::embedding::embed_catalog(db, embedder.clone(), 8, None, &quiet()).await.unwrap();
    assert_eq!(semantic.catch_up(db).await.unwrap(), 1);
    assert_eq!(semantic.len(), 6);
}

on_both_engines!(semantic_and_hybrid_search_and_similar_papers);

#[tokio::test]
async fn the_vector_graph_is_built_grown_saved_and_loaded_at_restart() {
    let test = crate::harness::TestDb::sqlite().await;
    let db = &test.db;
    let study = |n: u32| {
        let mut p = paper(&format!("2503.{n:05}"), &format!("Study {n} of topic {}", n % 37));
        p.summary = format!("Topic {} and method {} in study {n}.", n % 37, n % 11);
        p
    };
    db.upsert_papers((1..=2_100).map(study).collect()).await.unwrap();
    let embedder: Arc<dyn paperboy_embed::Embedder> = Arc::new(paperboy_embed::HashEmbedder::new(32));
    paperboy::search::embedding::embed_catalog(db, embedder.clone(), 256, None, &quiet()).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let semantic =
        paperboy::search::semantic::Semantic::open(embedder.clone(), Some(dir.path())).await.unwrap();
    assert_eq!(semantic.catch_up(db).await.unwrap(), 2_100);
    assert_eq!(semantic.maintain().await.unwrap(), 0, "far more pending than in the graph: a build");
    let query = embedder.embed(&["Topic 5 and method 3"]).unwrap().remove(0);
    let before = semantic.search_vector(&query, 5).unwrap();
    assert_eq!(before.len(), 5);

    let restarted =
        paperboy::search::semantic::Semantic::open(embedder.clone(), Some(dir.path())).await.unwrap();
    assert_eq!(restarted.len(), 2_100, "the saved graph is loaded");
    assert_eq!(restarted.catch_up(db).await.unwrap(), 0, "and its cursor says nothing is new");
    assert_eq!(restarted.search_vector(&query, 5).unwrap(), before);

    // New papers are grown into the loaded graph, one at a time, without a rebuild.
    db.upsert_papers((2_101..=2_140).map(study).collect()).await.unwrap();
    paperboy::search::embedding::embed_catalog(db, embedder.clone(), 256, None, &quiet()).await.unwrap();
    assert_eq!(restarted.catch_up(db).await.unwrap(), 40);
    assert_eq!(restarted.maintain().await.unwrap(), 40);
    assert_eq!(restarted.maintain().await.unwrap(), 0, "nothing left to grow");
    let text = paperboy::search::embedding::paper_text(
        "Study 2140 of topic 31",
        "Topic 31 and method 6 in study 2140.",
    );
    let newest = embedder.embed(&[text.as_str()]).unwrap();
    let found = restarted.search_vector(&newest[0], 1).unwrap();
    assert_eq!(found[0].id, "2503.02140");

    // A damaged file is not trusted: the index starts empty and catches up from the database.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "vectors") {
            std::fs::write(&path, b"not a vector index").unwrap();
        }
    }
    let damaged = paperboy::search::semantic::Semantic::open(embedder, Some(dir.path())).await.unwrap();
    assert_eq!(damaged.len(), 0);
    assert_eq!(damaged.catch_up(db).await.unwrap(), 2_140);
}
