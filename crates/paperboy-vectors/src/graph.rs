//! The HNSW graph under `VectorIndex` (hierarchical navigable small world, Malkov and Yashunin):
//! built in parallel from a set of points, searched, and grown one point at a time.
//!
//! The build and the search are those of the crate `instant-distance` 0.6.1 (InstantDomain; MIT
//! OR Apache-2.0), rewritten for int8 points, which the index used before; so is the saved
//! layout, so indexes saved by earlier versions load:
//! `M` = 32 links per node on the upper layers and 64 on the bottom one; points renumbered in a
//! random order so that each upper layer holds a prefix of the ids and point 0 is the entry; a
//! node's links chosen by the pruning heuristic (a candidate nearer to a kept link than to the
//! node is set aside, and set-aside ones fill what room is left).
//!
//! What this adds is growth without a rebuild. [`Graph::plan_insert`] finds a new point's links,
//! and the new link lists of those neighbours, exactly as the build does for its last points, but
//! without changing anything, so it can run beside searches under a shared lock; [`Graph::apply`]
//! then writes the result in microseconds. A grown point joins the bottom layer only: the upper
//! layers, which only shorten the way down to it, keep the points of the last build.
//!
//! Not here: keys, removal, quantisation (`index`, `quantise`).

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::ops::Range;
use std::sync::{Mutex, PoisonError, RwLock};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_big_array::BigArray;

use crate::quantise::QuantisedVector;
use crate::random::SplitMix64;

/// Links per node on the upper layers; the bottom layer keeps twice as many.
pub(crate) const M: usize = 32;
/// The end of a link list shorter than its room.
const NONE: u32 = u32::MAX;

/// The graph: the points, the bottom layer's links of every point, and the upper layers' links
/// of the points each holds (layer `l` holds points `0..layers[l - 1].len()`).
#[derive(Serialize, Deserialize)]
pub(crate) struct Graph {
    ef_search: usize,
    points: Vec<QuantisedVector>,
    zero: Vec<ZeroNode>,
    layers: Vec<Vec<UpperNode>>,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
struct UpperNode([u32; M]);

#[derive(Clone, Copy, Serialize, Deserialize)]
struct ZeroNode(#[serde(with = "BigArray")] [u32; 2 * M]);

impl ZeroNode {
    const EMPTY: ZeroNode = ZeroNode([NONE; 2 * M]);

    fn links(&self) -> impl Iterator<Item = u32> + '_ {
        links(&self.0)
    }

    fn rewrite(&mut self, links: impl IntoIterator<Item = u32>) {
        let mut links = links.into_iter();
        for slot in self.0.iter_mut() {
            *slot = links.next().unwrap_or(NONE);
        }
    }
}

impl UpperNode {
    fn from_zero(node: &ZeroNode) -> Self {
        let mut links = [NONE; M];
        links.copy_from_slice(&node.0[..M]);
        UpperNode(links)
    }
}

/// The links in a node's slots: those before the first empty one.
fn links(slots: &[u32]) -> impl Iterator<Item = u32> + '_ {
    slots.iter().copied().take_while(|pid| *pid != NONE)
}

/// A layer's links, however they are held.
trait Layer {
    /// Calls `visit` with `pid`'s first `limit` links, nearest first.
    fn visit_links(&self, pid: u32, limit: usize, visit: impl FnMut(u32));
}

impl Layer for [ZeroNode] {
    fn visit_links(&self, pid: u32, limit: usize, visit: impl FnMut(u32)) {
        self[pid as usize].links().take(limit).for_each(visit);
    }
}

impl Layer for [UpperNode] {
    fn visit_links(&self, pid: u32, limit: usize, visit: impl FnMut(u32)) {
        links(&self[pid as usize].0).take(limit).for_each(visit);
    }
}

/// The bottom layer while the build writes it from many threads.
impl Layer for [RwLock<ZeroNode>] {
    fn visit_links(&self, pid: u32, limit: usize, visit: impl FnMut(u32)) {
        read(&self[pid as usize]).links().take(limit).for_each(visit);
    }
}

/// The points a search measures distances to: the graph's, and during a planned insertion the
/// new point, whose id is the next one.
#[derive(Clone, Copy)]
struct Points<'a> {
    stored: &'a [QuantisedVector],
    new: Option<&'a QuantisedVector>,
}

impl<'a> Points<'a> {
    fn get(&self, pid: u32) -> &'a QuantisedVector {
        match (self.stored.get(pid as usize), self.new) {
            (Some(point), _) => point,
            (None, Some(new)) if pid as usize == self.stored.len() => new,
            _ => panic!("link {pid} past the graph's {} points", self.stored.len()),
        }
    }
}

fn distance(a: &QuantisedVector, b: &QuantisedVector) -> f32 {
    1.0 - a.similarity(b)
}

/// What [`Graph::plan_insert`] found: the new point's links and its neighbours' new link lists.
pub(crate) struct Insertion {
    point: QuantisedVector,
    links: ZeroNode,
    rewrites: Vec<(u32, ZeroNode)>,
}

impl Graph {
    /// Builds the graph of `points` with all cores. Returns it and, for each input point in
    /// order, its id in the graph. The same points and seed build the same graph.
    pub(crate) fn build(
        points: Vec<QuantisedVector>,
        ef_construction: usize,
        ef_search: usize,
        seed: u64,
    ) -> (Graph, Vec<u32>) {
        assert!(points.len() < NONE as usize, "at most {} points", NONE - 1);
        if points.is_empty() {
            return (Graph { ef_search, points, zero: Vec::new(), layers: Vec::new() }, Vec::new());
        }
        let layer_ranges = layer_ranges(points.len());
        let top = layer_ranges.len() - 1;
        let (points, ids) = shuffled(points, seed);

        let zero: Vec<RwLock<ZeroNode>> = points.iter().map(|_| RwLock::new(ZeroNode::EMPTY)).collect();
        let mut layers = vec![Vec::new(); top];
        let construction = Construction {
            zero: &zero,
            points: &points,
            top,
            ef_construction,
            scratch: Mutex::new(Vec::new()),
        };
        for (layer, range) in layer_ranges.into_iter().enumerate().rev() {
            let end = range.end;
            // Point 0 is the entry, linked by the others as they arrive.
            let range = range.start.max(1)..range.end;
            if layer == top {
                range.for_each(|pid| construction.insert(pid as u32, layer, &layers));
            } else {
                range.into_par_iter().for_each(|pid| construction.insert(pid as u32, layer, &layers));
            }
            if layer > 0 {
                layers[layer - 1] =
                    zero[..end].par_iter().map(|node| UpperNode::from_zero(&read(node))).collect();
            }
        }
        let zero =
            zero.into_iter().map(|node| node.into_inner().unwrap_or_else(PoisonError::into_inner)).collect();
        (Graph { ef_search, points, zero, layers }, ids)
    }

    pub(crate) fn len(&self) -> usize {
        self.points.len()
    }

    /// Points by id.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, &QuantisedVector)> {
        (0u32..).zip(&self.points)
    }

    /// The graph's `ef_search` nearest points to `point` as `(id, distance)`, nearest first.
    pub(crate) fn search<'a>(
        &self,
        point: &QuantisedVector,
        search: &'a mut Search,
    ) -> impl Iterator<Item = (u32, f32)> + 'a {
        search.reset();
        if !self.points.is_empty() {
            let points = Points { stored: &self.points, new: None };
            search.start(self.points.len(), point, points);
            self.descend(point, search, points);
            search.ef = self.ef_search;
            search.search(point, self.zero.as_slice(), points, 2 * M);
        }
        search.nearest.iter().map(|candidate| (candidate.pid, candidate.distance))
    }

    /// From the entry down the upper layers to the bottom one, keeping the nearest point.
    fn descend(&self, point: &QuantisedVector, search: &mut Search, points: Points<'_>) {
        for layer in self.layers.iter().rev() {
            search.ef = 1;
            search.search(point, layer.as_slice(), points, M);
            search.cull();
        }
    }

    /// Where `point` would join the bottom layer: its links and its neighbours' new lists, found
    /// with `ef_construction` candidates as the build would. Changes nothing; see [`Graph::apply`].
    pub(crate) fn plan_insert(
        &self,
        point: QuantisedVector,
        ef_construction: usize,
        scratch: &mut (Search, Search),
    ) -> Insertion {
        let (search, neighbour_search) = scratch;
        let new = self.points.len() as u32;
        let points = Points { stored: &self.points, new: Some(&point) };
        let mut links = ZeroNode::EMPTY;
        let mut rewrites = Vec::new();
        if !self.points.is_empty() {
            search.start(self.points.len(), &point, points);
            self.descend(&point, search, points);
            search.ef = ef_construction;
            search.search(&point, self.zero.as_slice(), points, 2 * M);
            let found = search.select_heuristic(points);
            neighbour_search.ef = ef_construction;
            neighbour_search.visited.reserve(self.points.len());
            for (slot, neighbour) in links.0.iter_mut().zip(found.iter()) {
                *slot = neighbour.pid;
                let their_links = neighbour_search.relink(
                    neighbour.pid,
                    new,
                    self.zero[neighbour.pid as usize].links(),
                    points,
                );
                let mut node = ZeroNode::EMPTY;
                node.rewrite(their_links.iter().map(|candidate| candidate.pid));
                rewrites.push((neighbour.pid, node));
            }
        }
        Insertion { point, links, rewrites }
    }

    /// Adds a point planned by [`Graph::plan_insert`] on this graph as it is now (nothing may
    /// change the graph in between); returns its id.
    pub(crate) fn apply(&mut self, insertion: Insertion) -> u32 {
        let id = self.points.len() as u32;
        self.points.push(insertion.point);
        self.zero.push(insertion.links);
        for (pid, links) in insertion.rewrites {
            self.zero[pid as usize] = links;
        }
        id
    }

    /// Checks what searches index by: every link names a point, every upper layer holds a
    /// prefix of the bottom one, no layer is above an empty one.
    pub(crate) fn check(&self) -> Result<(), String> {
        let len = self.points.len();
        if self.zero.len() != len {
            return Err(format!("{len} points but {} bottom-layer nodes", self.zero.len()));
        }
        let mut below = len;
        for (number, layer) in self.layers.iter().enumerate() {
            if layer.len() > below || layer.is_empty() {
                return Err(format!(
                    "layer {} holds {} points, the one below {below}",
                    number + 1,
                    layer.len()
                ));
            }
            if layer.iter().flat_map(|node| node.0).any(|pid| pid != NONE && pid as usize >= layer.len()) {
                return Err(format!("a link of layer {} points past it", number + 1));
            }
            below = layer.len();
        }
        if self.zero.iter().flat_map(|node| node.0).any(|pid| pid != NONE && pid as usize >= len) {
            return Err("a bottom-layer link points past the graph".to_owned());
        }
        Ok(())
    }
}

/// For each layer from the bottom, the ids of the points whose highest layer it is: each
/// upper layer holds about `1 / ln M` of the points of the one below, and the top at least `M`.
fn layer_ranges(len: usize) -> Vec<Range<usize>> {
    let share = 1.0 / (M as f32).ln();
    let mut ranges = Vec::new();
    let mut count = len;
    loop {
        let above = (count as f32 * share) as usize;
        if above < M {
            break;
        }
        ranges.push(above..count);
        count = above;
    }
    ranges.push(0..count);
    ranges
}

/// The points in a seeded random order, and for each input point its position in that order.
fn shuffled(points: Vec<QuantisedVector>, seed: u64) -> (Vec<QuantisedVector>, Vec<u32>) {
    let mut random = SplitMix64(seed);
    let len = points.len() as u64;
    let mut order: Vec<(u64, usize)> =
        (0..points.len()).map(|input| (random.next_u64() % len, input)).collect();
    order.sort_unstable();
    let mut ids = vec![NONE; points.len()];
    let mut slots: Vec<Option<QuantisedVector>> = points.into_iter().map(Some).collect();
    let shuffled = order
        .into_iter()
        .enumerate()
        .map(|(pid, (_, input))| {
            ids[input] = pid as u32;
            slots[input].take().expect("each input point is placed once")
        })
        .collect();
    (shuffled, ids)
}

/// The build's shared state: the bottom layer behind one lock per node, written by all threads.
struct Construction<'a> {
    zero: &'a [RwLock<ZeroNode>],
    points: &'a [QuantisedVector],
    top: usize,
    ef_construction: usize,
    scratch: Mutex<Vec<(Search, Search)>>,
}

impl Construction<'_> {
    /// Links point `new`, whose highest layer is `layer`, into the layers built so far (the
    /// bottom layer then holds every point of `layer` and above; upper layers are copied from
    /// it once their points are in).
    fn insert(&self, new: u32, layer: usize, layers: &[Vec<UpperNode>]) {
        let mut node = write(&self.zero[new as usize]);
        let (mut search, mut neighbour_search) = self.take_scratch();
        let points = Points { stored: self.points, new: None };
        let point = &self.points[new as usize];
        let links = if layer == 0 { 2 * M } else { M };
        search.start(self.points.len(), point, points);
        for upper in (layer + 1..=self.top).rev() {
            search.ef = 1;
            search.search(point, layers[upper - 1].as_slice(), points, links);
            search.cull();
        }
        search.ef = self.ef_construction;
        search.search(point, self.zero, points, links);
        neighbour_search.ef = self.ef_construction;
        for (slot, neighbour) in node.0.iter_mut().zip(search.select_heuristic(points).iter()) {
            let their_links = {
                let current = read(&self.zero[neighbour.pid as usize]);
                neighbour_search.relink(neighbour.pid, new, current.links(), points)
            };
            write(&self.zero[neighbour.pid as usize])
                .rewrite(their_links.iter().map(|candidate| candidate.pid));
            *slot = neighbour.pid;
        }
        self.return_scratch((search, neighbour_search));
    }

    fn take_scratch(&self) -> (Search, Search) {
        let pooled = self.scratch.lock().unwrap_or_else(PoisonError::into_inner).pop();
        pooled.unwrap_or_else(|| {
            (Search::with_capacity(self.points.len()), Search::with_capacity(self.points.len()))
        })
    }

    fn return_scratch(&self, scratch: (Search, Search)) {
        self.scratch.lock().unwrap_or_else(PoisonError::into_inner).push(scratch);
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// A point found on the way, by its distance to the point searched for.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    distance: f32,
    pid: u32,
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.distance.total_cmp(&other.distance).then(self.pid.cmp(&other.pid))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Candidate {}

/// A search's working memory (the paper's algorithm 2), kept between searches so that its
/// visited set, as large as the graph, is allocated once.
#[derive(Default)]
pub(crate) struct Search {
    visited: Visited,
    /// Points whose links are still to be followed, nearest first (`C`).
    candidates: BinaryHeap<Reverse<Candidate>>,
    /// The `ef` nearest points so far, nearest first (`W`).
    nearest: Vec<Candidate>,
    working: Vec<Candidate>,
    set_aside: Vec<Candidate>,
    ef: usize,
}

impl Search {
    fn with_capacity(points: usize) -> Self {
        let mut search = Search::default();
        search.visited.reserve(points);
        search
    }

    /// Starts a search for `point` at the entry, point 0.
    fn start(&mut self, len: usize, point: &QuantisedVector, points: Points<'_>) {
        self.reset();
        self.visited.reserve(len);
        self.ef = 1;
        self.push(0, point, points);
    }

    /// Follows links from the candidates until none is nearer than the `ef`-th nearest.
    fn search<L: Layer + ?Sized>(
        &mut self,
        point: &QuantisedVector,
        layer: &L,
        points: Points<'_>,
        links: usize,
    ) {
        while let Some(Reverse(candidate)) = self.candidates.pop() {
            if self.nearest.last().is_some_and(|furthest| candidate.distance > furthest.distance) {
                break;
            }
            layer.visit_links(candidate.pid, links, |pid| self.push(pid, point, points));
            self.nearest.truncate(self.ef);
        }
    }

    /// Considers `pid` once per search.
    fn push(&mut self, pid: u32, point: &QuantisedVector, points: Points<'_>) {
        if self.visited.insert(pid) {
            self.offer(Candidate { distance: distance(point, points.get(pid)), pid });
        }
    }

    fn offer(&mut self, candidate: Candidate) {
        let position = self.nearest.binary_search(&candidate).unwrap_or_else(|position| position);
        if position < self.ef {
            self.nearest.insert(position, candidate);
            self.candidates.push(Reverse(candidate));
        }
    }

    /// The next layer down starts from the nearest points of this one.
    fn cull(&mut self) {
        self.candidates.clear();
        self.candidates.extend(self.nearest.iter().copied().map(Reverse));
        self.visited.clear();
        for candidate in &self.nearest {
            self.visited.insert(candidate.pid);
        }
    }

    fn reset(&mut self) {
        self.visited.clear();
        self.candidates.clear();
        self.nearest.clear();
        self.working.clear();
        self.set_aside.clear();
    }

    /// `pid`'s links once `new` is offered to it beside its `current` ones.
    fn relink(
        &mut self,
        pid: u32,
        new: u32,
        current: impl Iterator<Item = u32>,
        points: Points<'_>,
    ) -> &[Candidate] {
        let point = points.get(pid);
        self.reset();
        self.offer(Candidate { distance: distance(point, points.get(new)), pid: new });
        for link in current {
            self.push(link, point, points);
        }
        self.select_heuristic(points)
    }

    /// Keeps at most `2 M` of `nearest`: first each that is nearer to the point than to any
    /// kept one, then set-aside ones while there is room.
    fn select_heuristic(&mut self, points: Points<'_>) -> &[Candidate] {
        let Search { nearest, working, set_aside, .. } = self;
        working.clear();
        working.append(nearest);
        set_aside.clear();
        for candidate in working.drain(..) {
            if nearest.len() >= 2 * M {
                break;
            }
            let candidate_point = points.get(candidate.pid);
            let diverse = !nearest
                .iter()
                .any(|kept| distance(candidate_point, points.get(kept.pid)) < candidate.distance);
            if diverse {
                nearest.push(candidate);
            } else {
                set_aside.push(candidate);
            }
        }
        let room = (2 * M).saturating_sub(nearest.len());
        nearest.extend(set_aside.drain(..).take(room));
        nearest
    }
}

/// Points seen by the current search: a generation number per point, so that clearing is a
/// counter increment (and a real clear once every 250 searches).
#[derive(Default)]
struct Visited {
    seen: Vec<u8>,
    generation: u8,
}

impl Visited {
    fn reserve(&mut self, points: usize) {
        if self.seen.len() < points {
            self.seen.resize(points, 0);
        }
        if self.generation == 0 {
            self.generation = 1;
        }
    }

    /// Whether `pid` is new to this search.
    fn insert(&mut self, pid: u32) -> bool {
        let slot = &mut self.seen[pid as usize];
        let new = *slot != self.generation;
        *slot = self.generation;
        new
    }

    fn clear(&mut self) {
        if self.generation < 250 {
            self.generation += 1;
        } else {
            self.seen.fill(0);
            self.generation = 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(seed: u64) -> QuantisedVector {
        let mut random = SplitMix64(seed);
        let v: Vec<f32> = (0..16).map(|_| (random.next_u64() % 2001) as f32 / 1000.0 - 1.0).collect();
        QuantisedVector::new(&v)
    }

    #[test]
    fn layers_shrink_by_about_one_in_three_point_five_and_the_top_has_at_least_m() {
        assert_eq!(layer_ranges(10), vec![Range { start: 0, end: 10 }]);
        let ranges = layer_ranges(100_000);
        assert_eq!(ranges.first().map(|r| r.end), Some(100_000));
        assert_eq!(ranges.last().map(|r| r.start), Some(0));
        assert!(ranges.windows(2).all(|pair| pair[0].start == pair[1].end));
        assert!(ranges.last().is_some_and(|top| top.len() >= M));
    }

    #[test]
    fn shuffled_numbers_every_point_once() {
        let points: Vec<_> = (0..500).map(point).collect();
        let (shuffled, ids) = shuffled(points.clone(), 7);
        for (input, id) in ids.iter().enumerate() {
            assert_eq!(shuffled[*id as usize], points[input]);
        }
    }

    #[test]
    fn a_grown_graph_passes_its_check_and_finds_every_point() {
        let (mut graph, _) = Graph::build((0..300).map(point).collect(), 40, 40, 3);
        let mut scratch = (Search::default(), Search::default());
        for seed in 300..600 {
            let planned = graph.plan_insert(point(seed), 40, &mut scratch);
            graph.apply(planned);
        }
        assert_eq!(graph.len(), 600);
        graph.check().expect("consistent");
        let mut search = Search::default();
        let found = (300..600).filter(|seed| {
            graph.search(&point(*seed), &mut search).next().map(|(pid, _)| pid) == Some(*seed as u32)
        });
        assert_eq!(found.count(), 300, "each grown point is its own nearest");
    }

    #[test]
    fn check_refuses_a_link_past_the_graph() {
        let (mut graph, _) = Graph::build((0..50).map(point).collect(), 20, 20, 3);
        graph.zero[3].0[0] = 50;
        assert!(graph.check().is_err());
    }
}
