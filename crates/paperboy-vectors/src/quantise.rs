//! Int8 storage of unit vectors and the similarity computed on it.
//!
//! Each coordinate is scaled by the vector's own largest magnitude to the range -127..=127 and
//! rounded; the vector keeps one `f32`, the inverse norm of its codes, so that
//! `dot(codes_a, codes_b) * inv_a * inv_b` is the cosine of the two decoded vectors. That is 388
//! bytes of payload per 384-dimension vector instead of 1,536 for `f32`, and integer dot products
//! are cheap. Queries are quantised the same way (symmetric), which keeps one distance function
//! for the graph and the search.
//!
//! Not here: validation of the input (the index rejects wrong dimensions and non-finite values
//! before quantising).
use serde::{Deserialize, Serialize};

/// A vector stored as int8 codes plus the inverse norm of those codes.
///
/// Serialised as its codes alone: the inverse norm is derived again on load, so a file cannot
/// carry a norm that disagrees with its codes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "Box<[i8]>", into = "Box<[i8]>")]
pub struct QuantisedVector {
    codes: Box<[i8]>,
    inv_norm: f32,
}

impl QuantisedVector {
    /// Quantises `v` (any length; a zero vector gets zero codes and similarity 0 to everything).
    pub fn new(v: &[f32]) -> Self {
        let max = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        let scale = if max > 0.0 { 127.0 / max } else { 0.0 };
        let codes: Box<[i8]> = v.iter().map(|x| (x * scale).round().clamp(-127.0, 127.0) as i8).collect();
        Self::from_codes(codes)
    }

    /// Rebuilds a vector from stored codes (the inverse norm is derived, not stored).
    pub fn from_codes(codes: Box<[i8]>) -> Self {
        let squared = dot_i8(&codes, &codes);
        let inv_norm = if squared > 0 { 1.0 / (squared as f32).sqrt() } else { 0.0 };
        Self { codes, inv_norm }
    }

    /// The int8 codes.
    pub fn codes(&self) -> &[i8] {
        &self.codes
    }

    /// Cosine similarity of the two decoded vectors.
    pub fn similarity(&self, other: &Self) -> f32 {
        dot_i8(&self.codes, &other.codes) as f32 * self.inv_norm * other.inv_norm
    }

    /// Heap and inline bytes of one stored vector.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.codes.len()
    }
}

impl From<Box<[i8]>> for QuantisedVector {
    fn from(codes: Box<[i8]>) -> Self {
        Self::from_codes(codes)
    }
}

impl From<QuantisedVector> for Box<[i8]> {
    fn from(vector: QuantisedVector) -> Self {
        vector.codes
    }
}

/// Integer dot product, shaped so that it vectorises on plain x86-64 (SSE2): 16 lanes of
/// `i16` products (an `i8` product is at most 128 * 128 = 16,384, so `i16` never overflows)
/// widened into `i32` sums. A plain `i32` fold compiles to 4 lanes and made the graph build
/// spend 85% of its time here.
fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    const LANES: usize = 16;
    let mut sums = [0i32; LANES];
    let chunks_a = a.chunks_exact(LANES);
    let chunks_b = b.chunks_exact(LANES);
    let tail: i32 = chunks_a
        .remainder()
        .iter()
        .zip(chunks_b.remainder())
        .map(|(&x, &y)| i32::from(x) * i32::from(y))
        .sum();
    for (ca, cb) in chunks_a.zip(chunks_b) {
        for lane in 0..LANES {
            sums[lane] += i32::from(i16::from(ca[lane]) * i16::from(cb[lane]));
        }
    }
    sums.iter().sum::<i32>() + tail
}

/// `f32` dot product with eight independent sums, so that it vectorises.
pub fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let chunks_a = a.chunks_exact(8);
    let chunks_b = b.chunks_exact(8);
    let tail: f32 = chunks_a.remainder().iter().zip(chunks_b.remainder()).map(|(x, y)| x * y).sum();
    for (ca, cb) in chunks_a.zip(chunks_b) {
        for lane in 0..8 {
            lanes[lane] += ca[lane] * cb[lane];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_of_quantised_vectors_is_close_to_the_cosine() {
        let a = [0.6f32, 0.8, 0.0, 0.0];
        let b = [0.8f32, 0.0, 0.6, 0.0];
        let exact = dot_f32(&a, &b);
        let approx = QuantisedVector::new(&a).similarity(&QuantisedVector::new(&b));
        assert!((exact - approx).abs() < 0.01, "{exact} vs {approx}");
        let self_similarity = QuantisedVector::new(&a).similarity(&QuantisedVector::new(&a));
        assert!((self_similarity - 1.0).abs() < 1e-5);
    }

    #[test]
    fn zero_vector_has_zero_similarity() {
        let zero = QuantisedVector::new(&[0.0; 4]);
        assert_eq!(zero.similarity(&QuantisedVector::new(&[1.0, 0.0, 0.0, 0.0])), 0.0);
    }

    #[test]
    fn dot_i8_matches_a_plain_sum_including_the_extremes() {
        let a: Vec<i8> = (0..37).map(|i| if i % 5 == 0 { -128 } else { (i * 7 - 100) as i8 }).collect();
        let b: Vec<i8> = (0..37).map(|i| if i % 3 == 0 { -128 } else { (50 - i * 5) as i8 }).collect();
        let plain: i32 = a.iter().zip(&b).map(|(&x, &y)| i32::from(x) * i32::from(y)).sum();
        assert_eq!(dot_i8(&a, &b), plain);
    }

    #[test]
    fn dot_f32_handles_lengths_that_are_not_multiples_of_eight() {
        let a: Vec<f32> = (0..11).map(|i| i as f32).collect();
        assert_eq!(dot_f32(&a, &a), (0..11).map(|i| (i * i) as f32).sum::<f32>());
    }
}
