//! One training step matches PyTorch on the CPU backend: head + encoder layer 5 trainable, the
//! rest frozen, dropout off, cross-entropy over cases 0..3 (`common::reference` holds the check
//! and its tolerances; `tests/wgpu_native.rs` runs the same check on wgpu and `tests/web.rs` on
//! WebGPU). This pins the backward pass everything else relies on.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use burn::prelude::Device;
use common::reference::{StepReference, check_one_train_step};
use common::*;

#[test]
fn one_step_of_layer5_plus_head_matches_pytorch() {
    let reference = StepReference::parse(&golden_json());
    pollster::block_on(check_one_train_step(
        &reference,
        &model_files(),
        &Device::flex(),
    ));
}
