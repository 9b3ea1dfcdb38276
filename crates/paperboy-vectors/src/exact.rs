//! Exact (brute-force) nearest neighbours: the baseline that recall is measured against.
//!
//! Not here: anything approximate; the index lives in `index`.

use crate::quantise::dot_f32;

/// The `k` vectors most similar to `query` by dot product (cosine for unit vectors), best first.
///
/// Ties keep the earlier vector. Vectors of another length than the query are skipped.
pub fn exact_search(vectors: &[(u64, Vec<f32>)], query: &[f32], k: usize) -> Vec<(u64, f32)> {
    let mut best = TopK::new(k);
    for (key, vector) in vectors {
        if vector.len() == query.len() {
            best.offer(*key, dot_f32(vector, query));
        }
    }
    best.into_sorted()
}

/// The `k` highest-scoring keys seen so far.
#[derive(Debug, Clone)]
pub(crate) struct TopK {
    k: usize,
    /// Kept sorted best first; `k` is small (tens), so insertion into a vector beats a heap.
    items: Vec<(u64, f32)>,
}

impl TopK {
    pub(crate) fn new(k: usize) -> Self {
        Self { k, items: Vec::with_capacity(k + 1) }
    }

    pub(crate) fn offer(&mut self, key: u64, score: f32) {
        if self.items.len() == self.k && self.items.last().is_none_or(|&(_, s)| score <= s) {
            return;
        }
        let position = self.items.partition_point(|&(_, s)| s >= score);
        self.items.insert(position, (key, score));
        self.items.truncate(self.k);
    }

    pub(crate) fn into_sorted(self) -> Vec<(u64, f32)> {
        self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_the_k_best_in_order() {
        let vectors =
            vec![(10, vec![1.0, 0.0]), (11, vec![0.0, 1.0]), (12, vec![0.6, 0.8]), (13, vec![-1.0, 0.0])];
        let found = exact_search(&vectors, &[1.0, 0.0], 2);
        assert_eq!(found, vec![(10, 1.0), (12, 0.6)]);
    }

    #[test]
    fn k_zero_and_k_beyond_the_set() {
        let vectors = vec![(1, vec![1.0]), (2, vec![0.5])];
        assert!(exact_search(&vectors, &[1.0], 0).is_empty());
        assert_eq!(exact_search(&vectors, &[1.0], 5).len(), 2);
    }
}
