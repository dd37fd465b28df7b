//! Classification loss.

use burn::prelude::*;
use burn::tensor::activation::log_softmax;

/// Mean cross-entropy of `logits` `[batch, classes]` against `targets` `[batch]`, as PyTorch's
/// `F.cross_entropy`. With `class_weights` it is the weighted mean `Σ wᵢ·lᵢ / Σ wᵢ`, PyTorch's
/// definition for imbalanced data. Returns a one-element tensor (no readback).
pub fn cross_entropy(
    logits: Tensor<2>,
    targets: Tensor<1, Int>,
    class_weights: Option<Tensor<1>>,
) -> Tensor<1> {
    let log_probs = log_softmax(logits, 1);
    let picked: Tensor<1> = log_probs
        .gather(1, targets.clone().unsqueeze_dim::<2>(1))
        .squeeze_dim::<1>(1);
    match class_weights {
        None => picked.mean().neg(),
        Some(w) => {
            let w = w.select(0, targets);
            (picked * w.clone()).sum().neg() / w.sum()
        }
    }
}
