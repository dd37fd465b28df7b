//! Multi-head self-attention with the padding mask (BERT's `BertAttention`, post-LN).

use burn::module::Module;
use burn::nn::{Dropout, LayerNorm, Linear};
use burn::prelude::*;

use super::dropout;
use burn::tensor::activation::softmax;

/// Self-attention block: Q/K/V projections, scaled dot product over non-padding keys, output
/// projection, residual, LayerNorm.
#[derive(Module, Debug)]
pub struct SelfAttention {
    pub query: Linear,
    pub key: Linear,
    pub value: Linear,
    pub output: Linear,
    pub norm: LayerNorm,
    pub attention_dropout: Dropout,
    pub hidden_dropout: Dropout,
    pub num_heads: usize,
}

impl SelfAttention {
    /// `x`: `[batch, seq, hidden]`; `mask_bias`: `[batch, 1, 1, seq]`, 0 for tokens and a large
    /// negative number for padding, added to the scores so padding gets zero attention.
    pub fn forward(&self, x: Tensor<3>, mask_bias: Tensor<4>) -> Tensor<3> {
        let [batch, seq, hidden] = x.dims();
        let head_dim = hidden / self.num_heads;
        let split = |t: Tensor<3>| {
            t.reshape([batch, seq, self.num_heads, head_dim])
                .swap_dims(1, 2)
        };
        let q = split(self.query.forward(x.clone()));
        let k = split(self.key.forward(x.clone()));
        let v = split(self.value.forward(x.clone()));

        let scores = q.matmul(k.swap_dims(2, 3)) * (1.0 / (head_dim as f64).sqrt()) + mask_bias;
        let probs = dropout::apply(&self.attention_dropout, softmax(scores, 3));
        let context = probs
            .matmul(v)
            .swap_dims(1, 2)
            .reshape([batch, seq, hidden]);

        let out = dropout::apply(&self.hidden_dropout, self.output.forward(context));
        self.norm.forward(out + x)
    }
}
