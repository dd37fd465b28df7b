//! Losses on sentence embeddings, as sentence-transformers defines them: each takes mean-pooled
//! embeddings (normalising them itself) and returns a one-element tensor, so the trainer reads it
//! back asynchronously like the classification loss.
//!
//! - [`cosine_similarity_loss`]: `CosineSimilarityLoss`, the mean squared error between each
//!   pair's cosine similarity and its target (SetFit's loss; targets 1 and 0).
//! - [`cosent_loss`]: `CoSENTLoss` (Su, 2022), for scored pairs: only the order of the scores
//!   matters, so any score range works without rescaling.
//! - [`mnrl_loss`]: `MultipleNegativesRankingLoss` (in-batch negatives), and with `symmetric`
//!   `MultipleNegativesSymmetricRankingLoss`.

use burn::prelude::*;
use burn::tensor::TensorData;

use super::loss::cross_entropy;
use super::pooling::l2_normalize;
use crate::device_cost::upload;

/// sentence-transformers' default scale for CoSENT and MNRL (a temperature of 0.05).
pub const DEFAULT_SCALE: f64 = 20.0;

/// Cosine similarity of each row of `a` with the same row of `b`: `[n, h]`, `[n, h]` → `[n]`.
pub fn cosine_rows(a: Tensor<2>, b: Tensor<2>) -> Tensor<1> {
    (l2_normalize(a) * l2_normalize(b))
        .sum_dim(1)
        .squeeze_dim::<1>(1)
}

/// Mean of `(cos(aᵢ, bᵢ) − targetᵢ)²`.
pub fn cosine_similarity_loss(a: Tensor<2>, b: Tensor<2>, targets: &[f32]) -> Tensor<1> {
    let device = a.device();
    let t: Tensor<1> = upload(TensorData::new(targets.to_vec(), [targets.len()]), &device);
    (cosine_rows(a, b) - t).square().mean()
}

/// CoSENT: `log(1 + Σ exp(s·(cos_i − cos_j)))` over every pair of pairs whose scores say `i`
/// should be less similar than `j` (`score_i < score_j`), with scale `s`.
pub fn cosent_loss(a: Tensor<2>, b: Tensor<2>, scores: &[f32], scale: f64) -> Tensor<1> {
    let device = a.device();
    let n = scores.len();
    let cos = cosine_rows(a, b) * scale;
    // diff[i][j] = s·cos_i − s·cos_j, kept where score_i < score_j, else pushed to −∞ (−1e12,
    // as sentence-transformers does, so exp gives exactly 0 and no NaN appears).
    let diff = cos.clone().unsqueeze_dim::<2>(1) - cos.unsqueeze_dim::<2>(0);
    let mut off = vec![0.0f32; n * n];
    for i in 0..n {
        for j in 0..n {
            if scores[i] >= scores[j] {
                off[i * n + j] = 1e12;
            }
        }
    }
    let off: Tensor<2> = upload(TensorData::new(off, [n, n]), &device);
    let values = (diff - off).reshape([n * n]);
    // log(exp(0) + Σ exp(v)), shifted by the largest term (the shift carries no gradient).
    let shift = values.clone().max().detach().clamp_min(0.0);
    let sum = values.sub(shift.clone()).exp().sum() + shift.clone().neg().exp();
    sum.log() + shift
}

/// MultipleNegativesRankingLoss: each anchor `i` should be closer to candidate `i` (its
/// positive) than to every other candidate (the batch's other positives, then any hard
/// negatives appended after them): cross-entropy over `scale · cos(anchor, candidate)`.
/// `candidates` has at least as many rows as `anchors`. With `symmetric`, the mean of that and
/// the same loss from each positive back to the anchors.
pub fn mnrl_loss(
    anchors: Tensor<2>,
    candidates: Tensor<2>,
    scale: f64,
    symmetric: bool,
) -> Tensor<1> {
    let device = anchors.device();
    let n = anchors.dims()[0];
    let scores = l2_normalize(anchors).matmul(l2_normalize(candidates).transpose()) * scale;
    let targets: Tensor<1, Int> = upload(
        TensorData::new((0..n as i64).collect::<Vec<_>>(), [n]),
        &device,
    );
    let forward = cross_entropy(scores.clone(), targets.clone(), None);
    if !symmetric {
        return forward;
    }
    let backward = cross_entropy(scores.slice([0..n, 0..n]).transpose(), targets, None);
    (forward + backward) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev() -> Device {
        Device::flex()
    }

    fn t2(rows: &[[f32; 2]]) -> Tensor<2> {
        let flat: Vec<f32> = rows.iter().flatten().copied().collect();
        Tensor::from_data(TensorData::new(flat, [rows.len(), 2]), &dev())
    }

    fn value(t: Tensor<1>) -> f64 {
        t.into_data().try_to_vec::<f32>().unwrap()[0] as f64
    }

    /// Unit vectors at angles 0°, 60° and 90° from (1, 0): cosines 1, ½ and 0.
    #[test]
    fn cosine_loss_by_hand() {
        let a = t2(&[[1.0, 0.0], [2.0, 0.0], [0.0, 3.0]]);
        let b = t2(&[[5.0, 0.0], [0.5, 0.75f32.sqrt()], [1.0, 0.0]]);
        // cos = [1, 0.5, 0]; targets [1, 0, 0] → (0 + 0.25 + 0) / 3.
        let l = value(cosine_similarity_loss(a, b, &[1.0, 0.0, 0.0]));
        assert!((l - 0.25 / 3.0).abs() < 1e-6, "{l}");
    }

    #[test]
    fn cosent_by_hand() {
        // cos = [1, 0.5, 0]; scores [5, 1, 3]: the pairs (i, j) with score_i < score_j are
        // (1, 0), (1, 2), (2, 0): terms s·(cos_i − cos_j) = 20·(−0.5), 20·0.5, 20·(−1).
        let a = t2(&[[1.0, 0.0], [2.0, 0.0], [0.0, 3.0]]);
        let b = t2(&[[5.0, 0.0], [0.5, 0.75f32.sqrt()], [1.0, 0.0]]);
        let l = value(cosent_loss(a, b, &[5.0, 1.0, 3.0], 20.0));
        let want = (1.0 + (-10.0f64).exp() + 10.0f64.exp() + (-20.0f64).exp()).ln();
        assert!((l - want).abs() < 1e-4, "{l} vs {want}");
        // Ties contribute nothing: all scores equal gives log(1) = 0.
        let a = t2(&[[1.0, 0.0], [0.0, 1.0]]);
        let b = t2(&[[0.0, 1.0], [0.0, 1.0]]);
        assert!(value(cosent_loss(a, b, &[2.0, 2.0], 20.0)).abs() < 1e-7);
    }

    #[test]
    fn mnrl_by_hand() {
        // Anchors (1,0), (0,1); candidates (1,0), (1,1)/√2: scores 20·[[1, 0.7071], [0, 0.7071]].
        let a = t2(&[[1.0, 0.0], [0.0, 2.0]]);
        let c = t2(&[[3.0, 0.0], [1.0, 1.0]]);
        let r = 0.5f64.sqrt() * 20.0;
        let ce = |row: [f64; 2], target: usize| {
            let lse = (row[0].exp() + row[1].exp()).ln();
            lse - row[target]
        };
        let forward = (ce([20.0, r], 0) + ce([0.0, r], 1)) / 2.0;
        let l = value(mnrl_loss(a.clone(), c.clone(), 20.0, false));
        assert!((l - forward).abs() < 1e-4, "{l} vs {forward}");
        // Backward: each positive's scores against the anchors (columns of the square part).
        let backward = (ce([20.0, 0.0], 0) + ce([r, r], 1)) / 2.0;
        let l = value(mnrl_loss(a, c, 20.0, true));
        assert!(
            (l - (forward + backward) / 2.0).abs() < 1e-4,
            "{l} vs {}",
            (forward + backward) / 2.0
        );
    }
}
