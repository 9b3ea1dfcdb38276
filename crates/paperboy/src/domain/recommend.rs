//! Ranking papers for one member, from the papers they upvoted or saved, as arxiv-sanity does:
//! each paper's title and abstract as a TF-IDF vector over the papers at hand, and
//!
//! - with few liked papers, each candidate's cosine similarity to the nearest liked paper;
//! - with [`MIN_FOR_MODEL`] or more, a per-member linear model (logistic regression, liked
//!   papers against the candidates, classes weighted to balance) trained on the spot, whose
//!   score is blended with that similarity.
//!
//! A little weight goes to the community's upvotes, so that between two equally close papers
//! the one others found worth reading comes first. Every ranked paper names the liked paper it
//! is closest to, as the reason it is there. Pure computation: no clock, no I/O.

use std::collections::HashMap;

/// Liked papers from which a per-member model is trained.
pub const MIN_FOR_MODEL: usize = 8;
/// How much the community's upvotes count beside similarity (0 to 1).
pub const POPULARITY_WEIGHT: f32 = 0.1;

/// Passes of the model's training over the papers, and its step size and regularisation.
const EPOCHS: usize = 8;
const STEP: f32 = 0.5;
const L2: f32 = 1e-4;
/// A prime: the stride of the training order.
const SCATTER: usize = 7919;

/// Common English words that say nothing of a paper's subject.
const STOP_WORDS: [&str; 44] = [
    "the", "and", "for", "with", "that", "this", "from", "are", "our", "which", "these", "their", "its",
    "has", "have", "can", "not", "but", "was", "were", "been", "also", "than", "such", "into", "over",
    "both", "each", "when", "where", "while", "how", "what", "all", "more", "most", "other", "some", "only",
    "well", "new", "show", "use", "using",
];

/// A liked paper or a candidate: the words it is ranked by.
#[derive(Debug, Clone, Copy)]
pub struct Text<'a> {
    pub title: &'a str,
    pub summary: &'a str,
}

/// A candidate's place in a member's ranking.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked {
    /// Its index among the candidates.
    pub candidate: usize,
    pub score: f32,
    /// The index of the liked paper it is closest to.
    pub because: usize,
    /// Its cosine similarity to that paper.
    pub similarity: f32,
}

/// A sparse, L2-normalised TF-IDF vector: (term, weight), sorted by term.
type Vector = Vec<(u32, f32)>;

/// The words of `text`: letters and digits, at least 3 long, not only digits, as written (they
/// are lower-cased when looked up).
fn words(text: &str) -> impl Iterator<Item = &str> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().nth(2).is_some() && !w.bytes().all(|b| b.is_ascii_digit()))
}

/// TF-IDF vectors of `texts` (the title counts twice), over the vocabulary they make.
fn vectorize(texts: &[Text<'_>]) -> Vec<Vector> {
    let mut vocabulary: HashMap<String, u32> = HashMap::new();
    let mut lower = String::new();
    let mut terms: Vec<u32> = Vec::new();
    let counts: Vec<Vec<(u32, f32)>> = texts
        .iter()
        .map(|text| {
            terms.clear();
            for word in words(text.title).chain(words(text.title)).chain(words(text.summary)) {
                lower.clear();
                lower.extend(word.chars().flat_map(char::to_lowercase));
                if STOP_WORDS.contains(&lower.as_str()) {
                    continue;
                }
                let term = match vocabulary.get(lower.as_str()) {
                    Some(term) => *term,
                    None => {
                        let term = vocabulary.len() as u32;
                        vocabulary.insert(lower.clone(), term);
                        term
                    }
                };
                terms.push(term);
            }
            terms.sort_unstable();
            let mut counts: Vec<(u32, f32)> = Vec::new();
            for term in &terms {
                match counts.last_mut() {
                    Some((last, count)) if last == term => *count += 1.0,
                    _ => counts.push((*term, 1.0)),
                }
            }
            counts
        })
        .collect();
    let mut frequency = vec![0_u32; vocabulary.len()];
    for doc in &counts {
        for (term, _) in doc {
            frequency[*term as usize] += 1;
        }
    }
    let n = texts.len() as f32;
    let idf: Vec<f32> = frequency.iter().map(|df| ((n + 1.0) / (*df as f32 + 1.0)).ln() + 1.0).collect();
    counts
        .into_iter()
        .map(|mut vector| {
            vector.iter_mut().for_each(|(term, tf)| *tf = (1.0 + tf.ln()) * idf[*term as usize]);
            let norm = vector.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
            if norm > 0.0 {
                vector.iter_mut().for_each(|(_, w)| *w /= norm);
            }
            vector
        })
        .collect()
}

/// Each candidate's nearest liked paper and its cosine similarity, through an inverted index of
/// the liked papers' terms: the work is the terms they share, not every pair of papers.
fn nearest(liked: &[Vector], candidates: &[Vector], terms: usize) -> Vec<(usize, f32)> {
    let mut postings: Vec<Vec<(u32, f32)>> = vec![Vec::new(); terms];
    for (i, vector) in liked.iter().enumerate() {
        for (term, weight) in vector {
            postings[*term as usize].push((i as u32, *weight));
        }
    }
    let mut scores = vec![0.0_f32; liked.len()];
    candidates
        .iter()
        .map(|candidate| {
            scores.iter_mut().for_each(|s| *s = 0.0);
            for (term, weight) in candidate {
                for (i, w) in &postings[*term as usize] {
                    scores[*i as usize] += weight * w;
                }
            }
            scores.iter().copied().enumerate().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap_or((0, 0.0))
        })
        .collect()
}

/// A linear model's weights over the vocabulary, and its bias.
struct Model {
    weights: Vec<f32>,
    bias: f32,
}

impl Model {
    fn score(&self, x: &[(u32, f32)]) -> f32 {
        self.bias + x.iter().map(|(term, w)| self.weights[*term as usize] * w).sum::<f32>()
    }

    /// Logistic regression of `positives` against `negatives` by stochastic gradient descent,
    /// each class weighted to count as much as the other, visiting the papers in a fixed
    /// scattered order (a stride prime to their number).
    fn train(positives: &[&Vector], negatives: &[&Vector], terms: usize) -> Model {
        let mut model = Model { weights: vec![0.0; terms], bias: 0.0 };
        let total = (positives.len() + negatives.len()) as f32;
        let weight_of = |count: usize| total / (2.0 * count.max(1) as f32);
        let examples: Vec<(&Vector, f32, f32)> = positives
            .iter()
            .map(|x| (*x, 1.0, weight_of(positives.len())))
            .chain(negatives.iter().map(|x| (*x, 0.0, weight_of(negatives.len()))))
            .collect();
        let n = examples.len();
        let stride = if n.is_multiple_of(SCATTER) { 1 } else { SCATTER };
        for epoch in 0..EPOCHS {
            let step = STEP / (1.0 + epoch as f32);
            for k in 0..n {
                let (x, label, weight) = examples[(k * stride + epoch) % n];
                let predicted = 1.0 / (1.0 + (-model.score(x)).exp());
                let gradient = (predicted - label) * weight;
                for (term, value) in x {
                    let w = &mut model.weights[*term as usize];
                    *w -= step * (gradient * value + L2 * *w);
                }
                model.bias -= step * gradient;
            }
        }
        model
    }
}

/// How a member's ranking is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Similarity, and a per-member model once [`MIN_FOR_MODEL`] papers are liked.
    Full,
    /// Similarity to the nearest liked paper only (for comparison in `bench for-you`).
    SimilarityOnly,
}

/// The `candidates` ranked for a member who liked `liked`, best first; `upvotes[i]` is
/// candidate `i`'s. Empty when nothing is liked.
pub fn rank(liked: &[Text<'_>], candidates: &[Text<'_>], upvotes: &[i64], method: Method) -> Vec<Ranked> {
    if liked.is_empty() || candidates.is_empty() {
        return Vec::new();
    }
    let texts: Vec<Text<'_>> = liked.iter().chain(candidates).copied().collect();
    let vectors = vectorize(&texts);
    let (liked_vectors, candidate_vectors) = vectors.split_at(liked.len());
    let terms = vectors.iter().flat_map(|v| v.iter().map(|(t, _)| *t as usize + 1)).max().unwrap_or(0);
    let model = (method == Method::Full && liked.len() >= MIN_FOR_MODEL).then(|| {
        let positives: Vec<&Vector> = liked_vectors.iter().collect();
        let negatives: Vec<&Vector> = candidate_vectors.iter().collect();
        Model::train(&positives, &negatives, terms)
    });
    let most = upvotes.iter().copied().max().unwrap_or(0).max(0) as f32;
    let nearest = nearest(liked_vectors, candidate_vectors, terms);
    let mut ranked: Vec<Ranked> = candidate_vectors
        .iter()
        .zip(nearest)
        .enumerate()
        .map(|(candidate, (x, (because, similarity)))| {
            let relevance = match &model {
                Some(model) => 0.5 * similarity + 0.5 / (1.0 + (-model.score(x)).exp()),
                None => similarity,
            };
            let popularity = if most > 0.0 {
                (upvotes.get(candidate).copied().unwrap_or(0).max(0) as f32).ln_1p() / most.ln_1p()
            } else {
                0.0
            };
            let score = (1.0 - POPULARITY_WEIGHT) * relevance + POPULARITY_WEIGHT * popularity;
            Ranked { candidate, score, because, similarity }
        })
        .collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.candidate.cmp(&b.candidate)));
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(title: &'static str, summary: &'static str) -> Text<'static> {
        Text { title, summary }
    }

    #[test]
    fn the_closest_papers_come_first_each_with_its_reason() {
        let liked = [
            text("Graph neural networks for molecules", "Message passing over molecular graphs."),
            text("Protein folding with diffusion", "A diffusion model predicts protein structure."),
        ];
        let candidates = [
            text(
                "Sparse attention for long documents",
                "Transformers read long documents with sparse attention.",
            ),
            text(
                "Equivariant graph networks for molecules",
                "Message passing on molecular graphs, equivariant.",
            ),
            text("Diffusion for protein design", "Designing protein structure with a diffusion model."),
        ];
        let ranked = rank(&liked, &candidates, &[50, 0, 0], Method::Full);
        let order: Vec<(usize, usize)> = ranked.iter().map(|r| (r.candidate, r.because)).collect();
        assert_eq!(order[2].0, 0, "the unrelated paper is last, however upvoted: {ranked:?}");
        assert!(order.contains(&(1, 0)) && order.contains(&(2, 1)), "{order:?}");
        assert!(rank(&[], &candidates, &[0, 0, 0], Method::Full).is_empty());
    }

    #[test]
    fn a_member_model_learns_a_topic_from_enough_papers() {
        let liked: Vec<Text> =
            (0..MIN_FOR_MODEL).map(|_| text("Robot grasping", "Robot arms grasp objects.")).collect();
        let mut candidates = vec![text("Quantum error correction", "Surface codes protect qubits."); 20];
        candidates.push(text("Grasping with robot hands", "A robot hand learns to grasp."));
        let upvotes = vec![3; candidates.len()];
        let ranked = rank(&liked, &candidates, &upvotes, Method::Full);
        assert_eq!(ranked[0].candidate, 20, "{ranked:?}");
        assert!(ranked[0].score > ranked[1].score + 0.2, "{ranked:?}");
    }

    #[test]
    fn numbers_short_tokens_and_stop_words_are_left_out() {
        let found: Vec<&str> = words("The 2026 GNNs, for a new e-graph; and Ünïcode").collect();
        assert_eq!(found, ["The", "GNNs", "for", "new", "graph", "and", "Ünïcode"]);
        let vectors = vectorize(&[text("The graph", "and the GRAPH"), text("b", "graph tree")]);
        assert_eq!(vectors[0].len(), 1, "only `graph`: {vectors:?}");
        for v in &vectors {
            assert!((v.iter().map(|(_, w)| w * w).sum::<f32>() - 1.0).abs() < 1e-5);
        }
    }
}
