//! Shared helpers for the native tests: where the model and the PyTorch reference live, and
//! small numeric comparisons.
#![allow(dead_code)]

pub mod reference;
pub mod train_support;

#[allow(unused_imports)]
pub use reference::{cosine, max_abs_diff};

use std::path::PathBuf;

use serde::Deserialize;
use webtune::engine::{Engine, ModelFiles};

/// The default model, installed by `scripts/fetch-model` (the test scripts run it first).
pub fn model_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www/models/all-MiniLM-L6-v2");
    assert!(
        dir.join("model.safetensors").exists(),
        "{} is missing: run ./scripts/fetch-model (./scripts/test does)",
        dir.display()
    );
    dir
}

pub fn model_files() -> ModelFiles {
    ModelFiles::read_dir(&model_dir()).expect("model files readable")
}

/// `../shared/` beside the checkout (read-only reference data).
pub fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

#[derive(Deserialize)]
pub struct Golden {
    pub max_len: usize,
    pub cases: Vec<GoldenCase>,
}

#[derive(Deserialize)]
pub struct GoldenCase {
    pub text: String,
    pub input_ids: Vec<u32>,
    pub token_type_ids: Vec<u32>,
    pub num_tokens: usize,
    pub cls_hidden_first16: Vec<f32>,
    pub last_token_hidden_first16: Vec<f32>,
    pub mean_pooled: Vec<f32>,
    pub mean_pooled_normalized: Vec<f32>,
}

/// The reference file's bytes.
pub fn golden_json() -> Vec<u8> {
    let path = shared_dir().join("golden/minilm-l6-v2.json");
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (the reference lives in ../shared)", path.display()))
}

pub fn golden() -> Golden {
    serde_json::from_slice(&golden_json()).expect("golden file parses")
}

/// Loads the default model on the CPU backend.
pub fn cpu_engine() -> Engine {
    Engine::load(&model_files(), &burn::prelude::Device::flex(), 128).expect("model loads")
}
