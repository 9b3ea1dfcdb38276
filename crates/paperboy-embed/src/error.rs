//! `EmbedError`: everything that can go wrong loading a model or embedding texts.
//!
//! Messages name the file or directory involved and say what was expected, because the usual
//! cause is a model directory that was never fetched or was fetched only in part. Following
//! the Rust API guidelines, a message does not repeat its underlying error: that is the
//! `source()`, which `anyhow`'s `{:#}` and error reporters print after it.

use std::path::PathBuf;

/// Why a model could not be loaded or texts could not be embedded.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// The directory holds neither a model nor a Hugging Face hub cache with one.
    #[error(
        "no model found in {dir}: expected config.json, tokenizer.json and model.safetensors, \
         or a Hugging Face hub cache (models--ORG--NAME/snapshots/REV/)"
    )]
    ModelNotFound { dir: PathBuf },

    /// The directory holds some of the model's files but not all of them.
    #[error("incomplete model in {dir}: missing {missing}")]
    IncompleteModel { dir: PathBuf, missing: String },

    /// A model file exists but could not be read.
    #[error("cannot read {path}")]
    Read { path: PathBuf, source: std::io::Error },

    /// `config.json` is not valid JSON or not a BERT configuration this crate implements.
    #[error("invalid model configuration {path}")]
    Config { path: PathBuf, source: serde_json::Error },

    /// `config.json` describes another model than the one the embedder runs.
    #[error("{path} describes {found}, but {expected} was expected")]
    WrongModel { path: PathBuf, expected: String, found: String },

    /// `tokenizer.json` could not be loaded or configured.
    #[error("invalid tokenizer {path}")]
    Tokenizer { path: PathBuf, source: tokenizers::Error },

    /// `model.safetensors` is not a safetensors file, or lacks a tensor the model needs, or
    /// has one of the wrong shape.
    #[error("invalid model weights {path}")]
    Weights { path: PathBuf, source: candle_core::Error },

    /// The crate was built with the `cuda` feature but the GPU cannot be used.
    #[error("cannot use the GPU (this build has the cuda feature)")]
    Gpu { source: candle_core::Error },

    /// The tokenizer failed on an input text.
    #[error("cannot tokenize text")]
    Tokenize { source: tokenizers::Error },

    /// The model failed while computing embeddings.
    #[error("model inference failed")]
    Inference {
        #[from]
        source: candle_core::Error,
    },
}
