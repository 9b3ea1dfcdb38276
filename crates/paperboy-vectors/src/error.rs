//! The errors of this crate.

use std::path::PathBuf;

/// Why a vector or an index file was refused.
#[derive(Debug, thiserror::Error)]
pub enum VectorError {
    /// A vector's length differs from the index's dimension.
    #[error("vector has {got} dimensions, the index has {expected}")]
    WrongDimension { expected: usize, got: usize },
    /// A vector holds NaN or an infinity.
    #[error("vector has a non-finite value at position {position}")]
    NotFinite { position: usize },
    /// A vector is all zeros, so it has no direction to compare.
    #[error("vector is zero")]
    Zero,
    /// Reading or writing an index file failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not an index this version wrote, or it was cut short or damaged.
    #[error("{path}: not a usable vector index: {reason}")]
    Corrupt { path: PathBuf, reason: String },
}
