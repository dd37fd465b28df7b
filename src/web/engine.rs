//! A base model in the browser: load, embed, and start training (see [`super::training`]).

use std::rc::Rc;

use js_sys::{Array, Float32Array, Promise};
use wasm_bindgen::prelude::*;

use super::{init_backend, to_js};
use crate::backend::{self, BackendChoice, BackendInfo};
use crate::engine::{BatchLimits, Engine, ModelFiles};
use crate::model::BertConfig;
use crate::tokenize::DEFAULT_MAX_LEN;

/// A model loaded in the browser.
#[wasm_bindgen]
pub struct WebEngine {
    pub(super) engine: Rc<Engine>,
    pub(super) backend: BackendInfo,
}

#[wasm_bindgen]
impl WebEngine {
    /// Loads a model from the bytes of `config.json`, `tokenizer.json` and `model.safetensors`
    /// onto the chosen backend (`"auto"`, `"cpu"` or `"webgpu"`).
    pub async fn load(
        config: Vec<u8>,
        tokenizer: Vec<u8>,
        weights: Vec<u8>,
        backend: String,
        max_len: Option<usize>,
    ) -> Result<WebEngine, JsValue> {
        let choice: BackendChoice = backend.parse()?;
        let b = init_backend(choice).await?;
        backend::check_model_fits(&BertConfig::from_json(&config)?, &b.info)?;
        let files = ModelFiles {
            config,
            tokenizer,
            weights,
        };
        let engine = Engine::load(&files, &b.device, max_len.unwrap_or(DEFAULT_MAX_LEN))?;
        Ok(WebEngine {
            engine: Rc::new(engine),
            backend: b.info,
        })
    }

    /// The backend this model runs on (`{backend, adapter, reason, trial}`).
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> Result<JsValue, JsValue> {
        to_js(&self.backend)
    }

    /// The model's hidden size (embedding dimension).
    #[wasm_bindgen(getter, js_name = hiddenSize)]
    pub fn hidden_size(&self) -> usize {
        self.engine.config.hidden_size
    }

    /// Token ids of one text, as the model sees it (truncated, with special tokens).
    pub fn tokenize(&self, text: &str) -> Result<Vec<u32>, JsValue> {
        Ok(self.engine.tokenizer.encode(text)?.input_ids)
    }

    /// Mean-pooled embeddings (L2-normalised with `normalize`): resolves to an Array of
    /// Float32Array, one per text. `max_batch` bounds texts per forward pass (default: 64, and
    /// 4,096 padded tokens; `BatchLimits::DEFAULT`).
    pub fn embed(&self, texts: Vec<String>, normalize: bool, max_batch: Option<usize>) -> Promise {
        let engine = Rc::clone(&self.engine);
        wasm_bindgen_futures::future_to_promise(async move {
            let limits = max_batch.map_or(BatchLimits::DEFAULT, BatchLimits::with_max_batch);
            let vectors = engine.embed(&texts, normalize, limits).await?;
            let out = Array::new();
            for v in vectors {
                out.push(&Float32Array::from(v.as_slice()));
            }
            Ok(out.into())
        })
    }
}
