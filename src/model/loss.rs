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

/// `softplus(x) = log(1 + eˣ)`, computed without overflow as `max(x, 0) + log(1 + e^-|x|)`.
fn softplus(x: Tensor<2>) -> Tensor<2> {
    x.clone().clamp_min(0.0) + x.abs().neg().exp().log1p()
}

/// Mean binary cross-entropy of `logits` `[batch, labels]` against 0/1 `targets` of the same
/// shape, PyTorch's `BCEWithLogitsLoss`: `−[p·y·log σ(x) + (1−y)·log(1−σ(x))]` averaged over
/// every element, where `p` is the label's positive weight (`pos_weight`, `[labels]`; 1 without
/// it). Computed from softplus (`−log σ(x) = softplus(−x)`), so large logits do not overflow.
pub fn binary_cross_entropy(
    logits: Tensor<2>,
    targets: Tensor<2>,
    pos_weight: Option<Tensor<1>>,
) -> Tensor<1> {
    let positive = softplus(logits.clone().neg()) * targets.clone();
    let positive = match pos_weight {
        Some(w) => positive * w.unsqueeze_dim::<2>(0),
        None => positive,
    };
    let negative = softplus(logits) * targets.neg().add_scalar(1.0);
    (positive + negative).mean()
}

/// The loss of a regression head.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RegressionLoss {
    /// Mean squared error.
    Mse,
    /// PyTorch's `HuberLoss(delta)`: squared below `delta`, linear above, so outliers pull less.
    Huber { delta: f32 },
}

/// Mean regression loss of `predicted` `[batch]` against `targets` `[batch]`.
pub fn regression_loss(
    predicted: Tensor<1>,
    targets: Tensor<1>,
    loss: RegressionLoss,
) -> Tensor<1> {
    let d = predicted - targets;
    match loss {
        RegressionLoss::Mse => d.powi_scalar(2).mean(),
        RegressionLoss::Huber { delta } => {
            // With q = min(|d|, δ): ½q² + δ(|d| − q), which is ½d² below δ and δ(|d| − ½δ) above.
            let a = d.abs();
            let q = a.clone().clamp_max(delta);
            (q.clone().powi_scalar(2).mul_scalar(0.5) + (a - q).mul_scalar(delta)).mean()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    fn read(t: Tensor<1>) -> f32 {
        t.into_data().try_to_vec::<f32>().unwrap()[0]
    }

    fn t2(v: &[f32], shape: [usize; 2], d: &Device) -> Tensor<2> {
        Tensor::from_data(TensorData::new(v.to_vec(), shape), d)
    }

    fn t1(v: &[f32], d: &Device) -> Tensor<1> {
        Tensor::from_data(TensorData::new(v.to_vec(), [v.len()]), d)
    }

    #[test]
    fn binary_cross_entropy_matches_hand_computed_values() {
        let d = Device::default();
        // Element by element: −log σ(2) = 0.126928, −log(1 − σ(−1)) = 0.313262,
        // −log σ(0) = 0.693147, −log(1 − σ(30)) = 30 (no overflow), mean 7.783334.
        let logits = t2(&[2.0, -1.0, 0.0, 30.0], [2, 2], &d);
        let targets = t2(&[1.0, 0.0, 1.0, 0.0], [2, 2], &d);
        let l = read(binary_cross_entropy(logits.clone(), targets.clone(), None));
        assert!((l - 7.783_334).abs() < 1e-4, "{l}");
        // A positive weight of 3 on the first label: its positives count 3 times
        // (0.126928·3 + 0.313262 + 0.693147·3 + 30) / 4 = 8.193372.
        let w = t1(&[3.0, 1.0], &d);
        let l = read(binary_cross_entropy(logits, targets, Some(w)));
        assert!((l - 8.193_372).abs() < 1e-4, "{l}");
    }

    #[test]
    fn regression_losses_match_hand_computed_values() {
        let d = Device::default();
        let p = t1(&[1.0, 2.0, 5.0], &d);
        let y = t1(&[1.5, 2.0, 2.0], &d);
        // Differences −0.5, 0, 3: MSE (0.25 + 0 + 9) / 3.
        let mse = read(regression_loss(p.clone(), y.clone(), RegressionLoss::Mse));
        assert!((mse - 9.25 / 3.0).abs() < 1e-6, "{mse}");
        // Huber δ = 1: ½·0.25, 0, 1·(3 − ½) → (0.125 + 2.5) / 3.
        let h = read(regression_loss(p, y, RegressionLoss::Huber { delta: 1.0 }));
        assert!((h - 2.625 / 3.0).abs() < 1e-6, "{h}");
    }
}
