//! Dropout, with a fast mask on the CPU backend.
//!
//! burn's `Dropout` draws its mask with the backend's generic random generator, which on the
//! `flex` CPU backend costs about as much as a 384×384 matmul per mask; there the mask is drawn
//! on the host with SplitMix64 instead (seeded by the trainer, so runs stay reproducible). GPU
//! backends keep burn's on-device generator. Whether a layer drops at all follows burn's rules:
//! only in training mode (`Module::valid()` and `freeze()` switch it off) on an autodiff device.

use std::cell::RefCell;

use burn::nn::Dropout;
use burn::prelude::*;
use burn::tensor::{Distribution, TensorData};

use crate::rng::SplitMix64;

thread_local! {
    static HOST_RNG: RefCell<SplitMix64> = RefCell::new(SplitMix64::new(0));
}

/// Seeds the host-side mask generator (the trainer calls this with the run's seed).
pub fn seed(seed: u64) {
    HOST_RNG.with(|r| *r.borrow_mut() = SplitMix64::new(seed ^ 0xD809_0077));
}

/// The host-side generator's state, for a checkpoint: [`restore`] continues the same masks.
pub fn state() -> u64 {
    HOST_RNG.with(|r| r.borrow().state())
}

/// Continues the host-side masks from a [`state`].
pub fn restore(state: u64) {
    HOST_RNG.with(|r| *r.borrow_mut() = SplitMix64::from_state(state));
}

/// Applies `d` to `x`: zeroes each element with probability `d.prob` and scales the rest by
/// `1 / (1 - prob)`.
pub fn apply<const D: usize>(d: &Dropout, x: Tensor<D>) -> Tensor<D> {
    let device = x.device();
    if d.prob == 0.0 || !d.training.is_enabled() || !device.is_autodiff() {
        return x;
    }
    let keep = 1.0 - d.prob;
    if device != Device::flex() {
        return x.clone() * x.random_like(Distribution::Bernoulli(keep)) * (1.0 / keep);
    }
    let shape = x.shape();
    let n = shape.num_elements();
    let scale = (1.0 / keep) as f32;
    // keep an element when a uniform 32-bit draw falls below keep·2³².
    let threshold = (keep * 4_294_967_296.0) as u64;
    let mut mask = Vec::with_capacity(n);
    HOST_RNG.with(|r| {
        let mut rng = r.borrow_mut();
        while mask.len() < n {
            let bits = rng.next_u64();
            for half in [bits & 0xFFFF_FFFF, bits >> 32] {
                if mask.len() < n {
                    mask.push(if half < threshold { scale } else { 0.0 });
                }
            }
        }
    });
    x * crate::device_cost::upload::<D, Float>(TensorData::new(mask, shape), &device)
}
