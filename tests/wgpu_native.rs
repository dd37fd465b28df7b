//! The wgpu path natively, with burn's fusion as the build has it: the golden embeddings and the
//! golden training step match PyTorch within the CPU checks' tolerances, and a `last2` step's
//! dispatches are counted. Here the adapter is Mesa's lavapipe, the same burn-wgpu
//! code as WebGPU in the browser; `./scripts/test native-wgpu` installs it (`mesa-vulkan-drivers`)
//! and runs these tests (the default `./scripts/test` builds the native tests without `wgpu`).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::sync::Mutex;

use burn::prelude::Device;
use common::reference::{StepReference, check_one_train_step};
use common::train_support::*;
use common::*;
use webtune::backend::{BackendChoice, init_native};
use webtune::engine::{BatchLimits, Engine};
use webtune::train::{Strategy, TrainConfig, train};

/// One test on the GPU at a time: the dispatch counters are process-wide, so a test running
/// beside the counted one would add its launches to it.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn wgpu_device() -> Device {
    let backend = init_native(BackendChoice::Wgpu).unwrap_or_else(|e| {
        panic!("{e}: these tests need a Vulkan adapter (install mesa-vulkan-drivers; ./scripts/test native-wgpu does)")
    });
    eprintln!("wgpu: {}", backend.info.describe());
    backend.device
}

#[test]
fn golden_embeddings_match_pytorch_on_wgpu() {
    let _gpu = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let engine = Engine::load(&model_files(), &wgpu_device(), 128).unwrap();
    let golden = golden();
    let texts: Vec<&str> = golden.cases.iter().map(|c| c.text.as_str()).collect();
    let limits = BatchLimits {
        max_batch: 4,
        max_tokens: 100_000,
    };
    let got = pollster::block_on(engine.embed(&texts, false, limits)).unwrap();
    for (i, case) in golden.cases.iter().enumerate() {
        let d = max_abs_diff(&got[i], &case.mean_pooled);
        assert!(d <= 1e-4, "case {i} {:?}: max abs diff {d}", case.text);
        assert!(cosine(&got[i], &case.mean_pooled) >= 0.99999, "case {i}");
    }
}

#[test]
fn one_training_step_matches_pytorch_on_wgpu() {
    let _gpu = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let reference = StepReference::parse(&golden_json());
    pollster::block_on(check_one_train_step(
        &reference,
        &model_files(),
        &wgpu_device(),
    ));
}

#[test]
fn a_last2_step_is_counted_and_fusion_cuts_its_dispatches() {
    let _gpu = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let engine = Engine::load(&model_files(), &wgpu_device(), 128).unwrap();
    let config = TrainConfig {
        strategy: Strategy::Last { k: 2 },
        epochs: Some(1),
        batch_size: 8,
        patience: Some(0),
        ..TrainConfig::default()
    };
    let mut host = RecordingHost::default();
    let outcome = pollster::block_on(train(
        &engine,
        None,
        &sst2("train-2000.csv", 40),
        &sst2("dev.csv", 8),
        &config,
        &mut host,
    ))
    .unwrap();
    let cost = outcome.step_cost.expect("a wgpu run reports its step cost");
    eprintln!("last2, batch 8: {cost:#?}");
    assert_eq!(
        cost.steps, 4,
        "five steps in one epoch, the first not averaged"
    );
    assert!(cost.dispatches_per_step >= 10.0, "{cost:?}");
    // Token ids, type ids and the mask (or the cached layer-4 states), and the targets go up;
    // the loss comes back.
    assert!(cost.bytes_to_device_per_step >= 8.0 * 8.0 * 4.0, "{cost:?}");
    assert!(cost.bytes_from_device_per_step >= 4.0, "{cost:?}");
    assert!(
        cost.pool_reserved_peak_bytes.is_some_and(|b| b > 0),
        "{cost:?}"
    );
    assert_eq!(cost.fusion, cfg!(feature = "fusion"));
    // Without fusion each recorded operation but the views is a dispatch of its own (1,104
    // dispatches for 1,251 operations in a batch-32 step, `./scripts/bench dispatches`); fusion
    // leaves 36 % of them (README, "What a training step costs the GPU").
    if let Some(operations) = cost.operations_per_step {
        assert!(
            cost.dispatches_per_step <= 0.4 * operations,
            "fusion should leave at most 40 % of the operations as dispatches: {cost:?}"
        );
    }
}
