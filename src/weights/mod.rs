//! `model.safetensors` bytes → a [`BertEncoder`] on a device.
//!
//! Bytes, not paths: the browser has no files. f32, f16 and bf16 tensors load (as f32); the
//! `bert.` prefix of `BertFor*` checkpoints is detected; Linear weights are transposed from
//! PyTorch's `[out, in]`. Any missing, mis-shaped or unexpected tensor is an error naming it:
//! a model is never silently left with random weights.

pub mod names;
pub mod reader;

use burn::module::Param;
use burn::nn::{DropoutConfig, Embedding, LayerNorm, LayerNormConfig, Linear};
use burn::prelude::*;
use burn::tensor::TensorData;

use crate::Result;
use crate::model::attention::SelfAttention;
use crate::model::embeddings::Embeddings;
use crate::model::layer::{EncoderLayer, FeedForward};
use crate::model::{BertConfig, BertEncoder};
use reader::{TensorReader, transpose};

/// What the loader did besides building the model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadReport {
    /// `""` or `"bert."`.
    pub prefix: String,
    /// Tensors present in the file but not used (pooler, position ids, pre-training heads).
    pub skipped: Vec<String>,
    /// The CLS pooler's tensors, when the file has them. Unused by webtune (it mean-pools), but
    /// written back on export so `transformers.AutoModel` loads the encoder without newly
    /// initialised weights.
    pub pooler: Vec<(String, Vec<usize>, Vec<f32>)>,
}

/// Builds modules from a [`TensorReader`] on one device.
struct Builder<'r, 'a> {
    reader: &'r mut TensorReader<'a>,
    device: Device,
}

impl Builder<'_, '_> {
    fn upload<const D: usize>(&self, values: Vec<f32>, shape: [usize; D]) -> Param<Tensor<D>> {
        Param::from_data(TensorData::new(values, shape), &self.device)
    }

    fn vector(&mut self, names: &[&str], n: usize) -> Param<Tensor<1>> {
        let v = self.reader.read(names, &[n]);
        self.upload(v, [n])
    }

    fn linear(&mut self, prefix: &str, d_in: usize, d_out: usize) -> Linear {
        let (w, b) = names::linear(prefix);
        let weight = self.reader.read(&[&w], &[d_out, d_in]);
        let weight = self.upload(transpose(&weight, d_out, d_in), [d_in, d_out]);
        let bias = self.vector(&[&b], d_out);
        Linear {
            weight,
            bias: Some(bias),
        }
    }

    fn layer_norm(&mut self, prefix: &str, d: usize, eps: f64) -> LayerNorm {
        let mut norm = LayerNormConfig::new(d).with_epsilon(eps).init(&self.device);
        // Old BERT checkpoints name LayerNorm parameters gamma/beta.
        norm.gamma = self.vector(
            &[&format!("{prefix}.weight"), &format!("{prefix}.gamma")],
            d,
        );
        norm.beta = Some(self.vector(&[&format!("{prefix}.bias"), &format!("{prefix}.beta")], d));
        norm
    }

    fn embedding(&mut self, name: &str, n: usize, d: usize) -> Embedding {
        let v = self.reader.read(&[name], &[n, d]);
        Embedding {
            weight: self.upload(v, [n, d]),
        }
    }

    fn encoder_layer(&mut self, i: usize, c: &BertConfig) -> EncoderLayer {
        let p = names::layer(i);
        let (h, f, eps) = (c.hidden_size, c.intermediate_size, c.layer_norm_eps);
        let attention = SelfAttention {
            query: self.linear(&format!("{p}.{}", names::QUERY), h, h),
            key: self.linear(&format!("{p}.{}", names::KEY), h, h),
            value: self.linear(&format!("{p}.{}", names::VALUE), h, h),
            output: self.linear(&format!("{p}.{}", names::ATTENTION_OUTPUT), h, h),
            norm: self.layer_norm(&format!("{p}.{}", names::ATTENTION_NORM), h, eps),
            attention_dropout: DropoutConfig::new(c.attention_probs_dropout_prob).init(),
            hidden_dropout: DropoutConfig::new(c.hidden_dropout_prob).init(),
            num_heads: c.num_attention_heads,
        };
        let ffn = FeedForward {
            intermediate: self.linear(&format!("{p}.{}", names::INTERMEDIATE), h, f),
            output: self.linear(&format!("{p}.{}", names::OUTPUT), f, h),
            norm: self.layer_norm(&format!("{p}.{}", names::OUTPUT_NORM), h, eps),
            dropout: DropoutConfig::new(c.hidden_dropout_prob).init(),
            activation: c.activation,
        };
        EncoderLayer { attention, ffn }
    }
}

/// Loads the encoder described by `config` from safetensors bytes onto `device`.
pub fn load_encoder(
    config: &BertConfig,
    bytes: &[u8],
    device: &Device,
) -> Result<(BertEncoder, LoadReport)> {
    let mut reader = TensorReader::new(
        bytes,
        "model.safetensors",
        names::WORD_EMBEDDINGS,
        names::BERT_PREFIX,
    )?;
    let c = config;
    reader.require_values(c.parameter_count(), || {
        format!(
            "config.json's encoder (vocab_size {}, hidden_size {}, num_hidden_layers {}, intermediate_size {}, max_position_embeddings {})",
            c.vocab_size,
            c.hidden_size,
            c.num_hidden_layers,
            c.intermediate_size,
            c.max_position_embeddings
        )
    })?;
    let mut b = Builder {
        reader: &mut reader,
        device: device.clone(),
    };
    let embeddings = Embeddings {
        word: b.embedding(names::WORD_EMBEDDINGS, c.vocab_size, c.hidden_size),
        position: b.embedding(
            names::POSITION_EMBEDDINGS,
            c.max_position_embeddings,
            c.hidden_size,
        ),
        token_type: b.embedding(
            names::TOKEN_TYPE_EMBEDDINGS,
            c.type_vocab_size,
            c.hidden_size,
        ),
        norm: b.layer_norm(names::EMBEDDINGS_NORM, c.hidden_size, c.layer_norm_eps),
        dropout: DropoutConfig::new(c.hidden_dropout_prob).init(),
    };
    let layers = (0..c.num_hidden_layers)
        .map(|i| b.encoder_layer(i, c))
        .collect();
    let prefix = reader.prefix().to_string();
    let pooler = names::POOLER
        .iter()
        .filter_map(|n| {
            reader
                .read_passthrough(n)
                .map(|(shape, v)| (n.to_string(), shape, v))
        })
        .collect();
    let skipped = reader.finish(names::is_known_unused)?;
    let encoder = BertEncoder {
        embeddings,
        layers,
        config: config.clone(),
    };
    Ok((
        encoder,
        LoadReport {
            prefix,
            skipped,
            pooler,
        },
    ))
}

/// Loads a `[num_labels, hidden]` Dense head (sentence-transformers' `2_Dense/model.safetensors`,
/// tensors `linear.weight` and `linear.bias`); `file_name` is what errors call it.
pub fn load_dense_head(
    bytes: &[u8],
    file_name: &str,
    hidden: usize,
    num_labels: usize,
    device: &Device,
) -> Result<Linear> {
    let mut reader = TensorReader::new(bytes, file_name, "linear.weight", "")?;
    reader.require_values((hidden as u128 + 1) * num_labels as u128, || {
        format!("a head of {num_labels} labels on {hidden} features")
    })?;
    let mut b = Builder {
        reader: &mut reader,
        device: device.clone(),
    };
    let head = b.linear(names::DENSE_HEAD, hidden, num_labels);
    reader.finish(|_| false)?;
    Ok(head)
}
