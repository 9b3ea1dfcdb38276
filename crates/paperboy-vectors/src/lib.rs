//! Approximate nearest-neighbour search over paper embeddings (all-MiniLM-L6-v2: 384
//! dimensions, unit length, cosine similarity = dot product).
//!
//! - `VectorIndex`: the index the service keeps (an HNSW graph over int8 vectors that grows
//!   one vector at a time, with replace and remove; saved to one file).
//! - `exact_search`: the brute-force baseline that recall is measured against.
//! - `synthetic`, `measure`, `bench`: data and tools for `paperboy bench vectors` and for the
//!   crate comparison in `bench/ann-compare`; `random`: the seeded generator they and the
//!   `paperboy` crate's benchmarks share.
//!
//! Not here: turning text into vectors (`paperboy-embed`), keyword search and fusion
//! (`paperboy-search`).

pub mod bench;
mod error;
mod exact;
mod graph;
mod index;
pub mod measure;
mod persist;
pub mod quantise;
pub mod random;
pub mod synthetic;

pub use error::VectorError;
pub use exact::exact_search;
pub use index::{Growth, IndexParams, VectorIndex};
