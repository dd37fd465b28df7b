//! The browser's side of the backend choice: what `navigator.gpu` says about the adapter (the
//! probe [`backend::decide`] judges) and burn's WebGPU device, started once per page.

#[cfg(feature = "wgpu")]
use std::cell::RefCell;

#[cfg(feature = "wgpu")]
use burn::prelude::Device;
use js_sys::{Object, Promise, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::backend::{self, AdapterSummary, Backend, BackendChoice, BackendKind, Platform, Probe};
use crate::{Error, Result};

#[cfg(feature = "wgpu")]
thread_local! {
    /// burn's WebGPU runtime may be initialised once per page: the device is kept here.
    static WEBGPU: RefCell<Option<(Device, AdapterSummary)>> = const { RefCell::new(None) };
    /// Destroys the wgpu device under burn's (the test hook [`test_lose_gpu_device`]).
    static DESTROY: RefCell<Option<Box<dyn Fn()>>> = const { RefCell::new(None) };
}

/// Test hook: destroys the page's WebGPU device, as a driver reset or a GPU that went away would
/// lose it (the browser resolves `GPUDevice.lost`, burn's runtime marks the device poisoned and
/// every later read fails). Returns whether there was a device. The worker calls it only when
/// started with test hooks (the end-to-end test).
#[wasm_bindgen(js_name = testLoseGpuDevice)]
pub fn test_lose_gpu_device() -> bool {
    #[cfg(feature = "wgpu")]
    {
        DESTROY.with(|d| d.borrow().as_ref().map(|destroy| destroy()).is_some())
    }
    #[cfg(not(feature = "wgpu"))]
    {
        false
    }
}

/// Test hook: a panic, which in wasm traps and leaves the module unusable (what a bug or an
/// exhausted memory does): the worker must be noticed dead and restarted.
#[wasm_bindgen(js_name = testCrash)]
pub fn test_crash() {
    panic!("the test hook crashed the engine on purpose");
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
    let wgpu_device = setup.device.clone();
    DESTROY.with(|d| *d.borrow_mut() = Some(Box::new(move || wgpu_device.destroy())));
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
