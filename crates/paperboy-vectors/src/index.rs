//! `VectorIndex`: approximate nearest neighbours by cosine similarity, keyed by caller ids.
//!
//! The graph is an HNSW (`graph`, the build and search of `instant-distance`, chosen by
//! measurement in `bench/ann-compare/README.md`) over int8-quantised vectors (`quantise`).
//! Changes reach it in two steps:
//!
//! - a new or re-embedded key goes to `pending`, a small list searched exhaustively, at once;
//! - the owner then moves pending vectors into the graph one at a time, each planned under `&self`
//!   (the costly search for its neighbours, beside other searches) and applied under `&mut self`
//!   (microseconds): `plan_growth`, `apply_growth`, or `grow` for both;
//! - a removed or replaced key's graph node is marked stale: it still guides searches and is
//!   skipped in results.
//!
//! Searches merge the graph and the pending list. `rebuilt` makes a fresh graph of the live
//! vectors; the owner calls it when stale nodes pile up (a few percent of `len`) or when far more
//! is pending than the graph holds (a parallel build is then cheaper than growing), and swaps the
//! result in, so no search waits for a rebuild. The whole state is saved to one file and loaded
//! without rebuilding.
//!
//! Parameters (see `IndexParams`): the graph degree is fixed at M = 32 (64 links on the bottom
//! layer, which is what lets a modest search effort reach high recall on 384 dimensions);
//! `ef_construction` 100 and `ef_search` 64 gave recall@10 0.98 against exact `f32` search on
//! 100k synthetic embeddings (README of the comparison); raising `ef_construction` mostly costs
//! build time, raising `ef_search` costs query time roughly linearly.
//!
//! Not here: embedding text, deciding when to grow or rebuild, or which papers are indexed.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::VectorError;
use crate::exact::TopK;
use crate::graph::{Graph, Insertion, Search};
use crate::quantise::QuantisedVector;

/// Seed of the graph's random layer assignment: the same input builds the same graph.
const GRAPH_SEED: u64 = 0x7061_7065_7262_6f79;

/// Build and search effort of the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexParams {
    /// Candidates kept while linking a new node: higher builds slower and searches better.
    pub ef_construction: usize,
    /// Candidates kept while searching, fixed at build time; a search returns at most this
    /// many graph results, so it is also the bound on `k` for which the graph alone answers
    /// (larger `k` falls back to an exhaustive scan).
    pub ef_search: usize,
}

impl Default for IndexParams {
    fn default() -> Self {
        Self { ef_construction: 100, ef_search: 64 }
    }
}

/// Where a live key's vector is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Location {
    Graph(u32),
    Pending(u32),
}

/// Everything that is saved; the rest of `VectorIndex` is derived from it on load.
#[derive(Serialize, Deserialize)]
pub(crate) struct State {
    pub(crate) dim: usize,
    pub(crate) params: IndexParams,
    pub(crate) graph: Graph,
    /// Key of each graph point, by point id.
    pub(crate) graph_keys: Vec<u64>,
    /// Graph points whose key was removed or re-embedded since the build.
    pub(crate) stale: Vec<bool>,
    /// Vectors added since the build, searched exhaustively.
    pub(crate) pending: Vec<(u64, QuantisedVector)>,
}

/// An approximate nearest-neighbour index; see the module docs. `Send + Sync`: searches take
/// `&self` and may run on many threads at once.
pub struct VectorIndex {
    state: State,
    locations: HashMap<u64, Location>,
    stale_count: usize,
    /// Counts changes, so that a growth planned before one is not applied after it.
    version: u64,
    /// Reusable search scratch (its visited set is as large as the graph).
    scratch: Mutex<Vec<Search>>,
}

/// One pending vector's way into the graph, planned by [`VectorIndex::plan_growth`].
pub struct Growth {
    key: u64,
    insertion: Insertion,
    version: u64,
}

impl VectorIndex {
    /// An empty index of vectors with `dim` dimensions and default parameters.
    pub fn new(dim: usize) -> Self {
        Self::build_quantised(dim, IndexParams::default(), Vec::new())
    }

    /// Builds an index from `(key, vector)` pairs with default parameters; a later pair with
    /// the same key wins. Uses all cores (rayon).
    pub fn build(dim: usize, items: impl IntoIterator<Item = (u64, Vec<f32>)>) -> Result<Self, VectorError> {
        Self::build_with(dim, IndexParams::default(), items)
    }

    /// `build` with explicit parameters.
    pub fn build_with(
        dim: usize,
        params: IndexParams,
        items: impl IntoIterator<Item = (u64, Vec<f32>)>,
    ) -> Result<Self, VectorError> {
        let mut latest: HashMap<u64, usize> = HashMap::new();
        let mut vectors = Vec::new();
        for (key, vector) in items {
            validate(dim, &vector)?;
            latest.insert(key, vectors.len());
            vectors.push((key, vector));
        }
        let unique: Vec<(u64, QuantisedVector)> = vectors
            .into_par_iter()
            .enumerate()
            .filter(|(position, (key, _))| latest.get(key) == Some(position))
            .map(|(_, (key, vector))| (key, QuantisedVector::new(&vector)))
            .collect();
        Ok(Self::build_quantised(dim, params, unique))
    }

    /// A fresh index holding exactly the live vectors of this one, with no stale nodes and
    /// nothing pending. Takes as long as a build; searches on `self` go on meanwhile.
    pub fn rebuilt(&self) -> Self {
        let graph_live = self.state.graph.iter().filter_map(|(id, vector)| {
            let index = id as usize;
            (!self.state.stale[index]).then(|| (self.state.graph_keys[index], vector.clone()))
        });
        let live = graph_live.chain(self.state.pending.iter().cloned()).collect();
        Self::build_quantised(self.state.dim, self.state.params, live)
    }

    fn build_quantised(dim: usize, params: IndexParams, items: Vec<(u64, QuantisedVector)>) -> Self {
        let (keys, vectors): (Vec<u64>, Vec<QuantisedVector>) = items.into_iter().unzip();
        let (graph, point_ids) = Graph::build(vectors, params.ef_construction, params.ef_search, GRAPH_SEED);
        let mut graph_keys = vec![0; keys.len()];
        for (key, point) in keys.into_iter().zip(point_ids) {
            graph_keys[point as usize] = key;
        }
        let stale = vec![false; graph_keys.len()];
        Self::from_state(State { dim, params, graph, graph_keys, stale, pending: Vec::new() })
    }

    pub(crate) fn from_state(state: State) -> Self {
        let graph_locations = state
            .graph_keys
            .iter()
            .enumerate()
            .filter_map(|(id, key)| (!state.stale[id]).then_some((*key, Location::Graph(id as u32))));
        let pending_locations = state
            .pending
            .iter()
            .enumerate()
            .map(|(position, (key, _))| (*key, Location::Pending(position as u32)));
        let locations = graph_locations.chain(pending_locations).collect();
        let stale_count = state.stale.iter().filter(|stale| **stale).count();
        Self { state, locations, stale_count, version: 0, scratch: Mutex::new(Vec::new()) }
    }

    pub(crate) fn state(&self) -> &State {
        &self.state
    }

    /// Adds `vector` under `key`, or replaces the vector `key` had (a re-embedded paper).
    pub fn insert(&mut self, key: u64, vector: &[f32]) -> Result<(), VectorError> {
        validate(self.state.dim, vector)?;
        let quantised = QuantisedVector::new(vector);
        self.version += 1;
        match self.locations.get(&key).copied() {
            Some(Location::Pending(position)) => {
                self.state.pending[position as usize].1 = quantised;
            }
            Some(Location::Graph(id)) => {
                self.mark_stale(id);
                self.push_pending(key, quantised);
            }
            None => self.push_pending(key, quantised),
        }
        Ok(())
    }

    /// Removes `key` and its vector; an unknown key is no error.
    pub fn remove(&mut self, key: u64) {
        self.version += 1;
        match self.locations.remove(&key) {
            Some(Location::Graph(id)) => self.mark_stale(id),
            Some(Location::Pending(position)) => {
                let position = position as usize;
                self.state.pending.swap_remove(position);
                if let Some((moved_key, _)) = self.state.pending.get(position) {
                    self.locations.insert(*moved_key, Location::Pending(position as u32));
                }
            }
            None => {}
        }
    }

    fn mark_stale(&mut self, id: u32) {
        self.state.stale[id as usize] = true;
        self.stale_count += 1;
    }

    fn push_pending(&mut self, key: u64, vector: QuantisedVector) {
        let position = self.state.pending.len() as u32;
        self.state.pending.push((key, vector));
        self.locations.insert(key, Location::Pending(position));
    }

    /// Plans moving the newest pending vector into the graph: the search for its neighbours,
    /// as long as a search with `ef_construction` candidates. Takes `&self`, so searches go on
    /// meanwhile; `None` when nothing is pending.
    pub fn plan_growth(&self) -> Option<Growth> {
        let (key, vector) = self.state.pending.last()?;
        let mut scratch = (self.take_scratch(), self.take_scratch());
        let insertion =
            self.state.graph.plan_insert(vector.clone(), self.state.params.ef_construction, &mut scratch);
        self.return_scratch(scratch.0);
        self.return_scratch(scratch.1);
        Some(Growth { key: *key, insertion, version: self.version })
    }

    /// Moves the planned vector into the graph, in microseconds. Returns false, changing
    /// nothing, when the index changed after the plan was made (plan again then).
    pub fn apply_growth(&mut self, growth: Growth) -> bool {
        let planned_for_this = self.version == growth.version
            && self.state.pending.last().is_some_and(|(key, _)| *key == growth.key);
        if !planned_for_this {
            return false;
        }
        self.state.pending.pop();
        let id = self.state.graph.apply(growth.insertion);
        self.state.graph_keys.push(growth.key);
        self.state.stale.push(false);
        self.locations.insert(growth.key, Location::Graph(id));
        self.version += 1;
        true
    }

    /// Moves every pending vector into the graph, one after another on this thread; returns
    /// how many. (An owner that serves searches meanwhile plans and applies in turn instead.)
    pub fn grow(&mut self) -> usize {
        let mut grown = 0;
        while let Some(growth) = self.plan_growth() {
            if self.apply_growth(growth) {
                grown += 1;
            }
        }
        grown
    }

    /// The `k` live keys most similar to `query`, best first, scored by cosine similarity
    /// (computed on the int8 vectors, within about 0.01 of the exact cosine).
    ///
    /// Returns `min(k, len())` results: when stale nodes crowd the graph's candidates out, or
    /// `k` exceeds `ef_search`, it falls back to an exhaustive scan rather than return fewer.
    pub fn search(&self, query: &[f32], k: usize) -> Result<Vec<(u64, f32)>, VectorError> {
        validate(self.state.dim, query)?;
        let query = QuantisedVector::new(query);
        let wanted_from_graph = k.min(self.graph_live());
        let mut best = TopK::new(k);
        if self.search_graph(&query, &mut best) < wanted_from_graph {
            best = TopK::new(k);
            self.scan_graph(&query, &mut best);
        }
        for (key, vector) in &self.state.pending {
            best.offer(*key, query.similarity(vector));
        }
        Ok(best.into_sorted())
    }

    /// Offers the graph's live candidates to `best`; returns how many there were.
    fn search_graph(&self, query: &QuantisedVector, best: &mut TopK) -> usize {
        let mut search = self.take_scratch();
        let mut live = 0;
        for (id, distance) in self.state.graph.search(query, &mut search) {
            let id = id as usize;
            if !self.state.stale[id] {
                live += 1;
                best.offer(self.state.graph_keys[id], 1.0 - distance);
            }
        }
        self.return_scratch(search);
        live
    }

    fn scan_graph(&self, query: &QuantisedVector, best: &mut TopK) {
        for (id, vector) in self.state.graph.iter() {
            let id = id as usize;
            if !self.state.stale[id] {
                best.offer(self.state.graph_keys[id], query.similarity(vector));
            }
        }
    }

    fn take_scratch(&self) -> Search {
        let mut pool = self.scratch.lock().unwrap_or_else(PoisonError::into_inner);
        pool.pop().unwrap_or_default()
    }

    fn return_scratch(&self, search: Search) {
        let mut pool = self.scratch.lock().unwrap_or_else(PoisonError::into_inner);
        pool.push(search);
    }

    /// Live keys.
    pub fn len(&self) -> usize {
        self.locations.len()
    }

    pub fn is_empty(&self) -> bool {
        self.locations.is_empty()
    }

    /// Whether `key` has a vector.
    pub fn contains(&self, key: u64) -> bool {
        self.locations.contains_key(&key)
    }

    /// Dimensions of every vector.
    pub fn dim(&self) -> usize {
        self.state.dim
    }

    pub fn params(&self) -> IndexParams {
        self.state.params
    }

    /// Vectors outside the graph, searched exhaustively until they are grown into it.
    pub fn pending_len(&self) -> usize {
        self.state.pending.len()
    }

    /// Graph nodes of removed or replaced vectors, which only `rebuilt` folds away. Rebuild
    /// when this passes a few percent of `len`.
    pub fn stale_len(&self) -> usize {
        self.stale_count
    }

    /// Points in the graph, stale ones included.
    pub fn graph_len(&self) -> usize {
        self.state.graph_keys.len()
    }

    fn graph_live(&self) -> usize {
        self.state.graph_keys.len() - self.stale_count
    }

    /// Estimated heap and inline bytes: vectors, graph links, keys and the key map.
    pub fn memory_bytes(&self) -> usize {
        let state = &self.state;
        let graph_points = state.graph_keys.len();
        let per_vector = std::mem::size_of::<QuantisedVector>() + state.dim + MALLOC_OVERHEAD;
        let vectors = (graph_points + state.pending.len()) * per_vector;
        // Bottom layer: 2 * 32 links of 4 bytes per point; upper layers hold about 1/32 of
        // the points above them, with 32 links each.
        let links =
            graph_points * BOTTOM_LAYER_LINK_BYTES + graph_points / 31 * (BOTTOM_LAYER_LINK_BYTES / 2);
        let keys = graph_points * (std::mem::size_of::<u64>() + 1)
            + state.pending.len() * std::mem::size_of::<u64>();
        let map = self.locations.capacity() * (std::mem::size_of::<(u64, Location)>() + 1);
        vectors + links + keys + map
    }
}

/// Bytes of bookkeeping glibc malloc adds to each vector's allocation.
const MALLOC_OVERHEAD: usize = 8;
/// The graph keeps 64 `u32` links per point on the bottom layer.
const BOTTOM_LAYER_LINK_BYTES: usize = 64 * 4;

impl std::fmt::Debug for VectorIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorIndex")
            .field("dim", &self.state.dim)
            .field("len", &self.len())
            .field("pending", &self.state.pending.len())
            .field("stale", &self.stale_count)
            .field("params", &self.state.params)
            .finish()
    }
}

/// Rejects vectors that would poison the graph: wrong length, NaN or infinity, all zeros.
fn validate(dim: usize, vector: &[f32]) -> Result<(), VectorError> {
    if vector.len() != dim {
        return Err(VectorError::WrongDimension { expected: dim, got: vector.len() });
    }
    if let Some(position) = vector.iter().position(|x| !x.is_finite()) {
        return Err(VectorError::NotFinite { position });
    }
    if vector.iter().all(|x| *x == 0.0) {
        return Err(VectorError::Zero);
    }
    Ok(())
}
