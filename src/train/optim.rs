//! AdamW with separate learning rates for the head and the encoder, global gradient-norm
//! clipping, and a linear warm-up/decay schedule. Nothing here reads a tensor back: clipping is
//! computed on the device, so a step never waits for the GPU.

use std::any::Any;
use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::{
    AdamW, AdamWConfig, AdamWState, AdaptiveMomentumState, GradientsParams, Optimizer as _,
};
use burn::prelude::*;
use burn::tensor::TensorData;
use serde::{Deserialize, Serialize};

use crate::model::TextClassifier;

/// Learning-rate schedule over the whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// Chosen from the data ([`super::plan::resolve_schedule`]): constant for `full`
    /// fine-tuning of sentence pairs and multi-label or regression data, linear otherwise.
    Auto,
    /// Linear warm-up to the peak, then linear decay to zero at the last step.
    Linear,
    /// Linear warm-up, then the peak rate to the end (with no warm-up: the PyTorch reference
    /// recipe).
    Constant,
}

impl std::str::FromStr for Schedule {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "auto" => Ok(Schedule::Auto),
            "linear" => Ok(Schedule::Linear),
            "constant" => Ok(Schedule::Constant),
            other => Err(crate::Error::Invalid(format!(
                "unknown schedule \"{other}\" (expected auto, linear or constant)"
            ))),
        }
    }
}

/// Multiplier of the peak learning rate at 0-based `step` of `total`.
pub fn lr_factor(schedule: Schedule, step: usize, total: usize, warmup: usize) -> f64 {
    match schedule {
        _ if step < warmup => (step + 1) as f64 / warmup as f64,
        Schedule::Constant => 1.0,
        // Unresolved (a caller that skipped `TrainConfig::resolved_schedule`): linear.
        Schedule::Linear | Schedule::Auto => {
            let remaining = total.saturating_sub(step) as f64;
            (remaining / total.saturating_sub(warmup).max(1) as f64).clamp(0.0, 1.0)
        }
    }
}

/// The parameters that have a gradient, as (group, id, rank), in the module's order.
struct WithGrad<'a> {
    groups: &'a [&'a GradientsParams],
    found: Vec<(usize, ParamId, usize)>,
}

impl ModuleVisitor for WithGrad<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self
            .groups
            .iter()
            .position(|grads| grads.get::<D>(param.id).is_some())
        {
            self.found.push((g, param.id, D));
        }
    }
}

/// The optimiser state of one training run.
pub struct Optimizer {
    adamw: AdamW,
    /// Each parameter's AdamW moments (`AdamWState<D>`, boxed because D varies).
    states: HashMap<ParamId, Box<dyn Any + Send>>,
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
            .build();
        Optimizer {
            adamw,
            states: HashMap::new(),
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
        let head = GradientsParams::from_module(&mut grads, &model.head);
        let encoder = GradientsParams::from_module(&mut grads, &model.encoder);
        self.update(model, [(head, lr_head), (encoder, lr_encoder)])
    }

    /// Clips the gradients of `groups` together and applies AdamW to every parameter of `module`
    /// that has one, at its group's learning rate, in one pass over the parameters (burn's
    /// `ModuleOptimizer` takes one group a pass).
    ///
    /// The scaled gradients are all made before the first update, not each just before its
    /// parameter's: on WebGPU a fused kernel may bind 7 buffers (the default 8 storage buffers
    /// less one wgpu keeps), and one parameter's AdamW update takes exactly that many (gradient,
    /// both moments and the weight in, moments and weight out). With the clip scale as an eighth,
    /// the update fell apart into single operations (a `last2` step in Chromium: 656 dispatches
    /// against 451).
    pub fn update<M: Module>(&mut self, module: M, mut groups: [(GradientsParams, f64); 2]) -> M {
        if let Some(max_norm) = self.max_grad_norm {
            clip_global_norm(&module, &mut groups, max_norm);
        }
        module.map(&mut AdamWStep {
            adamw: &self.adamw,
            states: &mut self.states,
            groups,
        })
    }
}

/// One parameter's AdamW moments, flattened (read by a checkpoint).
pub struct Moments {
    pub steps: usize,
    /// The parameter's shape.
    pub shape: Vec<usize>,
    pub first: Tensor<1>,
    pub second: Tensor<1>,
}

impl Optimizer {
    /// Every parameter's moments, by its path in `module` (a checkpoint outlives the ids).
    pub fn moments<M: Module>(&self, module: &M) -> Vec<(String, Moments)> {
        fn flat<const D: usize>(state: &(dyn Any + Send)) -> Option<Moments> {
            let s = state.downcast_ref::<AdamWState<D>>()?;
            let m = &s.momentum;
            let n = m.moment_1.shape().num_elements();
            Some(Moments {
                steps: m.time,
                shape: Vec::new(),
                first: m.moment_1.clone().reshape([n]),
                second: m.moment_2.clone().reshape([n]),
            })
        }
        super::checkpoint::params(module)
            .into_iter()
            .filter_map(|p| {
                let state = self.states.get(&p.id)?.as_ref();
                let moments = match p.shape.len() {
                    1 => flat::<1>(state),
                    2 => flat::<2>(state),
                    3 => flat::<3>(state),
                    4 => flat::<4>(state),
                    _ => None,
                }?;
                Some((
                    p.path,
                    Moments {
                        shape: p.shape,
                        ..moments
                    },
                ))
            })
            .collect()
    }

    /// Gives the parameters of `module` the saved moments (by path) on `device` (where the
    /// parameters' values live without autodiff, as AdamW keeps them). A saved path the module
    /// lacks, or a shape that differs, is an error.
    pub fn restore_moments<M: Module>(
        &mut self,
        module: &M,
        saved: std::collections::BTreeMap<String, super::checkpoint::SavedMoments>,
        device: &Device,
    ) -> crate::Result<()> {
        fn state<const D: usize>(
            s: super::checkpoint::SavedMoments,
            device: &Device,
        ) -> Box<dyn Any + Send> {
            let tensor =
                |v: Vec<f32>| Tensor::<D>::from_data(TensorData::new(v, s.shape.clone()), device);
            let (first, second) = (tensor(s.first), tensor(s.second));
            Box::new(AdamWState {
                momentum: AdaptiveMomentumState::new(s.steps, first, second),
            })
        }
        let mut saved = saved;
        for p in super::checkpoint::params(module) {
            let Some(s) = saved.remove(&p.path) else {
                continue;
            };
            if s.shape != p.shape {
                return Err(crate::Error::Invalid(format!(
                    "the checkpoint's moments of {} are {:?}, the parameter is {:?}",
                    p.path, s.shape, p.shape
                )));
            }
            let boxed = match p.shape.len() {
                1 => state::<1>(s, device),
                2 => state::<2>(s, device),
                3 => state::<3>(s, device),
                4 => state::<4>(s, device),
                _ => continue,
            };
            self.states.insert(p.id, boxed);
        }
        match saved.keys().next() {
            Some(path) => Err(crate::Error::Invalid(format!(
                "the checkpoint has moments of {path}, which this model does not train"
            ))),
            None => Ok(()),
        }
    }
}

/// Applies one AdamW step to every parameter that has a gradient in one of `groups` (each with
/// its learning rate).
struct AdamWStep<'a> {
    adamw: &'a AdamW,
    states: &'a mut HashMap<ParamId, Box<dyn Any + Send>>,
    groups: [(GradientsParams, f64); 2],
}

impl ModuleMapper for AdamWStep<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let Some((grad, lr)) = self
            .groups
            .iter_mut()
            .find_map(|(grads, lr)| grads.remove::<D>(id).map(|g| (g, *lr)))
        else {
            return Param::from_mapped_value(id, tensor, mapper);
        };
        // What the parameter was besides its value, to give it back after the update (as
        // burn's `ModuleOptimizer` does).
        let require_grad = tensor.is_require_grad();
        let checkpointing = tensor.gradient_checkpointing_strategy();
        let state = self
            .states
            .remove(&id)
            .and_then(|s| s.downcast::<AdamWState<D>>().ok())
            .map(|s| *s);
        let (updated, state) = self.adamw.step(lr, tensor.inner(), grad, state);
        if let Some(state) = state {
            self.states.insert(id, Box::new(state));
        }
        let mut tensor = Tensor::from_inner(updated);
        if let Some(strategy) = checkpointing {
            tensor = tensor.with_gradient_checkpointing_strategy(strategy);
        }
        if require_grad {
            tensor = tensor.require_grad();
        }
        Param::from_mapped_value(id, tensor, mapper)
    }
}

/// Scales every gradient by `min(1, max_norm / ‖g‖)`, `‖g‖` the L2 norm over all of them
/// together (PyTorch's `clip_grad_norm_`), computed on the device. Every parameter's `Σ g²` is
/// queued before the first sum, so with fusion on the GPU the sums and the scale are a couple of
/// element-wise kernels after the reductions, not one per parameter; the scale is shaped once.
fn clip_global_norm<M: Module>(model: &M, groups: &mut [(GradientsParams, f64); 2], max_norm: f64) {
    let mut v = WithGrad {
        groups: &[&groups[0].0, &groups[1].0],
        found: Vec::new(),
    };
    model.visit(&mut v);
    // Group by group (the head's first), each in the module's order: the order the total has
    // always been summed in, so a run's numbers do not move.
    let mut entries = v.found;
    entries.sort_by_key(|&(g, _, _)| g);
    let squares: Vec<Tensor<1>> = entries
        .iter()
        .filter_map(|&(g, id, rank)| match rank {
            1 => groups[g].0.get::<1>(id).map(sum_of_squares),
            2 => groups[g].0.get::<2>(id).map(sum_of_squares),
            _ => None,
        })
        .collect();
    let Some(total) = squares.into_iter().reduce(|a, b| a + b) else {
        return;
    };
    let scale = total
        .sqrt()
        .add_scalar(1e-6)
        .recip()
        .mul_scalar(max_norm)
        .clamp_max(1.0);
    let scale2: Tensor<2> = scale.clone().unsqueeze();
    for (g, id, rank) in entries {
        let grads = &mut groups[g].0;
        match rank {
            1 => {
                if let Some(t) = grads.remove::<1>(id) {
                    grads.register(id, t * scale.clone());
                }
            }
            2 => {
                if let Some(t) = grads.remove::<2>(id) {
                    grads.register(id, t * scale2.clone());
                }
            }
            _ => {}
        }
    }
}

/// `Σ t²` as a `[1]` tensor. Written as a row reduction (`sum_dim`) rather than `sum()`: with
/// burn's fusion on the GPU that is one reduction kernel (after the square's) per parameter,
/// where `sum()` takes an atomic kernel and a zero-fill of its output besides.
fn sum_of_squares<const D: usize>(t: Tensor<D>) -> Tensor<1> {
    let n = t.shape().num_elements();
    t.reshape([1, n]).square().sum_dim(1).reshape([1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};
    use burn::optim::ModuleOptimizer;

    #[derive(Module, Debug)]
    struct Two {
        a: Linear,
        b: Linear,
    }

    fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    /// Three steps of ours (clip scale and AdamW in one pass, our own moment store) against burn's
    /// `ModuleOptimizer` fed gradients clipped by hand: the same weights, so the scale is the
    /// global norm's, each group gets its own rate and the moments carry over between steps.
    #[test]
    fn one_pass_clip_and_adamw_equal_burns_optimizer_on_clipped_gradients() {
        let device = Device::flex().autodiff();
        let init = Two {
            a: LinearConfig::new(3, 4).init(&device),
            b: LinearConfig::new(4, 2).init(&device),
        };
        let x = Tensor::<2>::from_floats([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]], &device);
        let loss = |m: &Two| {
            m.b.forward(m.a.forward(x.clone()))
                .powi_scalar(2)
                .sum()
                .mul_scalar(10.0)
        };
        let (lr_a, lr_b, max_norm) = (0.01, 0.003, 0.5);
        let grads_of = |m: &Two| {
            let mut g = loss(m).backward();
            (
                GradientsParams::from_module(&mut g, &m.a),
                GradientsParams::from_module(&mut g, &m.b),
            )
        };

        let mut ours = Optimizer::new(0.01, Some(max_norm));
        let mut theirs = AdamWConfig::new()
            .with_beta_1(0.9)
            .with_beta_2(0.999)
            .with_epsilon(1e-8)
            .with_weight_decay(0.01)
            .init();
        let (mut m1, mut m2) = (init.clone(), init);
        for _ in 0..3 {
            let (a, b) = grads_of(&m1);
            m1 = ours.update(m1, [(a, lr_a), (b, lr_b)]);

            let (a, b) = grads_of(&m2);
            let ids = [m2.a.weight.id, m2.b.weight.id];
            let biases = [
                m2.a.bias.as_ref().unwrap().id,
                m2.b.bias.as_ref().unwrap().id,
            ];
            let norm2: f32 = [(&a, 0), (&b, 1)]
                .iter()
                .map(|(g, i)| {
                    let w = values(g.get::<2>(ids[*i]).unwrap());
                    let bias = values(g.get::<1>(biases[*i]).unwrap());
                    w.iter().chain(&bias).map(|v| v * v).sum::<f32>()
                })
                .sum();
            let scale = (max_norm as f32 / (norm2.sqrt() + 1e-6)).min(1.0);
            assert!(scale < 0.9, "the test must clip: scale {scale}");
            let scaled = |mut g: GradientsParams, i: usize| {
                let w = g.remove::<2>(ids[i]).unwrap();
                let bias = g.remove::<1>(biases[i]).unwrap();
                g.register(ids[i], w.mul_scalar(scale));
                g.register(biases[i], bias.mul_scalar(scale));
                g
            };
            m2 = step_group(&mut theirs, m2, scaled(a, 0), lr_a);
            m2 = step_group(&mut theirs, m2, scaled(b, 1), lr_b);
        }
        let close = |x: Vec<f32>, y: Vec<f32>| {
            assert_eq!(x.len(), y.len());
            for (p, q) in x.iter().zip(&y) {
                assert!((p - q).abs() < 1e-6, "{p} vs {q}");
            }
        };
        close(values(m1.a.weight.val()), values(m2.a.weight.val()));
        close(values(m1.b.weight.val()), values(m2.b.weight.val()));
        close(
            values(m1.b.bias.unwrap().val()),
            values(m2.b.bias.unwrap().val()),
        );
    }

    fn step_group(o: &mut ModuleOptimizer, m: Two, g: GradientsParams, lr: f64) -> Two {
        o.step(lr, m, g)
    }

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
