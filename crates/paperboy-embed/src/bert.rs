//! A BERT encoder, inference only, on candle: token ids and attention mask in, one hidden state
//! per token out. Pooling and normalisation are the caller's (`minilm`).
//!
//! This is a small copy of the forward pass of candle-transformers' `BertModel`, kept here for
//! speed on CPU, where it runs about twice as fast (see the crate's `throughput` example):
//! - attention uses candle's fused `softmax_last_dim` kernel, not the generic softmax built
//!   from five tensor operations;
//! - the query, key and value projections are one matrix product, with the attention scale
//!   1/sqrt(head size) folded into the query weights when the model is loaded;
//! - GELU computes erf with a vectorisable rational approximation on the CPU (`gelu`);
//! - every text is a single segment, so the token-type embedding of segment 0 is added to the
//!   position embeddings once, at load time;
//! - no dropout and no tracing spans.
//!
//! Weight names are Hugging Face's (`embeddings.word_embeddings.weight`,
//! `encoder.layer.N.attention.self.query.weight`, ...), with or without a `bert.` prefix.

use candle_core::{D, DType, Result, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear, Module, VarBuilder};
use serde::Deserialize;

use crate::gelu::gelu_erf;

/// The part of a Hugging Face BERT `config.json` that inference needs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    pub type_vocab_size: usize,
    pub layer_norm_eps: f64,
    /// Only the exact (erf) GELU of the original BERT is implemented.
    pub hidden_act: Activation,
    #[serde(default)]
    pub position_embedding_type: PositionEmbedding,
}

/// Activation of the feed-forward layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Activation {
    Gelu,
}

/// How positions are encoded; only learned absolute positions are implemented.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum PositionEmbedding {
    #[default]
    Absolute,
}

/// A loaded BERT encoder.
pub(crate) struct Bert {
    embeddings: Embeddings,
    layers: Vec<Layer>,
}

impl Bert {
    pub(crate) fn load(vb: VarBuilder, config: &BertConfig) -> Result<Bert> {
        let vb =
            if vb.contains_tensor("bert.embeddings.word_embeddings.weight") { vb.pp("bert") } else { vb };
        let embeddings = Embeddings::load(vb.pp("embeddings"), config)?;
        let layers = (0..config.num_hidden_layers)
            .map(|index| Layer::load(vb.pp(format!("encoder.layer.{index}")), config))
            .collect::<Result<Vec<_>>>()?;
        Ok(Bert { embeddings, layers })
    }

    /// Hidden states `(batch, seq, hidden)` of `input_ids` `(batch, seq)`, where
    /// `attention_mask` `(batch, seq)` is 1 for tokens and 0 for padding.
    pub(crate) fn forward(&self, input_ids: &Tensor, attention_mask: &Tensor) -> Result<Tensor> {
        let mask = additive_attention_mask(attention_mask)?;
        let mut hidden = self.embeddings.forward(input_ids)?;
        for layer in &self.layers {
            hidden = layer.forward(&hidden, &mask)?;
        }
        Ok(hidden)
    }
}

/// `(batch, 1, 1, seq)`: 0 where a token may be attended to, the lowest `f32` at padding, so
/// that padding gets no weight after the softmax (as in Hugging Face's BERT).
fn additive_attention_mask(attention_mask: &Tensor) -> Result<Tensor> {
    let (batch, seq) = attention_mask.dims2()?;
    attention_mask
        .to_dtype(DType::F32)?
        .affine(-f64::from(f32::MIN), f64::from(f32::MIN))?
        .reshape((batch, 1, 1, seq))
}

struct Embeddings {
    words: Embedding,
    /// Position embeddings plus the token-type embedding of segment 0, `(max_positions, hidden)`.
    positions: Tensor,
    norm: LayerNorm,
}

impl Embeddings {
    fn load(vb: VarBuilder, config: &BertConfig) -> Result<Embeddings> {
        let hidden = config.hidden_size;
        let words = candle_nn::embedding(config.vocab_size, hidden, vb.pp("word_embeddings"))?;
        let positions =
            vb.pp("position_embeddings").get((config.max_position_embeddings, hidden), "weight")?;
        let first_segment =
            vb.pp("token_type_embeddings").get((config.type_vocab_size, hidden), "weight")?.get(0)?;
        let positions = positions.broadcast_add(&first_segment)?;
        let norm = candle_nn::layer_norm(hidden, config.layer_norm_eps, vb.pp("LayerNorm"))?;
        Ok(Embeddings { words, positions, norm })
    }

    fn forward(&self, input_ids: &Tensor) -> Result<Tensor> {
        let (_, seq) = input_ids.dims2()?;
        let words = self.words.forward(input_ids)?;
        let positions = self.positions.narrow(0, 0, seq)?;
        self.norm.forward(&words.broadcast_add(&positions)?)
    }
}

/// One transformer layer: self-attention, then the feed-forward block, each followed by a
/// residual connection and layer normalisation (post-norm, as in the original BERT).
struct Layer {
    /// Query, key and value projections in one, `hidden -> 3 * hidden`; query pre-scaled.
    qkv: Linear,
    attention_output: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
    heads: usize,
    head_size: usize,
}

impl Layer {
    fn load(vb: VarBuilder, config: &BertConfig) -> Result<Layer> {
        let hidden = config.hidden_size;
        let heads = config.num_attention_heads;
        let head_size = hidden / heads;
        let attention = vb.pp("attention");
        let eps = config.layer_norm_eps;
        Ok(Layer {
            qkv: fused_qkv(attention.pp("self"), hidden, head_size)?,
            attention_output: candle_nn::linear(hidden, hidden, attention.pp("output.dense"))?,
            attention_norm: candle_nn::layer_norm(hidden, eps, attention.pp("output.LayerNorm"))?,
            intermediate: candle_nn::linear(hidden, config.intermediate_size, vb.pp("intermediate.dense"))?,
            output: candle_nn::linear(config.intermediate_size, hidden, vb.pp("output.dense"))?,
            output_norm: candle_nn::layer_norm(hidden, eps, vb.pp("output.LayerNorm"))?,
            heads,
            head_size,
        })
    }

    fn forward(&self, hidden: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let context = self.self_attention(hidden, mask)?;
        let attended = (self.attention_output.forward(&context)? + hidden)?;
        let attended = self.attention_norm.forward(&attended)?;
        let intermediate = gelu_erf(&self.intermediate.forward(&attended)?)?;
        let output = (self.output.forward(&intermediate)? + attended)?;
        self.output_norm.forward(&output)
    }

    /// Multi-head self-attention: `(batch, seq, hidden)` in and out, before the output projection.
    fn self_attention(&self, hidden: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let (batch, seq, width) = hidden.dims3()?;
        // (batch, seq, 3 * hidden) -> (3, batch, heads, seq, head_size)
        let qkv = self
            .qkv
            .forward(hidden)?
            .reshape((batch, seq, 3, self.heads, self.head_size))?
            .permute((2, 0, 3, 1, 4))?;
        let query = qkv.get(0)?.contiguous()?;
        let key = qkv.get(1)?.contiguous()?;
        let value = qkv.get(2)?.contiguous()?;
        let scores = query.matmul(&key.t()?)?.broadcast_add(mask)?;
        let weights = candle_nn::ops::softmax_last_dim(&scores)?;
        weights.matmul(&value)?.transpose(1, 2)?.reshape((batch, seq, width))
    }
}

/// The three projections of `self` as one `Linear`, with 1/sqrt(head_size) folded into the
/// query's weight and bias: `(q / s) . k` equals `((W x + b) / s) . k`.
fn fused_qkv(vb: VarBuilder, hidden: usize, head_size: usize) -> Result<Linear> {
    let scale = 1.0 / (head_size as f64).sqrt();
    let part = |name: &str| -> Result<(Tensor, Tensor)> {
        let vb = vb.pp(name);
        Ok((vb.get((hidden, hidden), "weight")?, vb.get(hidden, "bias")?))
    };
    let (query_weight, query_bias) = part("query")?;
    let (key_weight, key_bias) = part("key")?;
    let (value_weight, value_bias) = part("value")?;
    let weight = Tensor::cat(&[(query_weight * scale)?, key_weight, value_weight], 0)?;
    let bias = Tensor::cat(&[(query_bias * scale)?, key_bias, value_bias], D::Minus1)?;
    Ok(Linear::new(weight, Some(bias)))
}
