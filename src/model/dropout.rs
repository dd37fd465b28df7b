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
    // Element 2j takes the low half of the generator's j-th draw from here, element 2j + 1 the
    // high half. SplitMix64 jumps ahead in one step, so the mask is written in pieces on burn's
    // CPU thread pool (where it has one) and is the same mask whatever the pieces.
    let first = HOST_RNG.with(|r| {
        let mut rng = r.borrow_mut();
        let first = rng.clone();
        rng.skip(n.div_ceil(2) as u64);
        first
    });
    let mut mask = vec![0.0f32; n];
    // A draw, a compare and a select an element: about four additions' work.
    burn_flex::parallel::for_each_piece_mut(&mut mask, 4, |start, piece| {
        let mut rng = first.clone();
        rng.skip((start / 2) as u64);
        let mut bits = 0;
        for (i, m) in (start..).zip(piece.iter_mut()) {
            if i % 2 == 0 || i == start {
                bits = rng.next_u64();
            }
            let half = if i % 2 == 0 {
                bits & 0xFFFF_FFFF
            } else {
                bits >> 32
            };
            *m = if half < threshold { scale } else { 0.0 };
        }
    });
    x * crate::device_cost::upload::<D, Float>(TensorData::new(mask, shape), &device)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    /// The mask as it was drawn before it was written in pieces: one draw after another, low
    /// half then high half. Masks written in pieces must be this mask, bit for bit.
    fn sequential_mask(seed_state: u64, n: usize, keep: f64) -> Vec<f32> {
        let mut rng = SplitMix64::from_state(seed_state);
        let threshold = (keep * 4_294_967_296.0) as u64;
        let scale = (1.0 / keep) as f32;
        let mut mask = Vec::with_capacity(n);
        while mask.len() < n {
            let bits = rng.next_u64();
            for half in [bits & 0xFFFF_FFFF, bits >> 32] {
                if mask.len() < n {
                    mask.push(if half < threshold { scale } else { 0.0 });
                }
            }
        }
        mask
    }

    #[test]
    fn masks_in_pieces_are_the_sequential_masks_and_the_generator_ends_in_the_same_place() {
        let device = Device::flex().autodiff();
        let d = burn::nn::DropoutConfig::new(0.1).init();
        // Every piece split from one element up, at odd and even starts, on a pool of three.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        for (n, min_len) in [
            (1usize, 1usize),
            (7, 1),
            (64 * 1024 + 3, 1),
            (5000, usize::MAX),
        ] {
            let x = Tensor::<1>::ones([n], &device);
            burn_flex::parallel::set_min_len(min_len);
            // The generator is the calling thread's: seeded, drawn and read on one pool thread,
            // as the CLI trains (src/bin/webtune/process.rs).
            let (start, y, end) = pool.install(|| {
                seed(9);
                let start = state();
                let y = apply(&d, x);
                (start, y, state())
            });
            burn_flex::parallel::set_min_lens(
                burn_flex::parallel::DEFAULT_MIN_LEN,
                burn_flex::parallel::DEFAULT_MIN_LEN_IN_POOL,
            );
            let got: Vec<f32> = pollster::block_on(y.into_data_async())
                .unwrap()
                .try_to_vec::<f32>()
                .unwrap();
            assert_eq!(got, sequential_mask(start, n, 0.9), "n = {n}");
            let mut after = SplitMix64::from_state(start);
            after.skip(n.div_ceil(2) as u64);
            assert_eq!(end, after.state(), "n = {n}");
        }
    }
}
