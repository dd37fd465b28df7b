//! Encoder + mean pooling + a linear classification head: the model webtune fine-tunes.

use burn::module::Module;
use burn::nn::Linear;
use burn::prelude::*;

use super::encoder::BertEncoder;
use super::input::ModelInput;
use super::pooling::mean_pool;

/// A sentence classifier. `head` is a Dense layer on the pooled embedding (no pooler, no CLS
/// token), which is what sentence-transformers' `Dense` module computes too.
#[derive(Module, Debug)]
pub struct TextClassifier {
    pub encoder: BertEncoder,
    pub head: Linear,
}

impl TextClassifier {
    /// Logits `[batch, num_labels]`.
    pub fn forward(&self, input: &ModelInput) -> Tensor<2> {
        let hidden = self.encoder.forward(input);
        self.head.forward(mean_pool(hidden, input.mask.clone()))
    }

    /// Logits from the hidden state entering layer `first_layer` (what the trainer caches):
    /// runs only `layers[first_layer..]`, pooling and the head.
    pub fn forward_from(
        &self,
        hidden: Tensor<3>,
        mask: Tensor<2>,
        first_layer: usize,
    ) -> Tensor<2> {
        self.head
            .forward(self.pooled_from(hidden, mask, first_layer))
    }

    /// The pooled sentence embedding from the hidden state entering layer `first_layer`.
    pub fn pooled_from(&self, hidden: Tensor<3>, mask: Tensor<2>, first_layer: usize) -> Tensor<2> {
        let bias = BertEncoder::mask_bias(mask.clone());
        let n = self.encoder.num_layers();
        let hidden = self.encoder.forward_layers(hidden, bias, first_layer..n);
        mean_pool(hidden, mask)
    }

    /// Number of output classes.
    pub fn num_labels(&self) -> usize {
        self.head.weight.dims()[1]
    }
}
