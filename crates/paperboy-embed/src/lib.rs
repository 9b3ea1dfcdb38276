//! Sentence embeddings for papers: the `Embedder` trait, all-MiniLM-L6-v2 on candle (`MiniLm`),
//! and a deterministic test embedder (`HashEmbedder`).
//!
//! Vectors are L2-normalised, so the dot product of two is their cosine. Every vector is
//! stored beside `Embedder::model()`: vectors of different models are not comparable, and a
//! change of model means embedding the catalog again.
//!
//! This crate computes vectors and nothing else: it neither stores nor indexes them, and it
//! never downloads a model (`scripts/fetch-model.sh` does that, ahead of time).

mod bert;
mod error;
mod gelu;
mod hash;
mod minilm;
mod model_dir;

pub use error::EmbedError;
pub use hash::HashEmbedder;
pub use minilm::MiniLm;

/// Turns texts into vectors for semantic search.
pub trait Embedder: Send + Sync {
    /// Stable name stored beside every vector, e.g. "all-MiniLM-L6-v2"; a change of model means re-embedding.
    fn model(&self) -> &str;
    fn dim(&self) -> usize;
    /// One L2-normalised vector per text, in input order.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError>;
}

/// An embedder shows as its model's name, so settings that hold one can derive `Debug`.
impl std::fmt::Debug for dyn Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Embedder({})", self.model())
    }
}
