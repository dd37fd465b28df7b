//! Browser tests (`wasm-pack test --headless --chrome`, run by `./scripts/test`).
//!
//! WebGPU initialises on a real WebGPU adapter (asserted: never a silent CPU fallback), the model
//! loads from bytes fetched over HTTP from the local static server `scripts/test` starts, and the
//! golden embeddings match PyTorch within 1e-3 on WebGPU (with burn's fusion) and within 1e-4 on
//! the CPU backend compiled to wasm, one training step matches PyTorch's gradients on WebGPU, and a
//! WebGPU step's dispatches are counted.
#![cfg(target_arch = "wasm32")]

use js_sys::{ArrayBuffer, Reflect, Uint8Array};
use serde::Deserialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use webtune::backend::{BackendChoice, BackendKind};
use webtune::engine::{BatchLimits, Engine, ModelFiles};
use webtune::web::{WebEngine, init_backend};

wasm_bindgen_test_configure!(run_in_browser);

/// The checks against PyTorch that native tests share (no file system, no blocking).
#[path = "common/reference.rs"]
mod reference;
use reference::{StepReference, check_one_train_step, cosine, max_abs_diff};

/// The static server `scripts/test` starts (model files and the PyTorch reference).
const SERVER: &str = match option_env!("WEBTUNE_TEST_SERVER") {
    Some(s) => s,
    None => "http://127.0.0.1:8788",
};

async fn fetch(path: &str) -> Vec<u8> {
    let url = format!("{SERVER}/{path}");
    let window = web_sys::window().expect("tests run in a window");
    let resp: web_sys::Response = JsFuture::from(window.fetch_with_str(&url))
        .await
        .unwrap_or_else(|e| panic!("fetch {url}: {e:?} (is scripts/static-server.py running?)"))
        .dyn_into()
        .unwrap();
    assert!(resp.ok(), "GET {url}: HTTP {}", resp.status());
    let buf: ArrayBuffer = JsFuture::from(resp.array_buffer().unwrap())
        .await
        .unwrap()
        .dyn_into()
        .unwrap();
    Uint8Array::new(&buf).to_vec()
}

async fn model_files() -> ModelFiles {
    let base = "models/all-MiniLM-L6-v2";
    ModelFiles {
        config: fetch(&format!("{base}/config.json")).await,
        tokenizer: fetch(&format!("{base}/tokenizer.json")).await,
        weights: fetch(&format!("{base}/model.safetensors")).await,
    }
}

#[derive(Deserialize)]
struct Golden {
    cases: Vec<Case>,
}
#[derive(Deserialize)]
struct Case {
    text: String,
    input_ids: Vec<u32>,
    mean_pooled: Vec<f32>,
}

async fn golden() -> Golden {
    serde_json::from_slice(&fetch("golden/minilm-l6-v2.json").await).unwrap()
}

/// Embeds the ten reference sentences on `engine` and checks them against PyTorch.
async fn check_golden(engine: &Engine, tolerance: f32) {
    let golden = golden().await;
    let texts: Vec<&str> = golden.cases.iter().map(|c| c.text.as_str()).collect();
    // Length buckets of at most 128 padded tokens keep each SwiftShader dispatch short.
    let limits = BatchLimits {
        max_batch: 4,
        max_tokens: 128,
    };
    let started = web_time::Instant::now();
    let got = engine
        .embed(&texts, false, limits)
        .await
        .expect("embedding runs");
    let seconds = started.elapsed().as_secs_f64();
    let mut worst = 0.0f32;
    for (i, case) in golden.cases.iter().enumerate() {
        worst = worst.max(max_abs_diff(&got[i], &case.mean_pooled));
        assert_eq!(
            engine.tokenizer.encode(&case.text).unwrap().input_ids,
            case.input_ids,
            "ids of case {i}"
        );
        let d = max_abs_diff(&got[i], &case.mean_pooled);
        let cos = cosine(&got[i], &case.mean_pooled);
        assert!(
            d <= tolerance,
            "case {i} {:?}: max abs diff {d} > {tolerance}",
            case.text
        );
        assert!(cos >= 0.99999, "case {i}: cosine {cos}");
    }
    // Shown with `-- --nocapture` (see README: measuring in the browser).
    wasm_bindgen_test::console_log!(
        "golden: 10 sentences embedded in {seconds:.2}s, max abs diff {worst:.2e}"
    );
}

#[wasm_bindgen_test]
async fn webgpu_initialises_on_a_real_webgpu_adapter() {
    let b = init_backend(BackendChoice::Wgpu)
        .await
        .expect("WebGPU must initialise (is --enable-unsafe-webgpu set?)");
    assert_eq!(
        b.info.backend,
        BackendKind::Wgpu,
        "forced WebGPU must not fall back to the CPU"
    );
    let adapter = b.info.adapter.expect("a WebGPU adapter is described");
    assert_eq!(
        adapter.api, "webgpu",
        "the device is the browser's WebGPU, not another API"
    );
    assert!(
        adapter.max_storage_buffer_binding_size >= 128 << 20,
        "{adapter:?}"
    );
    assert!(
        adapter.max_compute_invocations_per_workgroup >= 256,
        "{adapter:?}"
    );
}

#[wasm_bindgen_test]
async fn golden_embeddings_match_pytorch_on_webgpu() {
    let b = init_backend(BackendChoice::Wgpu).await.unwrap();
    assert_eq!(b.info.backend, BackendKind::Wgpu);
    let engine = Engine::load(&model_files().await, &b.device, 128).unwrap();
    check_golden(&engine, 1e-3).await;
}

#[wasm_bindgen_test]
async fn one_training_step_matches_pytorch_on_webgpu() {
    let b = init_backend(BackendChoice::Wgpu).await.unwrap();
    assert_eq!(b.info.backend, BackendKind::Wgpu);
    let reference = StepReference::parse(&fetch("golden/minilm-l6-v2.json").await);
    check_one_train_step(&reference, &model_files().await, &b.device).await;
}

#[wasm_bindgen_test]
async fn golden_embeddings_match_pytorch_on_the_cpu_backend_in_wasm() {
    let b = init_backend(BackendChoice::Cpu).await.unwrap();
    assert_eq!(b.info.backend, BackendKind::Cpu);
    let engine = Engine::load(&model_files().await, &b.device, 128).unwrap();
    check_golden(&engine, 1e-4).await;
}

#[wasm_bindgen_test]
async fn auto_takes_webgpu_only_on_a_hardware_adapter_and_says_why() {
    let b = init_backend(BackendChoice::Auto).await.unwrap();
    assert!(!b.info.reason.is_empty());
    let forced = init_backend(BackendChoice::Wgpu).await.unwrap();
    let fallback = forced.info.adapter.as_ref().unwrap().is_fallback;
    if fallback {
        // SwiftShader here: the CPU backend is faster, and the reason says so; no trial.
        assert_eq!((b.info.backend, b.info.trial), (BackendKind::Cpu, false));
        assert!(
            b.info.reason.contains("software fallback"),
            "{}",
            b.info.reason
        );
    } else {
        // A hardware adapter: WebGPU, measured against the CPU before training.
        assert_eq!((b.info.backend, b.info.trial), (BackendKind::Wgpu, true));
    }
}

fn message(e: JsValue) -> String {
    Reflect::get(&e, &"message".into())
        .unwrap()
        .as_string()
        .unwrap()
}

/// The error's `kind`, which the page and the JS library branch on.
fn kind(e: &JsValue) -> String {
    Reflect::get(e, &"kind".into())
        .unwrap()
        .as_string()
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn the_js_facade_loads_embeds_and_rejects_bad_files_with_a_message() {
    let files = model_files().await;
    let engine = WebEngine::load(
        files.config.clone(),
        files.tokenizer.clone(),
        files.weights.clone(),
        "cpu".into(),
        None,
    )
    .await
    .map_err(message)
    .expect("loads");
    assert_eq!(engine.hidden_size(), 384);
    let out = JsFuture::from(engine.embed(vec!["hello world".into()], true, None))
        .await
        .unwrap();
    let arr: js_sys::Array = out.dyn_into().unwrap();
    let v = js_sys::Float32Array::from(arr.get(0)).to_vec();
    let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4);

    let bad = WebEngine::load(
        files.config.clone(),
        files.tokenizer.clone(),
        b"garbage".to_vec(),
        "cpu".into(),
        None,
    )
    .await;
    let bad = bad.err().expect("garbage weights are rejected");
    assert_eq!(kind(&bad), "model");
    let err = message(bad);
    assert!(err.contains("model.safetensors"), "{err}");

    let bad = WebEngine::load(
        b"{}".to_vec(),
        files.tokenizer,
        files.weights,
        "cpu".into(),
        None,
    )
    .await;
    let err = message(bad.err().expect("an empty config is rejected"));
    assert!(err.starts_with("config.json: missing field"), "{err}");

    let bad = WebEngine::load(vec![], vec![], vec![], "tpu".into(), None)
        .await
        .err()
        .unwrap();
    assert_eq!(kind(&bad), "invalid");
    assert!(message(bad).contains("unknown backend \"tpu\""));
}

// ---------------------------------------------------------------------------------------------
// Fine-tuning in the browser on WebGPU.
// ---------------------------------------------------------------------------------------------

struct QuietHost;
impl webtune::train::TrainHost for QuietHost {
    fn progress(&mut self, _: &webtune::train::Progress) {}
}

async fn sst2_rows(n: usize) -> webtune::data::Dataset {
    let bytes = fetch("data/sst2/train-2000.csv").await;
    let parsed = webtune::data::parse(
        &bytes,
        &webtune::data::ParseOptions {
            file_name: "train-2000.csv".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let full = parsed.into_training_set().unwrap();
    // The shortest rows of each class keep SwiftShader's work small.
    let mut idx: Vec<usize> = (0..full.len())
        .filter(|&i| full.texts[i].split(' ').count() <= 6)
        .collect();
    idx.truncate(n);
    full.subset(&idx)
}

#[wasm_bindgen_test]
async fn a_short_last2_run_on_webgpu_lowers_the_loss_and_round_trips_through_export() {
    use webtune::classifier::Classifier;
    use webtune::export::{self, ExportMeta, archive};
    use webtune::train::{Schedule, Strategy, TrainConfig, train};

    let b = init_backend(BackendChoice::Wgpu).await.unwrap();
    assert_eq!(b.info.backend, BackendKind::Wgpu, "this run is on WebGPU");
    let engine = Engine::load(&model_files().await, &b.device, 32).unwrap();
    let data = sst2_rows(16).await;
    assert_eq!(data.label_set.len(), 2);
    let config = TrainConfig {
        strategy: Strategy::Last { k: 2 },
        epochs: Some(4),
        batch_size: 8,
        lr_head: Some(5e-3),
        lr_encoder: Some(1e-4),
        schedule: Schedule::Constant,
        dropout: false,
        patience: Some(0),
        ..TrainConfig::default()
    };
    let empty = data.subset(&[]);
    let outcome = train(&engine, None, &data, &empty, &config, &mut QuietHost)
        .await
        .expect("training runs on WebGPU");
    let losses = &outcome.step_losses;
    assert_eq!(losses.len(), 8);
    let first = (losses[0] + losses[1]) / 2.0;
    let last = (losses[6] + losses[7]) / 2.0;
    assert!(last < first * 0.8, "loss fell on WebGPU: {losses:?}");
    // What a step cost WebGPU, counted in the browser as natively (`tests/wgpu_native.rs`).
    let cost = outcome
        .step_cost
        .clone()
        .expect("a WebGPU run reports its step cost");
    wasm_bindgen_test::console_log!("last2 on WebGPU, batch 8: {cost:?}");
    assert_eq!(cost.steps, 2, "the last of four epochs: two steps");
    assert!(cost.dispatches_per_step >= 10.0, "{cost:?}");
    assert!(cost.bytes_from_device_per_step >= 4.0, "{cost:?}");
    // Without fusion each recorded operation but the views is a dispatch of its own (1,104
    // dispatches for 1,251 operations in a batch-32 step, `./scripts/bench dispatches`); fusion
    // leaves 36 % of them (README, "What a training step costs the GPU").
    if let Some(operations) = cost.operations_per_step {
        assert!(
            cost.dispatches_per_step <= 0.4 * operations,
            "fusion should leave at most 40 % of the operations as dispatches: {cost:?}"
        );
    }

    let c = Classifier::from_training(&engine, &outcome);
    let probes = ["a gorgeous movie", "dull and lifeless"];
    let limits = BatchLimits {
        max_batch: 2,
        max_tokens: 64,
    };
    let before = c.logits(&probes, limits).await.unwrap();
    let files = export::export(&c, &ExportMeta::default())
        .await
        .expect("export reads tensors asynchronously");
    let zip = archive::to_zip(&files).unwrap();
    let back = export::import(&archive::from_zip(&zip).unwrap(), &b.device).unwrap();
    let after = back.logits(&probes, limits).await.unwrap();
    assert_eq!(
        before, after,
        "export then import gives identical predictions"
    );
}
