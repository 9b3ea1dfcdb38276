//! `MiniLm`: sentence-transformers/all-MiniLM-L6-v2 on candle, the embedder behind semantic
//! search.
//!
//! A text becomes a vector as in sentence-transformers: WordPiece tokens (lowercased, at most
//! 256 including `[CLS]` and `[SEP]`), the BERT encoder, the mean of the token states over the
//! attention mask, L2 normalisation. The model is read from a local directory
//! (`model_dir` resolves the layouts); nothing is ever downloaded.
//!
//! Speed: the texts of one call are sorted by token count and cut into sub-batches of similar
//! length, each padded only to its own longest text, so little work is spent on padding; on the
//! CPU the sub-batches run in parallel; the results are put back in input order. Padding never
//! changes a vector: padded positions are masked out of attention and of the mean.

use std::fs;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use rayon::prelude::*;
use tokenizers::{Encoding, Tokenizer, TruncationParams};

use crate::bert::{Bert, BertConfig};
use crate::model_dir::{CONFIG_FILE, TOKENIZER_FILE, WEIGHTS_FILE, resolve_model_dir};
use crate::{EmbedError, Embedder};

/// all-MiniLM-L6-v2's `max_seq_length`. Its tokenizer.json says 128 (and pads every text to
/// 128), which is not what sentence-transformers runs: both are overridden in `load`.
const MAX_TOKENS: usize = 256;

/// Default upper bound on texts × padded length in one forward pass on the CPU (about four
/// abstracts, or dozens of queries). Measured with the `throughput` example on 2 cores: with
/// one thread, batches of 512 to 1,024 tokens did best (larger ones fall out of the cache);
/// with two threads, larger batches split better. 1,024 was within about 10% of the best of
/// both.
const CPU_BATCH_TOKENS: usize = 1024;
/// The same on a GPU, where larger batches keep it busy (not measured here: no GPU).
const GPU_BATCH_TOKENS: usize = 32_768;

/// The architecture `MiniLm` expects in `config.json`.
const LAYERS: usize = 6;
const HIDDEN_SIZE: usize = 384;

/// sentence-transformers/all-MiniLM-L6-v2, loaded from local files.
pub struct MiniLm {
    tokenizer: Tokenizer,
    bert: Bert,
    device: Device,
    pad_id: u32,
    batch_tokens: usize,
}

impl MiniLm {
    /// The name stored beside its vectors.
    pub const MODEL: &'static str = "all-MiniLM-L6-v2";

    /// Loads the model from `path`: a directory holding `config.json`, `tokenizer.json` and
    /// `model.safetensors`, a Hugging Face hub repository folder
    /// (`models--sentence-transformers--all-MiniLM-L6-v2`) or a hub cache root containing one.
    ///
    /// Runs on the GPU when the crate is built with the `cuda` feature, else on the CPU.
    pub fn load(path: &Path) -> Result<MiniLm, EmbedError> {
        let dir = resolve_model_dir(path)?;
        let config = read_config(&dir.join(CONFIG_FILE))?;
        let tokenizer = read_tokenizer(&dir.join(TOKENIZER_FILE))?;
        let device = Device::cuda_if_available(0).map_err(|source| EmbedError::Gpu { source })?;
        let bert = read_weights(&dir.join(WEIGHTS_FILE), &config, &device)?;
        let batch_tokens = if device.is_cpu() { CPU_BATCH_TOKENS } else { GPU_BATCH_TOKENS };
        Ok(MiniLm { tokenizer, bert, device, pad_id: config.pad_token_id, batch_tokens })
    }

    /// Sets the upper bound on texts × padded length of one forward pass (at least one text
    /// always goes through). Results do not depend on it; speed and memory do.
    pub fn with_batch_tokens(mut self, batch_tokens: usize) -> MiniLm {
        self.batch_tokens = batch_tokens;
        self
    }

    /// Unit vectors of texts already tokenized, in the order given.
    fn embed_encodings(&self, encodings: &[&Encoding]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let longest = encodings.iter().map(|e| e.len()).max().unwrap_or(0);
        let mut input_ids = Vec::with_capacity(encodings.len() * longest);
        let mut attention_mask = Vec::with_capacity(encodings.len() * longest);
        for encoding in encodings {
            let padding = longest - encoding.len();
            input_ids.extend(encoding.get_ids());
            input_ids.extend(std::iter::repeat_n(self.pad_id, padding));
            attention_mask.extend(std::iter::repeat_n(1u32, encoding.len()));
            attention_mask.extend(std::iter::repeat_n(0u32, padding));
        }
        let shape = (encodings.len(), longest);
        let input_ids = Tensor::from_vec(input_ids, shape, &self.device)?;
        let attention_mask = Tensor::from_vec(attention_mask, shape, &self.device)?;
        let hidden = self.bert.forward(&input_ids, &attention_mask)?;
        Ok(mean_pool_normalised(&hidden, &attention_mask)?.to_vec2()?)
    }
}

impl Embedder for MiniLm {
    fn model(&self) -> &str {
        Self::MODEL
    }

    fn dim(&self) -> usize {
        HIDDEN_SIZE
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|source| EmbedError::Tokenize { source })?;
        let batches = length_sorted_batches(&encodings, self.batch_tokens);
        let forward = |batch: &Vec<usize>| {
            let batch_encodings: Vec<&Encoding> = batch.iter().map(|&i| &encodings[i]).collect();
            self.embed_encodings(&batch_encodings)
        };
        // On the CPU, sub-batches run side by side: candle spreads a matrix product over the
        // cores, but not the rest of a layer (softmax, GELU, normalisation), so one forward
        // pass at a time leaves cores idle.
        let batch_vectors: Vec<Vec<Vec<f32>>> = if self.device.is_cpu() {
            batches.par_iter().map(forward).collect::<Result<_, _>>()?
        } else {
            batches.iter().map(forward).collect::<Result<_, _>>()?
        };
        let mut vectors = vec![Vec::new(); texts.len()];
        for (batch, batch_vectors) in batches.into_iter().zip(batch_vectors) {
            for (index, vector) in batch.into_iter().zip(batch_vectors) {
                vectors[index] = vector;
            }
        }
        Ok(vectors)
    }
}

/// Indices of `encodings` grouped into batches: sorted by length, cut so that no batch's
/// texts × longest length exceeds `batch_tokens` (a batch holds at least one text).
fn length_sorted_batches(encodings: &[Encoding], batch_tokens: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..encodings.len()).collect();
    order.sort_by_key(|&i| encodings[i].len());
    let mut batches: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    for index in order {
        // Sorted ascending, so the text being added is the batch's longest.
        let padded_tokens = (current.len() + 1) * encodings[index].len();
        if !current.is_empty() && padded_tokens > batch_tokens {
            batches.push(std::mem::take(&mut current));
        }
        current.push(index);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

/// `(batch, hidden)`: the mean of `hidden` `(batch, seq, hidden)` over the positions where
/// `attention_mask` `(batch, seq)` is 1, scaled to unit length.
fn mean_pool_normalised(hidden: &Tensor, attention_mask: &Tensor) -> Result<Tensor, candle_core::Error> {
    let mask = attention_mask.to_dtype(DType::F32)?.unsqueeze(2)?;
    let sums = hidden.broadcast_mul(&mask)?.sum(1)?;
    let counts = mask.sum(1)?.clamp(1e-9, f64::MAX)?;
    let means = sums.broadcast_div(&counts)?;
    // The same floors as sentence-transformers' pooling and torch's `normalize`.
    let norms = means.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
    means.broadcast_div(&norms)
}

/// `config.json`, checked to describe all-MiniLM-L6-v2's architecture.
fn read_config(path: &Path) -> Result<ModelConfig, EmbedError> {
    let text = read_to_string(path)?;
    let config: ModelConfig = serde_json::from_str(&text)
        .map_err(|source| EmbedError::Config { path: path.to_path_buf(), source })?;
    let bert = &config.bert;
    if bert.num_hidden_layers != LAYERS
        || bert.hidden_size != HIDDEN_SIZE
        || !bert.hidden_size.is_multiple_of(bert.num_attention_heads)
        || bert.max_position_embeddings < MAX_TOKENS
    {
        return Err(EmbedError::WrongModel {
            path: path.to_path_buf(),
            expected: format!("{} ({LAYERS} layers of size {HIDDEN_SIZE})", MiniLm::MODEL),
            found: format!(
                "{} layers of size {} with {} attention heads and {} positions",
                bert.num_hidden_layers,
                bert.hidden_size,
                bert.num_attention_heads,
                bert.max_position_embeddings
            ),
        });
    }
    Ok(config)
}

/// The BERT configuration plus the padding token id.
#[derive(serde::Deserialize)]
struct ModelConfig {
    #[serde(flatten)]
    bert: BertConfig,
    #[serde(default)]
    pad_token_id: u32,
}

/// `tokenizer.json`, set to truncate at `MAX_TOKENS` and not to pad: `embed` pads each batch
/// to its own longest text.
fn read_tokenizer(path: &Path) -> Result<Tokenizer, EmbedError> {
    let tokenizer_error = |source| EmbedError::Tokenizer { path: path.to_path_buf(), source };
    let mut tokenizer = Tokenizer::from_file(path).map_err(tokenizer_error)?;
    tokenizer
        .with_truncation(Some(TruncationParams { max_length: MAX_TOKENS, ..TruncationParams::default() }))
        .map_err(tokenizer_error)?;
    tokenizer.with_padding(None);
    Ok(tokenizer)
}

/// `model.safetensors`, read whole (no memory map: that would need `unsafe`) onto `device`.
fn read_weights(path: &Path, config: &ModelConfig, device: &Device) -> Result<Bert, EmbedError> {
    let weights_error = |source| EmbedError::Weights { path: path.to_path_buf(), source };
    let bytes = fs::read(path).map_err(|source| read_error(path, source))?;
    let vb = VarBuilder::from_buffered_safetensors(bytes, DType::F32, device).map_err(weights_error)?;
    Bert::load(vb, &config.bert).map_err(weights_error)
}

fn read_to_string(path: &Path) -> Result<String, EmbedError> {
    fs::read_to_string(path).map_err(|source| read_error(path, source))
}

fn read_error(path: &Path, source: std::io::Error) -> EmbedError {
    EmbedError::Read { path: PathBuf::from(path), source }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// all-MiniLM-L6-v2's config.json, as shipped.
    const CONFIG: &str = r#"{
        "architectures": ["BertModel"], "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": 384,
        "initializer_range": 0.02, "intermediate_size": 1536, "layer_norm_eps": 1e-12,
        "max_position_embeddings": 512, "model_type": "bert", "num_attention_heads": 12,
        "num_hidden_layers": 6, "pad_token_id": 0, "position_embedding_type": "absolute",
        "transformers_version": "4.8.2", "type_vocab_size": 2, "use_cache": true,
        "vocab_size": 30522
    }"#;

    /// A minimal tokenizer.json: one token per whitespace-separated word.
    const TOKENIZER: &str = r#"{
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
        "normalizer": null, "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": null, "decoder": null,
        "model": {"type": "WordLevel", "vocab": {"[UNK]": 0}, "unk_token": "[UNK]"}
    }"#;

    fn model_dir(config: &str, tokenizer: &str, weights: &[u8]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join(CONFIG_FILE), config).expect("write config");
        fs::write(dir.path().join(TOKENIZER_FILE), tokenizer).expect("write tokenizer");
        fs::write(dir.path().join(WEIGHTS_FILE), weights).expect("write weights");
        dir
    }

    fn load_error(dir: &Path) -> EmbedError {
        match MiniLm::load(dir) {
            Ok(_) => panic!("{} should not load", dir.display()),
            Err(error) => error,
        }
    }

    #[test]
    fn config_that_is_not_json_names_the_file() {
        let dir = model_dir("not json", TOKENIZER, b"");
        let error = load_error(dir.path());
        assert!(matches!(error, EmbedError::Config { .. }), "{error:?}");
        assert!(error.to_string().ends_with("config.json"), "{error}");
    }

    #[test]
    fn unsupported_activation_is_a_config_error() {
        let dir = model_dir(&CONFIG.replace(r#""gelu""#, r#""relu""#), TOKENIZER, b"");
        let error = load_error(dir.path());
        let EmbedError::Config { source, .. } = &error else { panic!("{error:?}") };
        assert!(source.to_string().contains("unknown variant `relu`"), "{source}");
    }

    #[test]
    fn another_bert_is_rejected_before_its_weights_are_read() {
        let dir = model_dir(
            &CONFIG.replace(r#""num_hidden_layers": 6"#, r#""num_hidden_layers": 12"#),
            TOKENIZER,
            b"",
        );
        let message = load_error(dir.path()).to_string();
        assert!(
            message.contains("describes 12 layers of size 384")
                && message.contains("but all-MiniLM-L6-v2 (6 layers of size 384) was expected"),
            "{message}"
        );
    }

    #[test]
    fn broken_tokenizer_names_the_file() {
        let dir = model_dir(CONFIG, "{}", b"");
        let error = load_error(dir.path());
        assert!(matches!(error, EmbedError::Tokenizer { .. }), "{error:?}");
        assert!(error.to_string().ends_with("tokenizer.json"), "{error}");
    }

    #[test]
    fn weights_that_are_not_safetensors_name_the_file() {
        let dir = model_dir(CONFIG, TOKENIZER, b"not safetensors");
        let error = load_error(dir.path());
        assert!(matches!(error, EmbedError::Weights { .. }), "{error:?}");
        assert!(error.to_string().ends_with("model.safetensors"), "{error}");
    }

    #[test]
    fn weights_missing_a_tensor_name_it() {
        let dir = model_dir(CONFIG, TOKENIZER, b"");
        let weights = HashMap::from([(
            "unrelated".to_owned(),
            Tensor::zeros(2, DType::F32, &Device::Cpu).expect("tensor"),
        )]);
        candle_core::safetensors::save(&weights, dir.path().join(WEIGHTS_FILE)).expect("save");
        let error = load_error(dir.path());
        let EmbedError::Weights { source, .. } = &error else { panic!("{error:?}") };
        assert!(source.to_string().contains("word_embeddings"), "{source}");
    }

    #[test]
    fn batches_group_similar_lengths_within_the_token_bound() {
        let tokenizer = Tokenizer::from_bytes(TOKENIZER).expect("tokenizer");
        let texts = ["a a a a a a", "a", "a a a", "a a", "a a a a a a a a"];
        let encodings = tokenizer.encode_batch(texts.to_vec(), false).expect("encode");
        // Lengths 6, 1, 3, 2, 8: sorted 1, 2, 3 | 6 | 8 under a bound of 9 tokens.
        assert_eq!(length_sorted_batches(&encodings, 9), vec![vec![1, 3, 2], vec![0], vec![4]]);
        assert_eq!(length_sorted_batches(&encodings, 1).len(), 5);
        assert!(length_sorted_batches(&[], 9).is_empty());
    }
}
