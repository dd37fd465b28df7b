//! AdamW with separate learning rates for the head and the encoder, global gradient-norm
//! clipping, and a linear warm-up/decay schedule. Nothing here reads a tensor back: clipping is
//! computed on the device, so a step never waits for the GPU.

use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::TextClassifier;

/// Learning-rate schedule over the whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// Linear warm-up to the peak, then linear decay to zero at the last step.
    Linear,
    /// Linear warm-up, then the peak rate to the end (with no warm-up: the PyTorch reference
    /// recipe).
    Constant,
}

/// Multiplier of the peak learning rate at 0-based `step` of `total`.
pub fn lr_factor(schedule: Schedule, step: usize, total: usize, warmup: usize) -> f64 {
    match schedule {
        _ if step < warmup => (step + 1) as f64 / warmup as f64,
        Schedule::Constant => 1.0,
        Schedule::Linear => {
            let remaining = total.saturating_sub(step) as f64;
            (remaining / total.saturating_sub(warmup).max(1) as f64).clamp(0.0, 1.0)
        }
    }
}

/// Collects the ids and ranks of the parameters that have a gradient in `grads`.
struct WithGrad<'a> {
    grads: &'a GradientsParams,
    found: Vec<(ParamId, usize)>,
}

impl ModuleVisitor for WithGrad<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if self.grads.get::<D>(param.id).is_some() {
            self.found.push((param.id, D));
        }
    }
}

/// The optimiser state of one training run.
pub struct Optimizer {
    adamw: ModuleOptimizer,
    max_grad_norm: Option<f64>,
}

impl Optimizer {
    /// AdamW with β = (0.9, 0.999), ε = 1e-8 (PyTorch's defaults, not burn's 1e-5) and decoupled
    /// weight decay.
    pub fn new(weight_decay: f64, max_grad_norm: Option<f64>) -> Self {
        let adamw = AdamWConfig::new()
            .with_beta_1(0.9)
            .with_beta_2(0.999)
            .with_epsilon(1e-8)
            .with_weight_decay(weight_decay as f32)
            .init();
        Optimizer {
            adamw,
            max_grad_norm,
        }
    }

    /// Back-propagates `loss` and updates `model`: the head at `lr_head`, everything else at
    /// `lr_encoder`. Frozen parameters get no gradient and are left untouched.
    pub fn step(
        &mut self,
        model: TextClassifier,
        loss: Tensor<1>,
        lr_head: f64,
        lr_encoder: f64,
    ) -> TextClassifier {
        let mut grads = loss.backward();
        let mut head = GradientsParams::from_module(&mut grads, &model.head);
        let mut encoder = GradientsParams::from_module(&mut grads, &model.encoder);
        if let Some(max_norm) = self.max_grad_norm {
            clip_global_norm(&model, &mut [&mut head, &mut encoder], max_norm);
        }
        let model = if encoder.is_empty() {
            model
        } else {
            self.adamw.step(lr_encoder, model, encoder)
        };
        self.adamw.step(lr_head, model, head)
    }
}

/// Scales every gradient by `min(1, max_norm / ‖g‖)`, `‖g‖` the L2 norm over all of them
/// together (PyTorch's `clip_grad_norm_`), computed on the device.
fn clip_global_norm(model: &TextClassifier, groups: &mut [&mut GradientsParams], max_norm: f64) {
    let mut entries: Vec<(usize, ParamId, usize)> = Vec::new();
    for (g, grads) in groups.iter().enumerate() {
        let mut v = WithGrad {
            grads,
            found: Vec::new(),
        };
        model.visit(&mut v);
        entries.extend(v.found.into_iter().map(|(id, rank)| (g, id, rank)));
    }
    let mut total: Option<Tensor<1>> = None;
    for &(g, id, rank) in &entries {
        let sq = match rank {
            1 => groups[g].get::<1>(id).map(sum_of_squares),
            2 => groups[g].get::<2>(id).map(sum_of_squares),
            _ => None,
        };
        if let Some(sq) = sq {
            total = Some(match total {
                Some(t) => t + sq,
                None => sq,
            });
        }
    }
    let Some(total) = total else { return };
    let scale = total
        .sqrt()
        .add_scalar(1e-6)
        .recip()
        .mul_scalar(max_norm)
        .clamp_max(1.0);
    for &(g, id, rank) in &entries {
        match rank {
            1 => {
                if let Some(t) = groups[g].remove::<1>(id) {
                    groups[g].register(id, t * scale.clone());
                }
            }
            2 => {
                if let Some(t) = groups[g].remove::<2>(id) {
                    groups[g].register(id, t * scale.clone().unsqueeze::<2>());
                }
            }
            _ => {}
        }
    }
}

/// `Σ t²` as a `[1]` tensor. Written as a row reduction (`sum_dim`) rather than `sum()`: with
/// burn's fusion on the GPU the square fuses into the reduction, one kernel per parameter, where
/// `sum()` takes an atomic kernel and a zero-fill of its output besides the square.
fn sum_of_squares<const D: usize>(t: Tensor<D>) -> Tensor<1> {
    let n = t.shape().num_elements();
    t.reshape([1, n]).square().sum_dim(1).reshape([1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_schedule_warms_up_then_decays_to_zero() {
        let f = |s| lr_factor(Schedule::Linear, s, 100, 10);
        assert!((f(0) - 0.1).abs() < 1e-12);
        assert!((f(9) - 1.0).abs() < 1e-12);
        assert!((f(10) - 1.0).abs() < 1e-12);
        assert!((f(55) - 0.5).abs() < 1e-12);
        assert!(f(99) > 0.0 && f(99) < 0.02);
        assert_eq!(lr_factor(Schedule::Constant, 99, 100, 10), 1.0);
        assert!((lr_factor(Schedule::Constant, 4, 100, 10) - 0.5).abs() < 1e-12);
        assert_eq!(lr_factor(Schedule::Constant, 0, 100, 0), 1.0);
    }
}
