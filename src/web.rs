//! The browser facade: a thin `#[wasm_bindgen]` layer over the engine, for the page's Web Worker.
//!
//! Every entry point returns a Promise; failures reject it with an `Error` whose message is the
//! engine's (naming the file, tensor or line), never a panic that would kill the module.

#[cfg(feature = "wgpu")]
use std::cell::RefCell;
use std::rc::Rc;

#[cfg(feature = "wgpu")]
use burn::prelude::Device;
use js_sys::{Array, Float32Array, Object, Promise, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::backend::{
    self, AdapterSummary, Backend, BackendChoice, BackendInfo, BackendKind, Platform, Probe,
};
use crate::engine::{BatchLimits, Engine, ModelFiles};
use crate::tokenize::DEFAULT_MAX_LEN;
use crate::{Error, Result};

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// Starts the pool of `n` Web Workers that burn's CPU backend runs on (threaded package only). Call
/// it once, before the first tensor operation: rayon otherwise builds a one-thread global pool.
/// The page must be cross-origin isolated (the workers share the module's memory).
#[cfg(feature = "threads")]
pub use wasm_bindgen_rayon::init_thread_pool;

thread_local! {
    /// Whether `initThreadPool` has run: before it, asking rayon for its pool would build one.
    static POOL_STARTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Records that the page started the thread pool (the JS glue calls it after `initThreadPool`).
#[wasm_bindgen(js_name = threadPoolStarted)]
pub fn thread_pool_started() {
    POOL_STARTED.with(|p| p.set(true));
}

/// Threads burn's CPU backend runs on: the rayon pool's size in the threaded package once its
/// pool is started, else 1.
#[wasm_bindgen(js_name = threadCount)]
pub fn thread_count() -> usize {
    #[cfg(feature = "threads")]
    if POOL_STARTED.with(|p| p.get()) {
        return rayon::current_num_threads();
    }
    1
}

/// What this package was built with: `{threads, webgpu}`.
#[wasm_bindgen(js_name = packageFeatures)]
pub fn package_features() -> std::result::Result<JsValue, JsError> {
    #[derive(Serialize)]
    struct Features {
        threads: bool,
        webgpu: bool,
    }
    to_js(&Features {
        threads: cfg!(feature = "threads"),
        webgpu: cfg!(feature = "wgpu"),
    })
}

fn js_error(e: Error) -> JsError {
    JsError::new(&e.to_string())
}

fn to_js<T: Serialize>(value: &T) -> std::result::Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| {
            JsError::new(&format!(
                "internal: could not convert a result for JavaScript: {e}"
            ))
        })
}

#[cfg(feature = "wgpu")]
thread_local! {
    /// burn's WebGPU runtime may be initialised once per page: the device is kept here.
    static WEBGPU: RefCell<Option<(Device, AdapterSummary)>> = const { RefCell::new(None) };
}

/// What `navigator.gpu.requestAdapter()` says about the browser's adapter, read through JS
/// reflection (web-sys' WebGPU bindings are unstable).
#[derive(Debug, Clone, Default, Serialize)]
pub struct BrowserAdapter {
    pub vendor: String,
    pub architecture: String,
    pub description: String,
    pub is_fallback: bool,
}

fn get_str(obj: &JsValue, key: &str) -> String {
    Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

fn get_bool(obj: &JsValue, key: &str) -> Option<bool> {
    Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .and_then(|v| v.as_bool())
}

/// `Ok(None)`: no WebGPU in this browser; `Ok(Some(None))`: WebGPU but no adapter.
async fn probe_browser_adapter() -> Result<Option<Option<BrowserAdapter>>> {
    let global = js_sys::global();
    let navigator = Reflect::get(&global, &"navigator".into()).unwrap_or(JsValue::UNDEFINED);
    let gpu = Reflect::get(&navigator, &"gpu".into()).unwrap_or(JsValue::UNDEFINED);
    if gpu.is_undefined() || gpu.is_null() {
        return Ok(None);
    }
    let request = Reflect::get(&gpu, &"requestAdapter".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or_else(|| Error::Backend("navigator.gpu.requestAdapter is not a function".into()))?;
    let options = Object::new();
    let _ = Reflect::set(
        &options,
        &"powerPreference".into(),
        &"high-performance".into(),
    );
    let promise: Promise = request
        .call1(&gpu, &options)
        .map_err(|e| Error::Backend(format!("requestAdapter failed: {e:?}")))?
        .dyn_into()
        .map_err(|_| Error::Backend("requestAdapter did not return a Promise".into()))?;
    let adapter = JsFuture::from(promise)
        .await
        .map_err(|e| Error::Backend(format!("requestAdapter failed: {e:?}")))?;
    if adapter.is_null() || adapter.is_undefined() {
        return Ok(Some(None));
    }
    let info = Reflect::get(&adapter, &"info".into()).unwrap_or(JsValue::UNDEFINED);
    // `isFallbackAdapter` moved from the adapter to its info; read either.
    let is_fallback = get_bool(&info, "isFallbackAdapter")
        .or_else(|| get_bool(&adapter, "isFallbackAdapter"))
        .unwrap_or(false);
    Ok(Some(Some(BrowserAdapter {
        vendor: get_str(&info, "vendor"),
        architecture: get_str(&info, "architecture"),
        description: get_str(&info, "description"),
        is_fallback,
    })))
}

/// burn's WebGPU device, initialised on first use and cached for the page's lifetime.
#[cfg(feature = "wgpu")]
async fn webgpu(browser: Option<&BrowserAdapter>) -> Result<Backend> {
    if let Some((device, adapter)) = WEBGPU.with(|w| w.borrow().clone()) {
        return Ok(backend::gpu(device, adapter));
    }
    let (device, setup) = Device::wgpu_options()
        .init_with_setup_async()
        .await
        .map_err(|e| Error::Backend(format!("WebGPU could not be initialised: {e}")))?;
    let mut adapter = AdapterSummary::from_setup(&setup);
    if let Some(b) = browser {
        adapter.vendor = b.vendor.clone();
        adapter.architecture = b.architecture.clone();
        if adapter.name.is_empty() {
            adapter.name = b.name();
        }
        adapter.is_fallback |= b.is_fallback;
    }
    WEBGPU.with(|w| *w.borrow_mut() = Some((device.clone(), adapter.clone())));
    Ok(backend::gpu(device, adapter))
}

/// The threaded CPU package is built without WebGPU (wasm atomics make wgpu's WebGPU types
/// non-`Send`); the page loads the other package for WebGPU.
#[cfg(not(feature = "wgpu"))]
async fn webgpu(_browser: Option<&BrowserAdapter>) -> Result<Backend> {
    Err(Error::Backend(
        "this is webtune's threaded CPU package, built without WebGPU: load the WebGPU package (www/pkg) for it".into(),
    ))
}

impl BrowserAdapter {
    /// What [`backend::decide`] judges before burn's WebGPU device exists.
    fn summary(&self) -> AdapterSummary {
        AdapterSummary {
            name: self.name(),
            api: "webgpu".into(),
            vendor: self.vendor.clone(),
            architecture: self.architecture.clone(),
            is_fallback: self.is_fallback,
            ..Default::default()
        }
    }

    /// `vendor architecture description`, the parts the browser gave.
    fn name(&self) -> String {
        [
            self.vendor.as_str(),
            self.architecture.as_str(),
            self.description.as_str(),
        ]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
    }
}

/// The browser's probe for [`backend::decide`]: `navigator.gpu`'s adapter, or why there is none.
async fn browser_probe() -> (Probe, Option<BrowserAdapter>) {
    match probe_browser_adapter().await {
        Ok(Some(Some(b))) => (Probe::Adapter(b.summary()), Some(b)),
        Ok(None) => (
            Probe::NoGpu("this browser has no WebGPU (navigator.gpu is undefined)".into()),
            None,
        ),
        Ok(Some(None)) => (
            Probe::NoGpu(
                "WebGPU found no adapter (navigator.gpu.requestAdapter() returned null)".into(),
            ),
            None,
        ),
        Err(e) => (Probe::NoGpu(format!("the WebGPU probe failed: {e}")), None),
    }
}

/// Gathers the browser's probe and applies the one backend policy ([`backend::decide`]). The
/// decision is taken again on what burn's WebGPU device reports once it has started, which can
/// still be a software adapter the browser's info did not flag.
pub async fn init_backend(choice: BackendChoice) -> Result<Backend> {
    let decide = |probe: &Probe| backend::decide(choice, probe, Platform::Browser);
    if choice == BackendChoice::Cpu {
        let d = decide(&Probe::NoGpu("not looked for".into()))?;
        return Ok(backend::apply(d, None));
    }
    let (probe, browser) = browser_probe().await;
    let d = decide(&probe)?;
    if d.backend == BackendKind::Cpu {
        return Ok(backend::apply(d, None));
    }
    let b = match webgpu(browser.as_ref()).await {
        Ok(b) => b,
        Err(e) => {
            let d = decide(&Probe::NoGpu(e.message().to_string()))?;
            return Ok(backend::apply(d, None));
        }
    };
    let d = decide(&Probe::Adapter(b.info.adapter.clone().unwrap_or_default()))?;
    Ok(backend::apply(d, Some(b)))
}

/// Initialises a backend (`"auto"`, `"cpu"` or `"webgpu"`) and describes it: backend, adapter
/// name/type/limits, and why it was chosen.
#[wasm_bindgen(js_name = initBackend)]
pub async fn init_backend_js(choice: String) -> std::result::Result<JsValue, JsError> {
    let choice: BackendChoice = choice.parse().map_err(js_error)?;
    let b = init_backend(choice).await.map_err(js_error)?;
    to_js(&b.info)
}

/// A model loaded in the browser.
#[wasm_bindgen]
pub struct WebEngine {
    engine: Rc<Engine>,
    backend: BackendInfo,
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
    ) -> std::result::Result<WebEngine, JsError> {
        let choice: BackendChoice = backend.parse().map_err(js_error)?;
        let b = init_backend(choice).await.map_err(js_error)?;
        let files = ModelFiles {
            config,
            tokenizer,
            weights,
        };
        let engine = Engine::load(&files, &b.device, max_len.unwrap_or(DEFAULT_MAX_LEN))
            .map_err(js_error)?;
        Ok(WebEngine {
            engine: Rc::new(engine),
            backend: b.info,
        })
    }

    /// The backend this model runs on (`{backend, adapter, reason}`).
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> std::result::Result<JsValue, JsError> {
        to_js(&self.backend)
    }

    /// The model's hidden size (embedding dimension).
    #[wasm_bindgen(getter, js_name = hiddenSize)]
    pub fn hidden_size(&self) -> usize {
        self.engine.config.hidden_size
    }

    /// Token ids of one text, as the model sees it (truncated, with special tokens).
    pub fn tokenize(&self, text: &str) -> std::result::Result<Vec<u32>, JsError> {
        self.engine
            .tokenizer
            .encode(text)
            .map(|e| e.input_ids)
            .map_err(js_error)
    }

    /// Mean-pooled embeddings (L2-normalised with `normalize`): resolves to an Array of
    /// Float32Array, one per text. `max_batch` bounds texts per forward pass.
    pub fn embed(&self, texts: Vec<String>, normalize: bool, max_batch: Option<usize>) -> Promise {
        let engine = Rc::clone(&self.engine);
        wasm_bindgen_futures::future_to_promise(async move {
            let limits = BatchLimits {
                max_batch: max_batch.unwrap_or(16).max(1),
                ..BatchLimits::default()
            };
            let vectors = engine
                .embed(&texts, normalize, limits)
                .await
                .map_err(|e| JsValue::from(js_error(e)))?;
            let out = Array::new();
            for v in vectors {
                out.push(&Float32Array::from(v.as_slice()));
            }
            Ok(out.into())
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Datasets, training, prediction, export and import.
// ---------------------------------------------------------------------------------------------

use std::cell::Cell;

use crate::classifier::Classifier;
use crate::data::{self, Dataset, LabelSet, ParseOptions, ParsedFile};
use crate::export::{self, ExportMeta, archive};
use crate::train::{Progress, TrainConfig, TrainHost};

fn from_js<T: serde::de::DeserializeOwned>(
    value: JsValue,
    what: &str,
) -> std::result::Result<T, JsError> {
    if value.is_undefined() || value.is_null() {
        return serde_json::from_str("{}").map_err(|e| JsError::new(&format!("{what}: {e}")));
    }
    serde_wasm_bindgen::from_value(value).map_err(|e| JsError::new(&format!("{what}: {e}")))
}

/// How to read a dataset file (all optional).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ParseOptionsJs {
    format: Option<String>,
    text_column: Option<String>,
    label_column: Option<String>,
}

fn parse_file(
    bytes: &[u8],
    file_name: &str,
    opts: &ParseOptionsJs,
) -> std::result::Result<ParsedFile, JsError> {
    let options = ParseOptions {
        file_name: file_name.to_string(),
        format: opts
            .format
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|e: String| JsError::new(&e))?,
        text_column: opts.text_column.clone(),
        label_column: opts.label_column.clone(),
    };
    data::parse(bytes, &options).map_err(|e| JsError::new(&e.to_string()))
}

/// What the page shows about a dropped file: format, columns, the chosen text/label columns,
/// a preview, class counts and every problem with its line.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DatasetSummary<'a> {
    file_name: &'a str,
    format: String,
    has_header: bool,
    columns: &'a [String],
    text_column: &'a str,
    label_column: &'a str,
    rows: usize,
    preview: &'a [Vec<String>],
    class_counts: Vec<(String, usize)>,
    /// Problems of the file as training data (a class seen once, fewer than two classes...).
    problems: Vec<data::Problem>,
    more_problems: usize,
}

/// Parses a dataset file with the engine's parser (the page has no second one) and summarises
/// it. Rejects only when the file cannot be read at all (empty, binary, not UTF-8, too big);
/// row problems come back in `problems`.
#[wasm_bindgen(js_name = inspectDataset)]
pub fn inspect_dataset(
    bytes: &[u8],
    file_name: String,
    options: JsValue,
) -> std::result::Result<JsValue, JsError> {
    let opts: ParseOptionsJs = from_js(options, "dataset options")?;
    let parsed = parse_file(bytes, &file_name, &opts)?;
    let (problems, more) = match parsed.training_error() {
        Some(e) => (e.problems, e.more),
        None => (Vec::new(), 0),
    };
    to_js(&DatasetSummary {
        file_name: &parsed.file_name,
        format: parsed.format.to_string(),
        has_header: parsed.has_header,
        columns: &parsed.columns,
        text_column: &parsed.text_column,
        label_column: &parsed.label_column,
        rows: parsed.examples.len(),
        preview: &parsed.preview,
        class_counts: parsed.class_counts(),
        problems,
        more_problems: more,
    })
}

/// Stops a running training between two steps; the best model so far is kept.
#[wasm_bindgen]
#[derive(Clone, Default)]
pub struct CancelToken(Rc<Cell<bool>>);

#[wasm_bindgen]
impl CancelToken {
    #[wasm_bindgen(constructor)]
    pub fn new() -> CancelToken {
        CancelToken::default()
    }
    pub fn cancel(&self) {
        self.0.set(true);
    }
    #[wasm_bindgen(getter)]
    pub fn cancelled(&self) -> bool {
        self.0.get()
    }
}

/// A macrotask boundary (`setTimeout(0)`): lets the worker's message handler run between steps
/// even on the CPU backend, whose reads complete without ever yielding.
fn next_macrotask() -> crate::train::progress::Yield {
    let promise = Promise::new(&mut |resolve, _reject| {
        let global = js_sys::global();
        if let Some(set_timeout) = Reflect::get(&global, &"setTimeout".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        {
            let _ = set_timeout.call2(&global, &resolve, &JsValue::from(0));
        } else {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    Box::pin(async move {
        let _ = JsFuture::from(promise).await;
    })
}

/// Forwards progress to a JS callback.
struct BrowserHost {
    on_progress: js_sys::Function,
    cancel: CancelToken,
    cache_limit: u64,
}

impl TrainHost for BrowserHost {
    fn progress(&mut self, event: &Progress) {
        if let Ok(v) = to_js(event) {
            let _ = self.on_progress.call1(&JsValue::NULL, &v);
        }
    }
    fn cancelled(&self) -> bool {
        self.cancel.0.get()
    }
    fn yield_now(&self) -> crate::train::progress::Yield {
        next_macrotask()
    }
    fn cache_limit(&self) -> u64 {
        self.cache_limit
    }
}

/// The browser's cache limit. The cache lives in wasm memory (a 4 GiB address space that also
/// holds the model), so at most 1 GiB; on WebGPU each step uploads one batch of it into a GPU
/// buffer, so it is also bounded by the adapter's `maxBufferSize`.
fn browser_cache_limit(info: &BackendInfo) -> u64 {
    let wasm_budget: u64 = 1 << 30;
    match &info.adapter {
        Some(a) if info.backend == BackendKind::Wgpu => {
            wasm_budget.min(a.max_buffer_size.max(1 << 20))
        }
        _ => wasm_budget,
    }
}

/// Training input from the page.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct TrainRequest {
    #[serde(flatten)]
    columns: ParseOptionsJs,
    /// Validation file's name (its bytes are a separate argument).
    valid_file_name: Option<String>,
    config: Option<serde_json::Value>,
    /// Base-model name recorded in the export.
    base_model: Option<String>,
}

/// The training and validation sets and settings of a request, as `train` would use them: the
/// files parsed (validation labels checked against training's), then `prepare` (the defaults
/// that fit the data).
fn prepare_request(
    train_bytes: &[u8],
    train_name: &str,
    valid_bytes: Option<Vec<u8>>,
    request: &TrainRequest,
    fixed_labels: Option<&LabelSet>,
) -> std::result::Result<(Dataset, Dataset, TrainConfig), JsError> {
    let config: TrainConfig = match &request.config {
        Some(c) => serde_json::from_value(c.clone())
            .map_err(|e| JsError::new(&format!("training settings: {e}")))?,
        None => TrainConfig::default(),
    };
    let parsed = parse_file(train_bytes, train_name, &request.columns)?;
    let full: Dataset = parsed
        .into_dataset(fixed_labels)
        .map_err(|e| JsError::new(&e.to_string()))?;
    let valid = match valid_bytes {
        Some(bytes) => {
            let name = request
                .valid_file_name
                .clone()
                .unwrap_or_else(|| "validation file".into());
            let v = parse_file(&bytes, &name, &request.columns)?
                .into_dataset_with(&full.label_set)
                .map_err(|e| JsError::new(&e.to_string()))?;
            Some(v)
        }
        None => None,
    };
    let prepared = crate::train::prepare(full, valid, &config);
    Ok((prepared.train, prepared.valid, prepared.config))
}

/// Takes the faster of two trials (`WebEngine.timeSteps` on WebGPU and on the CPU): resolves
/// `{backend, reason, timings}`, the reason naming both figures.
#[wasm_bindgen(js_name = chooseBackend)]
pub fn choose_backend(gpu: JsValue, cpu: JsValue) -> std::result::Result<JsValue, JsError> {
    let gpu: crate::train::trial::StepTiming = from_js(gpu, "WebGPU trial")?;
    let cpu: crate::train::trial::StepTiming = from_js(cpu, "CPU trial")?;
    to_js(&crate::train::trial::choose(&gpu, &cpu))
}

/// Shared by [`WebEngine::train`] and [`WebClassifier::train`].
async fn run_training(
    engine: Rc<Engine>,
    backend: BackendInfo,
    head: Option<crate::model::Head>,
    fixed_labels: Option<LabelSet>,
    train_bytes: Vec<u8>,
    train_name: String,
    valid_bytes: Option<Vec<u8>>,
    request: TrainRequest,
    on_progress: js_sys::Function,
    cancel: CancelToken,
) -> std::result::Result<WebClassifier, JsError> {
    let (train_set, valid_set, config) = prepare_request(
        &train_bytes,
        &train_name,
        valid_bytes,
        &request,
        fixed_labels.as_ref(),
    )?;
    let mut host = BrowserHost {
        on_progress,
        cancel,
        cache_limit: browser_cache_limit(&backend),
    };
    let (outcome, trials) =
        crate::train::fit(&engine, head, &train_set, &valid_set, &config, &mut host)
            .await
            .map_err(js_error)?;
    let classifier = Classifier::from_training(&engine, &outcome);
    let mut training = outcome.record(
        request.base_model.as_deref(),
        train_set.len(),
        valid_set.len(),
        trials.as_deref(),
    );
    training["epochs"] = serde_json::json!(outcome.epochs);
    training["cancelled"] = serde_json::json!(outcome.cancelled);
    Ok(WebClassifier {
        inner: Rc::new(classifier),
        backend,
        training: Some(training),
    })
}

/// Runs [`run_training`] behind a Promise that resolves to a `WebClassifier`; `previous` is the
/// head and labels of a model whose training continues.
#[allow(clippy::too_many_arguments)]
fn training_promise(
    engine: Rc<Engine>,
    backend: BackendInfo,
    previous: Option<(crate::model::Head, LabelSet)>,
    train_bytes: Vec<u8>,
    train_name: String,
    valid_bytes: Option<Vec<u8>>,
    request: JsValue,
    on_progress: js_sys::Function,
    cancel: &CancelToken,
) -> Promise {
    let cancel = cancel.clone();
    let request: std::result::Result<TrainRequest, JsError> = from_js(request, "training request");
    wasm_bindgen_futures::future_to_promise(async move {
        let request = request.map_err(JsValue::from)?;
        let (head, labels) = previous.unzip();
        run_training(
            engine,
            backend,
            head,
            labels,
            train_bytes,
            train_name,
            valid_bytes,
            request,
            on_progress,
            cancel,
        )
        .await
        .map(JsValue::from)
        .map_err(JsValue::from)
    })
}

#[wasm_bindgen]
impl WebEngine {
    /// Fine-tunes a classifier on a dataset file. `request`: `{format?, textColumn?,
    /// labelColumn?, validFileName?, config?: TrainConfig, baseModel?}`; `onProgress` receives
    /// every progress event; `cancel` stops between steps. Resolves to a `WebClassifier`.
    pub fn train(
        &self,
        train_bytes: Vec<u8>,
        train_name: String,
        valid_bytes: Option<Vec<u8>>,
        request: JsValue,
        on_progress: js_sys::Function,
        cancel: &CancelToken,
    ) -> Promise {
        training_promise(
            Rc::clone(&self.engine),
            self.backend.clone(),
            None,
            train_bytes,
            train_name,
            valid_bytes,
            request,
            on_progress,
            cancel,
        )
    }

    /// Times a few warm training steps of the run `train` would start with these arguments, on
    /// this model's backend (`auto` that measures; see `train::trial`). `label` names the backend
    /// in the result; past `budgetSeconds` the trial stops. Resolves to `{backend, label,
    /// steps_per_sec, batch_size, seconds, finished}`; the model is not changed.
    #[wasm_bindgen(js_name = timeSteps)]
    pub fn time_steps(
        &self,
        train_bytes: Vec<u8>,
        train_name: String,
        valid_bytes: Option<Vec<u8>>,
        request: JsValue,
        label: String,
        budget_seconds: Option<f64>,
    ) -> Promise {
        let engine = Rc::clone(&self.engine);
        let backend = self.backend.backend;
        let request: std::result::Result<TrainRequest, JsError> =
            from_js(request, "training request");
        wasm_bindgen_futures::future_to_promise(async move {
            let request = request.map_err(JsValue::from)?;
            let (train_set, _, config) =
                prepare_request(&train_bytes, &train_name, valid_bytes, &request, None)
                    .map_err(JsValue::from)?;
            let timing = crate::train::trial::time_steps(
                &engine,
                &train_set,
                &config,
                backend,
                &label,
                budget_seconds,
            )
            .await
            .map_err(|e| JsValue::from(js_error(e)))?;
            to_js(&timing).map_err(JsValue::from)
        })
    }
}

/// A fine-tuned classifier in the browser.
#[wasm_bindgen]
pub struct WebClassifier {
    inner: Rc<Classifier>,
    backend: BackendInfo,
    training: Option<serde_json::Value>,
}

#[wasm_bindgen]
impl WebClassifier {
    /// Opens an exported model (the zip `exportZip` writes, or one made from a
    /// `webtune train` folder) on a backend (`"auto"`, `"cpu"`, `"webgpu"`).
    #[wasm_bindgen(js_name = importZip)]
    pub async fn import_zip(
        bytes: Vec<u8>,
        backend: String,
    ) -> std::result::Result<WebClassifier, JsError> {
        let choice: BackendChoice = backend.parse().map_err(js_error)?;
        let b = init_backend(choice).await.map_err(js_error)?;
        let files = archive::from_zip(&bytes).map_err(js_error)?;
        let training = files
            .get(export::layout::WEBTUNE)
            .and_then(|w| serde_json::from_slice::<serde_json::Value>(w).ok())
            .and_then(|w| w.get("training").cloned());
        let c = export::import(&files, &b.device).map_err(js_error)?;
        Ok(WebClassifier {
            inner: Rc::new(c),
            backend: b.info,
            training,
        })
    }

    #[wasm_bindgen(getter)]
    pub fn labels(&self) -> Vec<String> {
        self.inner.labels.names().to_vec()
    }

    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> std::result::Result<JsValue, JsError> {
        to_js(&self.backend)
    }

    /// How the model was trained (settings, epochs, validation metrics), when known.
    #[wasm_bindgen(getter)]
    pub fn training(&self) -> std::result::Result<JsValue, JsError> {
        to_js(&self.training)
    }

    /// Predictions: resolves to `[{label, index, probabilities: number[]}]`, one per text.
    pub fn predict(&self, texts: Vec<String>) -> Promise {
        let c = Rc::clone(&self.inner);
        wasm_bindgen_futures::future_to_promise(async move {
            let p = c
                .predict(
                    &texts,
                    BatchLimits {
                        max_batch: 32,
                        max_tokens: 4096,
                    },
                )
                .await
                .map_err(|e| JsValue::from(js_error(e)))?;
            to_js(&p).map_err(JsValue::from)
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
            let files = export::export(&c, &meta)
                .await
                .map_err(|e| JsValue::from(js_error(e)))?;
            let zip = archive::to_zip(&files).map_err(|e| JsValue::from(js_error(e)))?;
            Ok(js_sys::Uint8Array::from(zip.as_slice()).into())
        })
    }

    /// Continues training this model on new data with the same labels (same arguments as
    /// `WebEngine.train`).
    pub fn train(
        &self,
        train_bytes: Vec<u8>,
        train_name: String,
        valid_bytes: Option<Vec<u8>>,
        request: JsValue,
        on_progress: js_sys::Function,
        cancel: &CancelToken,
    ) -> Promise {
        let previous = (self.inner.head.clone(), self.inner.labels.clone());
        training_promise(
            Rc::new(self.inner.engine.clone()),
            self.backend.clone(),
            Some(previous),
            train_bytes,
            train_name,
            valid_bytes,
            request,
            on_progress,
            cancel,
        )
    }
}
