//! A fine-tuned classifier in the browser: predict, export, import, continue training.

use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::training::{CancelToken, Files, Previous, training_promise};
use super::{init_backend, to_js};
use crate::backend::{BackendChoice, BackendInfo};
use crate::classifier::Classifier;
use crate::engine::BatchLimits;
use crate::export::{self, ExportMeta, archive};

/// A fine-tuned classifier in the browser.
#[wasm_bindgen]
pub struct WebClassifier {
    inner: Rc<Classifier>,
    backend: BackendInfo,
    /// `webtune.json`'s training record, when known.
    training: Option<serde_json::Value>,
}

impl WebClassifier {
    pub(super) fn new(
        classifier: Classifier,
        backend: BackendInfo,
        training: Option<serde_json::Value>,
    ) -> Self {
        WebClassifier {
            inner: Rc::new(classifier),
            backend,
            training,
        }
    }
}

#[wasm_bindgen]
impl WebClassifier {
    /// Opens an exported model (the zip `exportZip` writes, or one made from a
    /// `webtune train` folder) on a backend (`"auto"`, `"cpu"`, `"webgpu"`).
    #[wasm_bindgen(js_name = importZip)]
    pub async fn import_zip(bytes: Vec<u8>, backend: String) -> Result<WebClassifier, JsValue> {
        let choice: BackendChoice = backend.parse()?;
        let b = init_backend(choice).await?;
        let files = archive::from_zip(&bytes)?;
        let training = files
            .get(export::layout::WEBTUNE)
            .and_then(|w| serde_json::from_slice::<serde_json::Value>(w).ok())
            .and_then(|w| w.get("training").cloned());
        crate::backend::check_archive_fits(&files, &b.info)?;
        let c = export::import(&files, &b.device)?;
        Ok(WebClassifier::new(c, b.info, training))
    }

    #[wasm_bindgen(getter)]
    pub fn labels(&self) -> Vec<String> {
        self.inner.labels.names().to_vec()
    }

    /// `single`, `multi` or `regression`.
    #[wasm_bindgen(getter)]
    pub fn task(&self) -> String {
        self.inner.task.to_string()
    }

    /// Whether the model reads pairs of texts (`predictPairs`).
    #[wasm_bindgen(getter)]
    pub fn pairs(&self) -> bool {
        self.inner.pairs
    }

    /// Multi-label: the probability above which each label is predicted (else `undefined`).
    #[wasm_bindgen(getter)]
    pub fn thresholds(&self) -> Option<Vec<f32>> {
        self.inner.thresholds.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> Result<JsValue, JsValue> {
        to_js(&self.backend)
    }

    /// How the model was trained (`webtune.json`'s record: settings, plan, epochs, validation
    /// metrics), when known.
    #[wasm_bindgen(getter)]
    pub fn training(&self) -> Result<JsValue, JsValue> {
        to_js(&self.training)
    }

    /// Predictions: resolves to `[{label, index, probabilities: number[], logits}]`, one per
    /// text; a multi-label model's carry `labels` (those predicted), a regression model's
    /// `score`.
    pub fn predict(&self, texts: Vec<String>) -> Promise {
        let c = Rc::clone(&self.inner);
        wasm_bindgen_futures::future_to_promise(async move {
            to_js(&c.predict(&texts, BatchLimits::DEFAULT).await?)
        })
    }

    /// A pair model's predictions for `first[i]` with `second[i]` (as `predict`).
    #[wasm_bindgen(js_name = predictPairs)]
    pub fn predict_pairs(&self, first: Vec<String>, second: Vec<String>) -> Promise {
        let c = Rc::clone(&self.inner);
        wasm_bindgen_futures::future_to_promise(async move {
            to_js(
                &c.predict_pairs(&first, &second, BatchLimits::DEFAULT)
                    .await?,
            )
        })
    }

    /// The model as a zip in the sentence-transformers layout (resolves to a Uint8Array).
    #[wasm_bindgen(js_name = exportZip)]
    pub fn export_zip(&self, lora_adapter: bool) -> Promise {
        let c = Rc::clone(&self.inner);
        let meta = ExportMeta {
            training: self.training.clone(),
            adapter: lora_adapter,
        };
        wasm_bindgen_futures::future_to_promise(async move {
            let files = export::export(&c, &meta).await?;
            let zip = archive::to_zip(&files)?;
            Ok(js_sys::Uint8Array::from(zip.as_slice()).into())
        })
    }

    /// Continues training this model on new data with the same labels (same arguments as
    /// `WebEngine.train`).
    #[allow(clippy::too_many_arguments)]
    pub fn train(
        &self,
        train_bytes: Vec<u8>,
        train_name: String,
        valid_bytes: Option<Vec<u8>>,
        valid_name: Option<String>,
        request: JsValue,
        on_progress: js_sys::Function,
        cancel: &CancelToken,
    ) -> Promise {
        let previous = Previous {
            head: self.inner.head.clone(),
            labels: self.inner.labels.clone(),
            task: self.inner.task,
            pairs: self.inner.pairs,
        };
        training_promise(
            Rc::new(self.inner.engine.clone()),
            self.backend.clone(),
            Some(previous),
            Files::new(train_bytes, train_name, valid_bytes, valid_name),
            request,
            on_progress,
            cancel,
            Ok(None),
        )
    }
}
