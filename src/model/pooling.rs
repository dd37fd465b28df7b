//! Attention-masked mean pooling (sentence-transformers `Pooling`, `mean_tokens`): the mean of
//! the token states, padding excluded.

use burn::prelude::*;

/// `hidden`: `[batch, seq, dim]`, `mask`: `[batch, seq]` of 1/0 → `[batch, dim]`.
pub fn mean_pool(hidden: Tensor<3>, mask: Tensor<2>) -> Tensor<2> {
    let mask3 = mask.unsqueeze_dim::<3>(2); // [batch, seq, 1]
    let summed = (hidden * mask3.clone()).sum_dim(1).squeeze_dim::<2>(1);
    // sentence-transformers clamps the count at 1e-9; a row always has [CLS] and [SEP] anyway.
    let count = mask3.sum_dim(1).squeeze_dim::<2>(1).clamp_min(1e-9);
    summed / count
}

/// L2-normalises each row (sentence-transformers' `Normalize`).
pub fn l2_normalize(x: Tensor<2>) -> Tensor<2> {
    let norm = x.clone().square().sum_dim(1).sqrt().clamp_min(1e-12);
    x / norm
}
