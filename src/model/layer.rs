//! One transformer encoder layer (BERT's `BertLayer`): attention, then the feed-forward block,
//! each followed by residual + LayerNorm (post-LN).

use burn::module::Module;
use burn::nn::{Dropout, LayerNorm, Linear};
use burn::prelude::*;

use super::activation;
use super::attention::SelfAttention;
use super::config::Activation;
use super::dropout;

/// Position-wise feed-forward block.
#[derive(Module, Debug)]
pub struct FeedForward {
    pub intermediate: Linear,
    pub output: Linear,
    pub norm: LayerNorm,
    pub dropout: Dropout,
    #[module(skip)]
    pub activation: Activation,
}

impl FeedForward {
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let h = activation::apply(self.activation, self.intermediate.forward(x.clone()));
        let out = dropout::apply(&self.dropout, self.output.forward(h));
        self.norm.forward(out + x)
    }
}

/// Attention + feed-forward.
#[derive(Module, Debug)]
pub struct EncoderLayer {
    pub attention: SelfAttention,
    pub ffn: FeedForward,
}

impl EncoderLayer {
    pub fn forward(&self, x: Tensor<3>, mask_bias: Tensor<4>) -> Tensor<3> {
        self.ffn.forward(self.attention.forward(x, mask_bias))
    }
}
