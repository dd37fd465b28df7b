//! A tuned sentence-embedding model in the browser: train it from a pair file, embed texts
//! (semantic search runs on these in the worker), export and import it.

use std::rc::Rc;

use js_sys::{Array, Float32Array, Promise};
use wasm_bindgen::prelude::*;

use super::engine::WebEngine;
use super::training::{BrowserHost, CancelToken, Files, training_request};
use super::{init_backend, to_js};
use crate::backend::{self, BackendChoice, BackendInfo, Platform};
use crate::engine::{BatchLimits, Engine};
use crate::export::{self, ExportMeta, archive};
use crate::job;

/// A sentence-embedding model in the browser: the encoder, mean pooling, and (`normalize`)
/// unit length.
#[wasm_bindgen]
pub struct WebEmbedder {
    engine: Rc<Engine>,
    normalize: bool,
    backend: BackendInfo,
    /// `webtune.json`'s training record, when known.
    training: Option<serde_json::Value>,
}

#[wasm_bindgen]
impl WebEmbedder {
    /// Opens an exported embedding model (the zip `exportZip` writes, or a sentence-transformers
    /// folder of Transformer, Pooling and optionally Normalize, zipped) on a backend.
    #[wasm_bindgen(js_name = importZip)]
    pub async fn import_zip(bytes: Vec<u8>, backend: String) -> Result<WebEmbedder, JsValue> {
        let choice: BackendChoice = backend.parse()?;
        let b = init_backend(choice).await?;
        let files = archive::from_zip(&bytes)?;
        let training = files
            .get(export::layout::WEBTUNE)
            .and_then(|w| serde_json::from_slice::<serde_json::Value>(w).ok())
            .and_then(|w| w.get("training").cloned());
        crate::backend::check_archive_fits(&files, &b.info)?;
        let (engine, normalize) = export::import_embedding(&files, &b.device)?;
        Ok(WebEmbedder {
            engine: Rc::new(engine),
            normalize,
            backend: b.info,
            training,
        })
    }

    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> Result<JsValue, JsValue> {
        to_js(&self.backend)
    }

    /// Whether the embeddings are unit vectors (the export ends in `Normalize`).
    #[wasm_bindgen(getter)]
    pub fn normalize(&self) -> bool {
        self.normalize
    }

    /// How the model was trained (settings, the validation scores before and after, epochs).
    #[wasm_bindgen(getter)]
    pub fn training(&self) -> Result<JsValue, JsValue> {
        to_js(&self.training)
    }

    /// Embeddings of `texts` as the exported model computes them: resolves to an Array of
    /// Float32Array.
    pub fn embed(&self, texts: Vec<String>) -> Promise {
        let engine = Rc::clone(&self.engine);
        let normalize = self.normalize;
        wasm_bindgen_futures::future_to_promise(async move {
            let vectors = engine
                .embed(&texts, normalize, BatchLimits::DEFAULT)
                .await?;
            let out = Array::new();
            for v in vectors {
                out.push(&Float32Array::from(v.as_slice()));
            }
            Ok(out.into())
        })
    }

    /// The model as a zip in the sentence-transformers layout, no head (resolves to a Uint8Array).
    #[wasm_bindgen(js_name = exportZip)]
    pub fn export_zip(&self) -> Promise {
        let engine = Rc::clone(&self.engine);
        let normalize = self.normalize;
        let meta = ExportMeta {
            training: self.training.clone(),
            adapter: false,
        };
        wasm_bindgen_futures::future_to_promise(async move {
            let files = export::export_embedding(&engine, normalize, &meta).await?;
            let zip = archive::to_zip(&files)?;
            Ok(js_sys::Uint8Array::from(zip.as_slice()).into())
        })
    }
}

#[wasm_bindgen]
impl WebEngine {
    /// Tunes this model into a sentence-embedding model on a pair file (`anchor,positive[,negative]`
    /// or `sentence1,sentence2,score`) and an optional validation pair file. `request`: a training
    /// request with `mode: "embedding"` (`{pairLoss?, normalize?, scoreRange?, firstColumn?, …}`).
    /// Progress as `train`'s, with a `baseline` event (the validation pairs scored before
    /// training) and `similarity` in each epoch. Resolves to a `WebEmbedder`.
    #[wasm_bindgen(js_name = trainEmbedding)]
    #[allow(clippy::too_many_arguments)]
    pub fn train_embedding(
        &self,
        train_bytes: Vec<u8>,
        train_name: String,
        valid_bytes: Option<Vec<u8>>,
        valid_name: Option<String>,
        request: JsValue,
        on_progress: js_sys::Function,
        cancel: &CancelToken,
    ) -> Promise {
        let engine = Rc::clone(&self.engine);
        let backend = self.backend.clone();
        let files = Files::new(train_bytes, train_name, valid_bytes, valid_name);
        let request = training_request(request);
        let cancel = cancel.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let prepared = files.prepare_pairs(&request?)?;
            let mut host = BrowserHost {
                on_progress,
                cancel,
                cache_limit: backend::cache_limit(&backend, Platform::Browser),
                device: engine.device.clone(),
            };
            let trained = job::run_embedding(&engine, &prepared, &mut host).await?;
            let training = serde_json::to_value(&trained.record).ok();
            Ok(WebEmbedder {
                engine: Rc::new(trained.engine),
                normalize: trained.normalize,
                backend,
                training,
            }
            .into())
        })
    }
}

/// What a model zip holds: `"embedding"` (no head) or `"classifier"`.
#[wasm_bindgen(js_name = modelKind)]
pub fn model_kind(zip: &[u8]) -> Result<String, JsValue> {
    let files = archive::from_zip(zip)?;
    Ok(if export::is_embedding(&files) {
        "embedding"
    } else {
        "classifier"
    }
    .into())
}
