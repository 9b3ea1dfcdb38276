//! The engines under comparison behind one small trait. Every engine gets the same base vectors
//! (streamed in chunks where the crate allows incremental insertion) and the same parameters.

use hnsw_rs::prelude::{Distance, Hnsw};
use paperboy_vectors::quantise::{QuantisedVector, dot_f32};
use paperboy_vectors::synthetic::Mixture;

use crate::EngineKind;

/// Base vectors generated and inserted per step.
const CHUNK: usize = 10_000;
/// hnsw_rs: upper bound on layers (its examples use 16).
const HNSW_RS_MAX_LAYER: usize = 16;

#[derive(Debug, Clone, Copy)]
pub struct Params {
    pub m: usize,
    pub ef_construction: usize,
    pub ef_search: usize,
}

pub trait Engine {
    fn set_ef_search(&mut self, ef: usize);
    /// Base indexes of the (approximately) `k` nearest vectors, best first.
    fn search(&self, query: &[f32], k: usize) -> Vec<u64>;
}

pub fn build(kind: EngineKind, params: Params, mixture: &Mixture, n: usize) -> Box<dyn Engine> {
    match kind {
        EngineKind::HnswRsF32 => Box::new(HnswRsF32::build(params, mixture, n)),
        EngineKind::HnswRsI8 => Box::new(HnswRsI8::build(params, mixture, n)),
        EngineKind::InstantF32 => Box::new(Instant::<F32Point>::build(params, mixture, n)),
        EngineKind::InstantI8 => Box::new(Instant::<I8Point>::build(params, mixture, n)),
        #[cfg(feature = "usearch")]
        EngineKind::UsearchF32 => Box::new(usearch_engine::Usearch::build(
            params,
            mixture,
            n,
            usearch::ScalarKind::F32,
        )),
        #[cfg(feature = "usearch")]
        EngineKind::UsearchI8 => Box::new(usearch_engine::Usearch::build(
            params,
            mixture,
            n,
            usearch::ScalarKind::I8,
        )),
    }
}

fn chunks(n: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    (0..n).step_by(CHUNK).map(move |start| start..(start + CHUNK).min(n))
}

#[derive(Default)]
struct DotDistance;

impl Distance<f32> for DotDistance {
    fn eval(&self, a: &[f32], b: &[f32]) -> f32 {
        1.0 - dot_f32(a, b)
    }
}

/// Each hnsw_rs "vector" is a one-element slice holding a whole quantised vector.
#[derive(Default)]
struct QuantisedDistance;

impl Distance<QuantisedVector> for QuantisedDistance {
    fn eval(&self, a: &[QuantisedVector], b: &[QuantisedVector]) -> f32 {
        1.0 - a[0].similarity(&b[0])
    }
}

struct HnswRsF32 {
    hnsw: Hnsw<'static, f32, DotDistance>,
    ef: usize,
}

impl HnswRsF32 {
    fn build(params: Params, mixture: &Mixture, n: usize) -> Self {
        let hnsw = Hnsw::new(params.m, n, HNSW_RS_MAX_LAYER, params.ef_construction, DotDistance);
        for range in chunks(n) {
            let start = range.start;
            let vectors = mixture.base_range(range);
            let items: Vec<(&[f32], usize)> = vectors
                .iter()
                .enumerate()
                .map(|(i, v)| (v.as_slice(), start + i))
                .collect();
            hnsw.parallel_insert_slice(&items);
        }
        Self {
            hnsw,
            ef: params.ef_search,
        }
    }
}

impl Engine for HnswRsF32 {
    fn set_ef_search(&mut self, ef: usize) {
        self.ef = ef;
    }

    fn search(&self, query: &[f32], k: usize) -> Vec<u64> {
        let found = self.hnsw.search(query, k, self.ef);
        found.iter().map(|n| n.d_id as u64).collect()
    }
}

struct HnswRsI8 {
    hnsw: Hnsw<'static, QuantisedVector, QuantisedDistance>,
    ef: usize,
}

impl HnswRsI8 {
    fn build(params: Params, mixture: &Mixture, n: usize) -> Self {
        let hnsw = Hnsw::new(
            params.m,
            n,
            HNSW_RS_MAX_LAYER,
            params.ef_construction,
            QuantisedDistance,
        );
        for range in chunks(n) {
            let start = range.start;
            let vectors: Vec<QuantisedVector> = mixture
                .base_range(range)
                .iter()
                .map(|v| QuantisedVector::new(v))
                .collect();
            let items: Vec<(&[QuantisedVector], usize)> = vectors
                .iter()
                .enumerate()
                .map(|(i, v)| (std::slice::from_ref(v), start + i))
                .collect();
            hnsw.parallel_insert_slice(&items);
        }
        Self {
            hnsw,
            ef: params.ef_search,
        }
    }
}

impl Engine for HnswRsI8 {
    fn set_ef_search(&mut self, ef: usize) {
        self.ef = ef;
    }

    fn search(&self, query: &[f32], k: usize) -> Vec<u64> {
        let query = QuantisedVector::new(query);
        let found = self.hnsw.search(std::slice::from_ref(&query), k, self.ef);
        found.iter().map(|n| n.d_id as u64).collect()
    }
}

trait InstantPoint: instant_distance::Point + Send {
    fn from_f32(v: &[f32]) -> Self;
}

#[derive(Clone)]
struct F32Point(Box<[f32]>);

impl instant_distance::Point for F32Point {
    fn distance(&self, other: &Self) -> f32 {
        1.0 - dot_f32(&self.0, &other.0)
    }
}

impl InstantPoint for F32Point {
    fn from_f32(v: &[f32]) -> Self {
        Self(v.into())
    }
}

#[derive(Clone)]
struct I8Point(QuantisedVector);

impl instant_distance::Point for I8Point {
    fn distance(&self, other: &Self) -> f32 {
        1.0 - self.0.similarity(&other.0)
    }
}

impl InstantPoint for I8Point {
    fn from_f32(v: &[f32]) -> Self {
        Self(QuantisedVector::new(v))
    }
}

struct Instant<P> {
    hnsw: instant_distance::Hnsw<P>,
    /// Base index of each internal point id.
    base_index: Vec<u32>,
    search: std::cell::RefCell<instant_distance::Search>,
}

impl<P: InstantPoint> Instant<P> {
    fn build(params: Params, mixture: &Mixture, n: usize) -> Self {
        let mut points = Vec::with_capacity(n);
        for range in chunks(n) {
            points.extend(mixture.base_range(range).iter().map(|v| P::from_f32(v)));
        }
        let (hnsw, ids) = instant_distance::Builder::default()
            .ef_construction(params.ef_construction)
            .ef_search(params.ef_search)
            .seed(1)
            .build_hnsw(points);
        let mut base_index = vec![0u32; ids.len()];
        for (index, id) in ids.iter().enumerate() {
            base_index[id.into_inner() as usize] = index as u32;
        }
        Self {
            hnsw,
            base_index,
            search: Default::default(),
        }
    }
}

impl<P: InstantPoint> Engine for Instant<P> {
    fn set_ef_search(&mut self, _ef: usize) {
        // Fixed at build time by this crate.
    }

    fn search(&self, query: &[f32], k: usize) -> Vec<u64> {
        let query = P::from_f32(query);
        let mut search = self.search.borrow_mut();
        self.hnsw
            .search(&query, &mut search)
            .take(k)
            .map(|item| u64::from(self.base_index[item.pid.into_inner() as usize]))
            .collect()
    }
}

#[cfg(feature = "usearch")]
mod usearch_engine {
    use rayon::prelude::*;
    use usearch::{Index, IndexOptions, MetricKind, ScalarKind};

    use super::{Engine, Params, chunks};
    use paperboy_vectors::synthetic::Mixture;

    pub struct Usearch(Index);

    impl Usearch {
        pub fn build(params: Params, mixture: &Mixture, n: usize, scalar: ScalarKind) -> Self {
            let options = IndexOptions {
                dimensions: mixture.spec().dim,
                metric: MetricKind::Cos,
                quantization: scalar,
                connectivity: params.m,
                expansion_add: params.ef_construction,
                expansion_search: params.ef_search,
                multi: false,
            };
            let index = Index::new(&options).expect("usearch index");
            index.reserve(n).expect("usearch reserve");
            for range in chunks(n) {
                let start = range.start;
                let vectors = mixture.base_range(range);
                vectors.par_iter().enumerate().for_each(|(i, v)| {
                    index.add((start + i) as u64, v).expect("usearch add");
                });
            }
            eprintln!("usearch memory_usage: {} bytes", index.memory_usage());
            Self(index)
        }
    }

    impl Engine for Usearch {
        fn set_ef_search(&mut self, ef: usize) {
            self.0.change_expansion_search(ef);
        }

        fn search(&self, query: &[f32], k: usize) -> Vec<u64> {
            self.0.search(query, k).expect("usearch search").keys
        }
    }
}
