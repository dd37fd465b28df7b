//! Encoder + mean pooling + a linear classification head: the model webtune fine-tunes.

use burn::module::Module;
use burn::nn::Linear;
use burn::prelude::*;

use super::encoder::BertEncoder;
use super::input::ModelInput;
use super::pooling::{l2_normalize, mean_pool};

/// The classification head: a Dense layer on the pooled embedding (no pooler, no CLS token),
/// which is what sentence-transformers' `Dense` module computes too, optionally after
/// sentence-transformers' `Normalize`.
///
/// `normalize` is set for `logreg` models: their head is scikit-learn's logistic regression on
/// the L2-normalised sentence embeddings (what `SentenceTransformer.encode` gives for
/// all-MiniLM-L6-v2), which a linear layer on the unnormalised ones cannot reproduce, since
/// every row has its own norm. Fine-tuned heads read the pooled embedding as it is.
#[derive(Module, Debug)]
pub struct Head {
    pub linear: Linear,
    pub normalize: bool,
}

impl Head {
    pub fn new(linear: Linear, normalize: bool) -> Self {
        Head { linear, normalize }
    }

    /// Logits `[batch, num_labels]` from pooled embeddings `[batch, hidden]`.
    pub fn forward(&self, pooled: Tensor<2>) -> Tensor<2> {
        let x = if self.normalize {
            l2_normalize(pooled)
        } else {
            pooled
        };
        self.linear.forward(x)
    }

    /// Number of output classes.
    pub fn num_labels(&self) -> usize {
        self.linear.weight.dims()[1]
    }
}

/// A sentence classifier: the encoder, mean pooling and a [`Head`].
#[derive(Module, Debug)]
pub struct TextClassifier {
    pub encoder: BertEncoder,
    pub head: Head,
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
        self.head.num_labels()
    }
}
