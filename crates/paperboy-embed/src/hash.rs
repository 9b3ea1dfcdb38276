//! `HashEmbedder`: a deterministic bag-of-words embedder for tests, with no model to load.
//!
//! Texts are lowercased and split into alphanumeric words; common English stop words are
//! dropped, the rest are crudely stemmed (`networks` and `network` share a feature), and each
//! stem and each pair of adjacent stems is hashed into one of `dim` buckets with a sign.
//! The vector is L2-normalised, so texts that share words have a high cosine and texts that
//! share none have a cosine near zero. It knows nothing of meaning (no synonyms); it exists so
//! that semantic search, hybrid search and similar papers can be tested fast and exactly.
//!
//! The hashing is spelled out here (FNV-1a, then a SplitMix64 finaliser) rather than taken
//! from `std`, whose hasher may change between Rust releases: stored vectors must stay valid.

use crate::{EmbedError, Embedder};

/// Words too common to say anything about a text.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is", "it", "its",
    "of", "on", "or", "that", "the", "this", "to", "we", "was", "were", "which", "with",
];

/// The stemmer's rules, `(suffix, replacement)`, tried in order; the first that leaves a stem of
/// at least three characters wins.
const SUFFIXES: &[(&str, &str)] = &[
    ("ations", ""),
    ("ation", ""),
    ("ions", ""),
    ("ion", ""),
    ("ings", ""),
    ("ing", ""),
    ("ies", "y"),
    ("ed", ""),
    ("ly", ""),
    ("s", ""),
];
const MIN_STEM_CHARS: usize = 3;

/// Weight of a pair of adjacent stems relative to a single stem.
const BIGRAM_WEIGHT: f32 = 0.5;

/// Feature hashed for a text without any word, so that it still gets a unit vector.
const EMPTY_TEXT_FEATURE: &str = "\u{0}empty";

/// Feature hashing of words into `dim` signed buckets; see the module documentation.
#[derive(Debug, Clone)]
pub struct HashEmbedder {
    dim: usize,
}

impl HashEmbedder {
    /// The name stored beside its vectors.
    pub const MODEL: &'static str = "paperboy-hash-v1";

    /// An embedder producing vectors of `dim` components.
    ///
    /// # Panics
    ///
    /// If `dim` is zero.
    pub fn new(dim: usize) -> HashEmbedder {
        assert!(dim > 0, "HashEmbedder needs at least one dimension");
        HashEmbedder { dim }
    }

    fn embed_one(&self, text: &str) -> Vec<f32> {
        let mut vector = vec![0.0; self.dim];
        let stems = stems(text);
        for stem in &stems {
            self.add_feature(&mut vector, stem, 1.0);
        }
        for pair in stems.windows(2) {
            self.add_feature(&mut vector, &format!("{} {}", pair[0], pair[1]), BIGRAM_WEIGHT);
        }
        if stems.is_empty() {
            self.add_feature(&mut vector, EMPTY_TEXT_FEATURE, 1.0);
        }
        normalise(&mut vector);
        vector
    }

    fn add_feature(&self, vector: &mut [f32], feature: &str, weight: f32) {
        let hash = splitmix64(fnv1a(feature.as_bytes()));
        // The low bits choose the bucket, the top bit the sign, so collisions tend to cancel.
        let bucket = (hash % self.dim as u64) as usize;
        let sign = if hash >> 63 == 0 { 1.0 } else { -1.0 };
        vector[bucket] += sign * weight;
    }
}

/// 384 dimensions, like all-MiniLM-L6-v2.
impl Default for HashEmbedder {
    fn default() -> HashEmbedder {
        HashEmbedder::new(384)
    }
}

impl Embedder for HashEmbedder {
    fn model(&self) -> &str {
        Self::MODEL
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        Ok(texts.iter().map(|text| self.embed_one(text)).collect())
    }
}

/// Lowercased alphanumeric words of `text`, stop words dropped, stemmed.
fn stems(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty() && !STOP_WORDS.contains(word))
        .map(stem)
        .collect()
}

fn stem(word: &str) -> String {
    SUFFIXES
        .iter()
        .find_map(|(suffix, replacement)| {
            word.strip_suffix(suffix)
                .filter(|stem| stem.chars().count() >= MIN_STEM_CHARS)
                .map(|stem| format!("{stem}{replacement}"))
        })
        .unwrap_or_else(|| word.to_owned())
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Mixes all bits of `x` into all bits of the result, so the bucket does not depend on the
/// last bytes of a feature only.
fn splitmix64(x: u64) -> u64 {
    let x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn normalise(vector: &mut [f32]) {
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        vector.iter_mut().for_each(|x| *x /= norm);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embed(texts: &[&str]) -> Vec<Vec<f32>> {
        HashEmbedder::default().embed(texts).expect("hash embedding never fails")
    }

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    fn norm(v: &[f32]) -> f32 {
        cosine(v, v).sqrt()
    }

    #[test]
    fn same_text_gives_the_same_vector_every_time() {
        let text = "Diffusion models for protein structure generation";
        let first = embed(&[text]);
        let again = HashEmbedder::new(384).embed(&[text, text]).expect("embed");
        assert_eq!(first[0], again[0]);
        assert_eq!(first[0], again[1]);
    }

    #[test]
    fn vectors_are_stable_across_releases() {
        // Stored vectors must stay valid: this pins the hashing, stemming and weighting.
        let vector = HashEmbedder::new(8).embed(&["Graph neural networks"]).expect("embed");
        let pinned: Vec<i32> = vector[0].iter().map(|x| (x * 1e4).round() as i32).collect();
        assert_eq!(pinned, [0, -4714, -7071, 4714, 0, 0, 2357, 0]);
    }

    #[test]
    fn every_vector_is_unit_length_with_the_declared_dimension() {
        let texts = ["", "a", "The cat sat.", "量子计算 🚀", "x\u{0}\u{7}y", &"long ".repeat(10_000)];
        for (text, vector) in texts.iter().zip(embed(&texts)) {
            assert_eq!(vector.len(), 384);
            assert!((norm(&vector) - 1.0).abs() < 1e-5, "{text:?}");
        }
    }

    #[test]
    fn empty_and_stop_word_only_texts_get_a_unit_vector() {
        let vectors = embed(&["", "  ,.! ", "the of and"]);
        assert_eq!(vectors[0], vectors[1]);
        assert_eq!(vectors[0], vectors[2]);
    }

    #[test]
    fn empty_input_gives_empty_output() {
        assert!(embed(&[]).is_empty());
    }

    #[test]
    fn texts_sharing_words_are_closer_than_unrelated_texts() {
        let vectors = embed(&[
            "Graph neural networks for molecular property prediction",
            "Predicting molecular properties with a graph neural network",
            "A survey of reinforcement learning for robot locomotion",
        ]);
        let related = cosine(&vectors[0], &vectors[1]);
        let unrelated = cosine(&vectors[0], &vectors[2]);
        assert!(related > 0.5, "related {related}");
        assert!(unrelated < 0.2, "unrelated {unrelated}");
    }

    #[test]
    fn case_and_punctuation_do_not_matter() {
        let vectors = embed(&["Large Language Models!", "large, language models"]);
        assert_eq!(vectors[0], vectors[1]);
    }

    #[test]
    fn stemming_joins_inflections() {
        assert_eq!(stem("networks"), "network");
        assert_eq!(stem("learning"), "learn");
        assert_eq!(stem("properties"), "property");
        assert_eq!(stem("predictions"), stem("predicting"));
        assert_eq!(stem("is"), "is");
        assert_eq!(stem("bus"), "bus");
    }

    #[test]
    #[should_panic(expected = "at least one dimension")]
    fn zero_dimensions_is_a_programming_error() {
        HashEmbedder::new(0);
    }
}
