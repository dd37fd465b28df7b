//! Shared helpers for the native tests: where the model and the PyTorch reference live, and
//! small numeric comparisons.
#![allow(dead_code)]

pub mod train_support;

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
    pub train_step: GoldenTrainStep,
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

#[derive(Deserialize)]
pub struct GoldenTrainStep {
    pub case_indices: Vec<usize>,
    pub labels: Vec<i64>,
    #[serde(rename = "head_W")]
    pub head_w: Vec<f32>,
    pub head_b: Vec<f32>,
    pub logits: Vec<f32>,
    pub loss: f64,
    #[serde(rename = "grad_head_W")]
    pub grad_head_w: Vec<f32>,
    pub grad_head_b: Vec<f32>,
    pub grad_layer5: std::collections::BTreeMap<String, GoldenGrad>,
}

#[derive(Deserialize)]
pub struct GoldenGrad {
    pub first8: Vec<f32>,
    pub l2: f64,
    pub shape: Vec<usize>,
}

pub fn golden() -> Golden {
    let path = shared_dir().join("golden/minilm-l6-v2.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (the reference lives in ../shared)", path.display()));
    serde_json::from_str(&text).expect("golden file parses")
}

pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "length mismatch");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

/// Loads the default model on the CPU backend.
pub fn cpu_engine() -> Engine {
    Engine::load(&model_files(), &burn::prelude::Device::flex(), 128).expect("model loads")
}
