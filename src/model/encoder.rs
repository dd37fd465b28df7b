//! The BERT encoder: embeddings and a stack of layers. Layers can be run in ranges, so the
//! trainer can run the frozen bottom once (no autodiff) and only the trainable top every step.

use core::ops::Range;

use burn::module::Module;
use burn::prelude::*;

use super::config::BertConfig;
use super::embeddings::Embeddings;
use super::input::ModelInput;
use super::layer::EncoderLayer;

/// Added to attention scores at padding positions; large enough that `exp` underflows to 0 in
/// f32 (PyTorch uses the dtype's minimum; any value below about -104 gives the same softmax).
const MASKED_SCORE: f64 = -1e9;

/// BERT encoder (no pooler: sentence-transformers models pool the token states themselves).
#[derive(Module, Debug)]
pub struct BertEncoder {
    pub embeddings: Embeddings,
    pub layers: Vec<EncoderLayer>,
    #[module(skip)]
    pub config: BertConfig,
}

impl BertEncoder {
    /// Number of transformer layers.
    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }

    /// Turns the `[batch, seq]` 1/0 attention mask into the additive bias the layers expect.
    pub fn mask_bias(mask: Tensor<2>) -> Tensor<4> {
        mask.sub_scalar(1.0)
            .mul_scalar(-MASKED_SCORE)
            .unsqueeze_dims::<4>(&[1, 2])
    }

    /// Embedding layer output (the hidden state entering layer 0).
    pub fn embed(&self, input: &ModelInput) -> Tensor<3> {
        self.embeddings
            .forward(input.input_ids.clone(), input.token_type_ids.clone())
    }

    /// Runs `layers[range]` on `hidden`.
    pub fn forward_layers(
        &self,
        mut hidden: Tensor<3>,
        mask_bias: Tensor<4>,
        range: Range<usize>,
    ) -> Tensor<3> {
        for layer in &self.layers[range] {
            hidden = layer.forward(hidden, mask_bias.clone());
        }
        hidden
    }

    /// The hidden state entering layer `layer` (`0`: the embedding output).
    pub fn hidden_before(&self, input: &ModelInput, layer: usize) -> Tensor<3> {
        let bias = Self::mask_bias(input.mask.clone());
        self.forward_layers(self.embed(input), bias, 0..layer)
    }

    /// Sets every dropout probability (0 disables dropout, e.g. for exact reproducibility).
    pub fn set_dropout(&mut self, hidden: f64, attention: f64) {
        self.embeddings.dropout.prob = hidden;
        for layer in &mut self.layers {
            layer.attention.attention_dropout.prob = attention;
            layer.attention.hidden_dropout.prob = hidden;
            layer.ffn.dropout.prob = hidden;
        }
    }

    /// Full forward: `last_hidden_state`, `[batch, seq, hidden]`.
    pub fn forward(&self, input: &ModelInput) -> Tensor<3> {
        let bias = Self::mask_bias(input.mask.clone());
        self.forward_layers(self.embed(input), bias, 0..self.layers.len())
    }
}
