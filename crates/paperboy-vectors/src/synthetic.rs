//! Seeded synthetic embeddings that look like sentence embeddings of paper abstracts.
//!
//! Real embeddings are not available in bulk (the model embeds about 15 texts a second here), so
//! benchmarks and tests draw unit vectors from a mixture that mimics their structure:
//!
//! - a few thousand topic centres, all leaning towards one shared direction (text embeddings of
//!   one domain are not centred: unrelated abstracts still have cosine around 0.1-0.2);
//! - anisotropic spread: the standard deviation of dimension `d` falls off as `(d + 1)^-0.5`, which
//!   gives an effective dimensionality of a few dozen (the participation ratio), like real models,
//!   and a few large coordinates, which is the hard case for per-vector int8 scaling;
//! - papers scattered around their topic with a per-topic tightness, so neighbour similarities
//!   range from near-duplicates to loose relatives;
//! - skewed topic sizes (popular fields are larger).
//!
//! Queries come from the same mixture through a separate random stream: they are new points, never
//! copies of base points. Vector `i` of a stream depends only on `(seed, stream, i)`, so any slice
//! of a data set can be generated on its own and in parallel, identically on every machine.
//!
//! Out of scope: text, the real model's quirks (its outlier dimensions sit at fixed indices here).

use std::ops::Range;

use rayon::prelude::*;

use crate::random::SplitMix64;

/// The parameters of a synthetic data set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyntheticSpec {
    /// Dimensions of every vector (384 for all-MiniLM-L6-v2).
    pub dim: usize,
    /// Number of topic centres.
    pub topics: usize,
    /// Seed of every random stream.
    pub seed: u64,
}

impl Default for SyntheticSpec {
    fn default() -> Self {
        Self { dim: 384, topics: 2_000, seed: 42 }
    }
}

/// Weight of the shared direction in every topic centre.
const SHARED_DIRECTION_WEIGHT: f32 = 0.45;
/// Topic tightness: the noise norm relative to the centre, drawn uniformly from this range.
const NOISE_RANGE: (f32, f32) = (0.55, 1.15);
/// Exponent of the power law of per-dimension standard deviations.
const SPECTRUM_EXPONENT: f32 = 0.5;

const STREAM_TOPICS: u64 = 1;
const STREAM_BASE: u64 = 2;
const STREAM_QUERIES: u64 = 3;

/// A mixture of topics on the unit sphere; see the module docs.
#[derive(Debug, Clone)]
pub struct Mixture {
    spec: SyntheticSpec,
    /// Per-dimension standard deviation, scaled so that a noise vector has norm about 1.
    spread: Vec<f32>,
    centres: Vec<Vec<f32>>,
    /// Noise norm of each topic.
    tightness: Vec<f32>,
}

impl Mixture {
    /// Draws the topic centres of `spec`.
    pub fn new(spec: SyntheticSpec) -> Self {
        let spread = power_law_spread(spec.dim);
        let mut shared_rng = SplitMix64::for_item(spec.seed, STREAM_TOPICS, u64::MAX);
        let shared = normalised(gaussian(&mut shared_rng, &spread));
        let (centres, tightness) = (0..spec.topics.max(1))
            .map(|topic| {
                let mut rng = SplitMix64::for_item(spec.seed, STREAM_TOPICS, topic as u64);
                let own = normalised(gaussian(&mut rng, &spread));
                let centre = own.iter().zip(&shared).map(|(o, s)| o + SHARED_DIRECTION_WEIGHT * s).collect();
                let noise = NOISE_RANGE.0 + (NOISE_RANGE.1 - NOISE_RANGE.0) * rng.next_f32();
                (normalised(centre), noise)
            })
            .unzip();
        Self { spec, spread, centres, tightness }
    }

    /// The spec this mixture was drawn from.
    pub fn spec(&self) -> SyntheticSpec {
        self.spec
    }

    /// Base vectors `0..n` (the corpus), generated in parallel.
    pub fn base(&self, n: usize) -> Vec<Vec<f32>> {
        self.base_range(0..n)
    }

    /// Base vectors with the given indexes, so that large sets can be streamed in chunks.
    pub fn base_range(&self, indexes: Range<usize>) -> Vec<Vec<f32>> {
        self.stream(STREAM_BASE, indexes)
    }

    /// Query vectors `0..n`: same distribution as the base, different random stream.
    pub fn queries(&self, n: usize) -> Vec<Vec<f32>> {
        self.stream(STREAM_QUERIES, 0..n)
    }

    fn stream(&self, stream: u64, indexes: Range<usize>) -> Vec<Vec<f32>> {
        indexes.into_par_iter().map(|i| self.sample(stream, i as u64)).collect()
    }

    fn sample(&self, stream: u64, index: u64) -> Vec<f32> {
        let mut rng = SplitMix64::for_item(self.spec.seed, stream, index);
        // Squaring a uniform skews topic sizes: low-numbered topics are the popular ones.
        let u = rng.next_f32();
        let topic = ((u * u) * self.centres.len() as f32) as usize % self.centres.len();
        let noise = normalised(gaussian(&mut rng, &self.spread));
        let scale = self.tightness[topic];
        let point = self.centres[topic].iter().zip(&noise).map(|(c, n)| c + scale * n).collect();
        normalised(point)
    }
}

fn power_law_spread(dim: usize) -> Vec<f32> {
    let raw: Vec<f32> = (0..dim).map(|d| (d as f32 + 1.0).powf(-SPECTRUM_EXPONENT)).collect();
    let norm = raw.iter().map(|s| s * s).sum::<f32>().sqrt();
    raw.into_iter().map(|s| s / norm).collect()
}

fn gaussian(rng: &mut SplitMix64, spread: &[f32]) -> Vec<f32> {
    spread.iter().map(|s| s * rng.next_gaussian()).collect()
}

/// `v` scaled to unit length (a zero vector stays zero).
pub fn normalised(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}
