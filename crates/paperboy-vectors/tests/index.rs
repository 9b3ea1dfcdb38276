//! The index as its callers use it: recall against exact search, insert/replace/remove,
//! saving and loading, and refusing bad input.

use paperboy_vectors::synthetic::{Mixture, SyntheticSpec};
use paperboy_vectors::{IndexParams, VectorError, VectorIndex, exact_search};

const DIM: usize = 384;

fn mixture() -> Mixture {
    Mixture::new(SyntheticSpec { dim: DIM, topics: 40, seed: 11 })
}

fn keyed(vectors: Vec<Vec<f32>>) -> Vec<(u64, Vec<f32>)> {
    (1000u64..).zip(vectors).collect()
}

fn keys(hits: &[(u64, f32)]) -> Vec<u64> {
    hits.iter().map(|(key, _)| *key).collect()
}

fn unit(dim: usize, axis: usize) -> Vec<f32> {
    let mut v = vec![0.0; dim];
    v[axis] = 1.0;
    v
}

#[test]
fn recall_at_10_is_at_least_095_against_exact_search() {
    let mixture = mixture();
    let base = keyed(mixture.base(2_000));
    let index = VectorIndex::build(DIM, base.clone()).expect("valid vectors");
    let queries = mixture.queries(50);
    let mut hits = 0;
    for query in &queries {
        let expected = keys(&exact_search(&base, query, 10));
        let found = keys(&index.search(query, 10).expect("valid query"));
        hits += expected.iter().filter(|key| found.contains(key)).count();
    }
    let recall = hits as f64 / (queries.len() * 10) as f64;
    assert!(recall >= 0.95, "recall@10 = {recall}");
}

#[test]
fn scores_are_cosine_similarities_best_first() {
    let base = keyed(mixture().base(300));
    let index = VectorIndex::build(DIM, base.clone()).expect("valid vectors");
    let (key, vector) = &base[17];
    let hits = index.search(vector, 5).expect("valid query");
    assert_eq!(hits[0].0, *key);
    assert!((hits[0].1 - 1.0).abs() < 1e-3, "self-similarity {}", hits[0].1);
    assert!(hits.windows(2).all(|pair| pair[0].1 >= pair[1].1));
    for (hit_key, score) in &hits {
        let exact: f32 = base
            .iter()
            .find(|(k, _)| k == hit_key)
            .map(|(_, v)| v.iter().zip(vector).map(|(a, b)| a * b).sum())
            .expect("hit is a base key");
        assert!((exact - score).abs() < 0.02, "{exact} vs {score}");
    }
}

#[test]
fn insert_adds_to_an_empty_index() {
    let mut index = VectorIndex::new(4);
    assert!(index.is_empty());
    assert!(index.search(&unit(4, 0), 3).expect("valid query").is_empty());
    index.insert(7, &unit(4, 0)).expect("valid vector");
    index.insert(8, &unit(4, 1)).expect("valid vector");
    assert_eq!(index.len(), 2);
    assert_eq!(keys(&index.search(&unit(4, 1), 1).expect("valid query")), [8]);
}

#[test]
fn insert_replaces_the_vector_of_an_existing_key() {
    let base: Vec<(u64, Vec<f32>)> = (0..8).map(|axis| (axis as u64, unit(8, axis))).collect();
    let mut index = VectorIndex::build(8, base).expect("valid vectors");
    // Key 3 (in the graph) is re-embedded onto axis 7's direction.
    index.insert(3, &unit(8, 7)).expect("valid vector");
    assert_eq!(index.len(), 8);
    let near_axis_3 = index.search(&unit(8, 3), 8).expect("valid query");
    assert!(near_axis_3.iter().all(|(_, score)| *score < 0.5), "{near_axis_3:?}");
    let mut near_axis_7 = keys(&index.search(&unit(8, 7), 2).expect("valid query"));
    near_axis_7.sort_unstable();
    assert_eq!(near_axis_7, [3, 7]);
    // Replacing a pending vector again keeps one entry.
    index.insert(3, &unit(8, 3)).expect("valid vector");
    assert_eq!(index.len(), 8);
    assert_eq!(keys(&index.search(&unit(8, 3), 1).expect("valid query")), [3]);
}

#[test]
fn removed_keys_never_come_back() {
    let mut index = VectorIndex::build(8, (0..8).map(|a| (a as u64, unit(8, a)))).expect("valid");
    index.insert(100, &unit(8, 0)).expect("valid vector");
    index.insert(101, &unit(8, 1)).expect("valid vector");
    index.remove(0);
    index.remove(100);
    index.remove(12345);
    assert_eq!(index.len(), 8);
    let all = keys(&index.search(&unit(8, 0), 100).expect("valid query"));
    assert_eq!(all.len(), 8);
    assert!(!all.contains(&0) && !all.contains(&100));
    assert!(all.contains(&101), "the pending vector moved by swap_remove is still found");
}

#[test]
fn search_returns_k_live_results_when_most_of_the_graph_is_stale() {
    let base = keyed(mixture().base(400));
    let mut index =
        VectorIndex::build_with(DIM, IndexParams { ef_construction: 40, ef_search: 20 }, base.clone())
            .expect("valid vectors");
    let query = &base[0].1.clone();
    let nearest = keys(&index.search(query, 20).expect("valid query"));
    for key in &nearest {
        index.remove(*key);
    }
    let after = index.search(query, 10).expect("valid query");
    assert_eq!(after.len(), 10);
    assert!(after.iter().all(|(key, _)| !nearest.contains(key)));
    let live: Vec<(u64, Vec<f32>)> = base.into_iter().filter(|(key, _)| !nearest.contains(key)).collect();
    let expected = keys(&exact_search(&live, query, 10));
    let overlap = keys(&after).iter().filter(|key| expected.contains(key)).count();
    // The exhaustive fallback scores int8 vectors: near-ties may swap at the tenth place.
    assert!(overlap >= 9, "{overlap} of 10 exact neighbours");
}

#[test]
fn rebuilt_keeps_exactly_the_live_vectors() {
    let base = keyed(mixture().base(300));
    let mut index = VectorIndex::build(DIM, base.clone()).expect("valid vectors");
    index.remove(base[0].0);
    index.insert(base[1].0, &base[2].1).expect("valid vector");
    index.insert(9, &base[3].1).expect("valid vector");
    assert_eq!((index.pending_len(), index.stale_len()), (2, 2), "two pending vectors, two stale nodes");
    let rebuilt = index.rebuilt();
    assert_eq!((rebuilt.pending_len(), rebuilt.stale_len()), (0, 0));
    assert_eq!(rebuilt.len(), index.len());
    for (_, vector) in base.iter().skip(1).take(20) {
        let mut before = keys(&index.search(vector, 3).expect("valid query"));
        let mut after = keys(&rebuilt.search(vector, 3).expect("valid query"));
        before.sort_unstable();
        after.sort_unstable();
        assert_eq!(before, after);
    }
}

fn recall_at_10(index: &VectorIndex, live: &[(u64, Vec<f32>)], queries: &[Vec<f32>]) -> f64 {
    let mut hits = 0;
    for query in queries {
        let expected = keys(&exact_search(live, query, 10));
        let found = keys(&index.search(query, 10).expect("valid query"));
        hits += expected.iter().filter(|key| found.contains(key)).count();
    }
    hits as f64 / (queries.len() * 10) as f64
}

#[test]
fn an_index_grown_to_twice_its_built_size_keeps_recall_at_10_above_095() {
    let mixture = mixture();
    let all = keyed(mixture.base(3_000));
    let mut index = VectorIndex::build(DIM, all[..1_500].to_vec()).expect("valid vectors");
    for (key, vector) in &all[1_500..] {
        index.insert(*key, vector).expect("valid vector");
    }
    assert_eq!(index.grow(), 1_500);
    assert_eq!((index.pending_len(), index.graph_len(), index.len()), (0, 3_000, 3_000));
    let recall = recall_at_10(&index, &all, &mixture.queries(50));
    assert!(recall >= 0.95, "recall@10 = {recall}");
    // Every grown vector is reachable through the graph: its own nearest neighbour.
    for (key, vector) in all[1_500..].iter().step_by(50) {
        assert_eq!(index.search(vector, 1).expect("valid query")[0].0, *key);
    }
}

#[test]
fn a_growth_planned_before_a_change_is_not_applied_after_it() {
    let base = keyed(mixture().base(200));
    let mut index = VectorIndex::build(DIM, base[..100].to_vec()).expect("valid vectors");
    index.insert(base[100].0, &base[100].1).expect("valid vector");
    let planned = index.plan_growth().expect("one pending vector");
    index.insert(base[101].0, &base[101].1).expect("valid vector");
    assert!(!index.apply_growth(planned));
    assert_eq!((index.pending_len(), index.graph_len()), (2, 100));
    let replanned = index.plan_growth().expect("pending vectors");
    assert!(index.apply_growth(replanned));
    assert_eq!((index.pending_len(), index.graph_len()), (1, 101));
    for (key, vector) in &base[100..102] {
        assert_eq!(index.search(vector, 1).expect("valid query")[0].0, *key);
    }
}

#[test]
fn a_replaced_vector_grown_into_the_graph_leaves_its_old_node_stale() {
    let base = keyed(mixture().base(200));
    let mut index = VectorIndex::build(DIM, base.clone()).expect("valid vectors");
    let (key, _) = base[7];
    index.insert(key, &base[150].1).expect("valid vector");
    index.grow();
    assert_eq!((index.len(), index.graph_len(), index.stale_len()), (200, 201, 1));
    let near_new = keys(&index.search(&base[150].1, 2).expect("valid query"));
    assert!(near_new.contains(&key) && near_new.contains(&base[150].0), "{near_new:?}");
    let near_old = keys(&index.search(&base[7].1, 200).expect("valid query"));
    assert_eq!(near_old.iter().filter(|found| **found == key).count(), 1, "the key is found once");
}

#[test]
fn an_index_saved_before_growth_existed_loads_and_grows() {
    // Saved by the index of 2026-12-03 (the graph built by instant-distance 0.6.1): 200
    // vectors of the 16-d mixture below, key 5 removed, key 1000 pending.
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/saved-before-growth.vectors");
    let mixture = Mixture::new(SyntheticSpec { dim: 16, topics: 5, seed: 3 });
    let mut live: Vec<(u64, Vec<f32>)> =
        (0u64..).zip(mixture.base(200)).filter(|(key, _)| *key != 5).collect();
    live.push((1000, mixture.base_range(200..201).remove(0)));
    let mut index = VectorIndex::load(&path).expect("the earlier format loads");
    assert_eq!((index.len(), index.pending_len(), index.stale_len()), (200, 1, 1));
    assert_eq!(index.grow(), 1);
    let queries = mixture.queries(20);
    assert!(recall_at_10(&index, &live, &queries) >= 0.95);
    assert_eq!(index.search(&live[199].1, 1).expect("valid query")[0].0, 1000);
}

#[test]
fn build_keeps_the_last_vector_of_a_repeated_key() {
    let items = vec![(1, unit(4, 0)), (2, unit(4, 1)), (1, unit(4, 2))];
    let index = VectorIndex::build(4, items).expect("valid vectors");
    assert_eq!(index.len(), 2);
    assert_eq!(keys(&index.search(&unit(4, 2), 1).expect("valid query")), [1]);
}

#[test]
fn save_and_load_round_trip_with_pending_and_stale_entries() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("vectors.idx");
    let base = keyed(mixture().base(300));
    let mut index = VectorIndex::build(DIM, base.clone()).expect("valid vectors");
    index.remove(base[5].0);
    index.insert(77, &base[5].1).expect("valid vector");
    index.insert(78, &base[6].1).expect("valid vector");
    index.grow();
    index.insert(79, &base[8].1).expect("valid vector");
    index.save(&path).expect("saved");
    let loaded = VectorIndex::load(&path).expect("loaded");
    assert_eq!(loaded.len(), index.len());
    assert_eq!(loaded.pending_len(), index.pending_len());
    assert_eq!((loaded.graph_len(), loaded.stale_len()), (index.graph_len(), index.stale_len()));
    assert_eq!(loaded.params(), index.params());
    for (_, query) in base.iter().take(30) {
        assert_eq!(
            index.search(query, 10).expect("valid query"),
            loaded.search(query, 10).expect("valid query")
        );
    }
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("listable")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert_eq!(names, ["vectors.idx"], "no temporary file left behind");
}

#[test]
fn truncated_damaged_or_foreign_files_are_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("vectors.idx");
    VectorIndex::build(DIM, keyed(mixture().base(100))).expect("valid vectors").save(&path).expect("saved");
    let good = std::fs::read(&path).expect("readable");

    let mut damaged = good.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x55;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("header only", good[..12].to_vec()),
        ("truncated", good[..good.len() / 3].to_vec()),
        ("missing checksum", good[..good.len() - 2].to_vec()),
        ("one byte flipped", damaged),
        ("trailing garbage", [good.as_slice(), b"x"].concat()),
        ("foreign", b"{\"not\": \"an index\"}".repeat(50)),
    ];
    for (name, bytes) in cases {
        std::fs::write(&path, bytes).expect("writable");
        let result = VectorIndex::load(&path);
        assert!(matches!(result, Err(VectorError::Corrupt { .. })), "{name}: {result:?}");
    }
    assert!(matches!(VectorIndex::load(&dir.path().join("missing")), Err(VectorError::Io { .. })));
}

#[test]
fn bad_vectors_are_errors() {
    let mut index = VectorIndex::new(4);
    assert!(matches!(index.insert(1, &[1.0, 0.0]), Err(VectorError::WrongDimension { expected: 4, got: 2 })));
    assert!(matches!(
        index.insert(1, &[1.0, f32::NAN, 0.0, 0.0]),
        Err(VectorError::NotFinite { position: 1 })
    ));
    assert!(matches!(index.insert(1, &[0.0; 4]), Err(VectorError::Zero)));
    assert!(matches!(index.search(&[1.0; 5], 3), Err(VectorError::WrongDimension { .. })));
    assert!(matches!(
        VectorIndex::build(4, vec![(1, vec![1.0; 4]), (2, vec![f32::INFINITY; 4])]),
        Err(VectorError::NotFinite { .. })
    ));
    assert!(index.is_empty(), "nothing was added by failed inserts");
}
