//! webtune: fine-tune a pretrained BERT-family transformer where the data lives.
//!
//! One engine, built on burn 0.22, runs in the browser (WebGPU, or burn's CPU backend compiled to
//! wasm) and natively (CPU, or wgpu on Vulkan/Metal/DX12). The layout mirrors the architecture:
//!
//! - [`model`]: the BERT encoder, pooling and classification head, built from `config.json`;
//! - [`weights`]: `model.safetensors` bytes → model parameters, with strict name/shape checks;
//! - [`tokenize`]: the Hugging Face tokenizer from `tokenizer.json` bytes, truncation and padding;
//! - [`backend`]: choosing and initialising a device (CPU or wgpu);
//! - [`device_cost`]: what a training step costs the GPU (dispatches, bytes, memory pool);
//! - [`engine`]: the loaded model bundle and batched, async inference (embeddings);
//! - [`data`]: labelled datasets from CSV/TSV/JSONL/TXT bytes, with every problem by line;
//! - [`job`]: one training request and job (parse → split → train → record) for every front end;
//! - [`train`]: freeze strategies, the frozen-feature cache, the async training loop, metrics;
//! - [`classifier`]: a fine-tuned classifier: predict and evaluate;
//! - [`similarity`]: sentence embeddings scored on pair files (Spearman; recall@k, MRR@10);
//! - [`export`]: the sentence-transformers folder/zip, written and read back;
//! - [`case`]: `snake_case` ⇄ `camelCase` keys at the JavaScript boundary;
//! - [`untrusted`]: every reader of user-supplied bytes as one entry point (fuzzing, replay);
//! - `web` (wasm only): the `#[wasm_bindgen]` facade the page and its worker call.
//!
//! Nothing here reads tensors synchronously: every readback is `async`, so the same code runs in
//! the browser, where a synchronous GPU read would panic.

pub mod backend;
pub mod case;
pub mod classifier;
pub mod data;
pub mod device_cost;
pub mod engine;
pub mod error;
pub mod export;
pub mod job;
pub mod model;
pub mod rng;
pub mod similarity;
pub mod tokenize;
pub mod train;
pub mod untrusted;
pub mod weights;

#[cfg(target_arch = "wasm32")]
pub mod web;

pub use error::{Error, Result};
