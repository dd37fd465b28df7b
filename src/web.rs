//! The browser facade: a thin `#[wasm_bindgen]` layer over the engine, for the page's Web Worker.
//!
//! Every entry point returns a Promise; failures reject it with an `Error` whose message is the
//! engine's (naming the file, tensor or line), never a panic that would kill the module.

use std::cell::RefCell;
use std::rc::Rc;

use burn::prelude::Device;
use js_sys::{Array, Float32Array, Object, Promise, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::backend::{self, AdapterSummary, Backend, BackendChoice, BackendInfo, BackendKind};
use crate::engine::{BatchLimits, Engine, ModelFiles};
use crate::tokenize::DEFAULT_MAX_LEN;
use crate::{Error, Result};

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

fn js_error(e: Error) -> JsError {
    JsError::new(&e.to_string())
}

fn to_js<T: Serialize>(value: &T) -> std::result::Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&format!("internal: could not convert a result for JavaScript: {e}")))
}

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
    Reflect::get(obj, &JsValue::from_str(key)).ok().and_then(|v| v.as_bool())
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
    let _ = Reflect::set(&options, &"powerPreference".into(), &"high-performance".into());
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
async fn webgpu(browser: Option<&BrowserAdapter>) -> Result<Backend> {
    if let Some((device, adapter)) = WEBGPU.with(|w| w.borrow().clone()) {
        return Ok(Backend {
            device,
            info: BackendInfo { backend: BackendKind::Wgpu, adapter: Some(adapter), reason: String::new() },
        });
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
            adapter.name = [b.vendor.as_str(), b.architecture.as_str(), b.description.as_str()]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
        }
        adapter.is_fallback |= b.is_fallback;
    }
    WEBGPU.with(|w| *w.borrow_mut() = Some((device.clone(), adapter.clone())));
    Ok(Backend {
        device,
        info: BackendInfo { backend: BackendKind::Wgpu, adapter: Some(adapter), reason: String::new() },
    })
}

/// Picks the backend: `auto` takes WebGPU only on a hardware adapter, because a software
/// fallback adapter (SwiftShader) is far slower than burn's CPU backend compiled to wasm.
pub async fn init_backend(choice: BackendChoice) -> Result<Backend> {
    match choice {
        BackendChoice::Cpu => Ok(backend::cpu("CPU backend requested")),
        BackendChoice::Wgpu => {
            let probe = probe_browser_adapter().await?;
            let browser = match probe {
                None => return Err(Error::Backend("this browser has no WebGPU (navigator.gpu is undefined)".into())),
                Some(None) => return Err(Error::Backend("WebGPU found no adapter (navigator.gpu.requestAdapter() returned null)".into())),
                Some(Some(b)) => b,
            };
            let mut b = webgpu(Some(&browser)).await?;
            b.info.reason = "WebGPU requested".into();
            Ok(b)
        }
        BackendChoice::Auto => match probe_browser_adapter().await {
            Ok(None) => Ok(backend::cpu("this browser has no WebGPU (navigator.gpu is undefined)")),
            Ok(Some(None)) => Ok(backend::cpu("WebGPU found no adapter")),
            Err(e) => Ok(backend::cpu(format!("WebGPU probe failed: {e}"))),
            Ok(Some(Some(browser))) if browser.is_fallback => Ok(backend::cpu(format!(
                "the WebGPU adapter is a software fallback ({} {}), slower than the CPU backend",
                browser.vendor, browser.architecture
            ))),
            Ok(Some(Some(browser))) => match webgpu(Some(&browser)).await {
                Ok(mut b) if b.info.adapter.as_ref().is_some_and(|a| a.is_fallback) => {
                    b = backend::cpu("the WebGPU adapter is a software fallback, slower than the CPU backend");
                    Ok(b)
                }
                Ok(mut b) => {
                    b.info.reason = "hardware WebGPU adapter".into();
                    Ok(b)
                }
                Err(e) => Ok(backend::cpu(format!("{e}"))),
            },
        },
    }
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
        let files = ModelFiles { config, tokenizer, weights };
        let engine = Engine::load(&files, &b.device, max_len.unwrap_or(DEFAULT_MAX_LEN)).map_err(js_error)?;
        Ok(WebEngine { engine: Rc::new(engine), backend: b.info })
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
        self.engine.tokenizer.encode(text).map(|e| e.input_ids).map_err(js_error)
    }

    /// Mean-pooled embeddings (L2-normalised with `normalize`): resolves to an Array of
    /// Float32Array, one per text. `max_batch` bounds texts per forward pass.
    pub fn embed(&self, texts: Vec<String>, normalize: bool, max_batch: Option<usize>) -> Promise {
        let engine = Rc::clone(&self.engine);
        wasm_bindgen_futures::future_to_promise(async move {
            let limits = BatchLimits { max_batch: max_batch.unwrap_or(16).max(1), ..BatchLimits::default() };
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
