//! The browser facade: a thin `#[wasm_bindgen]` layer over the engine, for the page's Web Worker
//! (and through it the `webtune` JavaScript library, `www/webtune.js`).
//!
//! Every entry point that can fail rejects (or throws) a JavaScript `Error` whose message is the
//! engine's — naming the file, line or tensor — and whose `kind` says what failed (`dataset`,
//! `model`, `backend`, `io`, `invalid`, `internal`; see [`crate::Error::kind`]); never a panic,
//! which would kill the module. Values cross in `camelCase` both ways ([`crate::case`]).

mod classifier;
mod embedder;
mod engine;
mod gpu;
mod training;

pub use classifier::WebClassifier;
pub use embedder::WebEmbedder;
pub use engine::WebEngine;
pub use gpu::init_backend;
pub use training::CancelToken;

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

use crate::backend::BackendChoice;
use crate::{Error, Result, case};

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

/// Records that the page started the thread pool (the JS glue calls it after `initThreadPool`),
/// and sets the least work of a kernel the CPU backend splits across it (threaded package).
#[wasm_bindgen(js_name = threadPoolStarted)]
pub fn thread_pool_started() {
    POOL_STARTED.with(|p| p.set(true));
    #[cfg(feature = "threads")]
    burn_flex::parallel::set_min_len(split_min_len());
}

/// The least work, in additions, of a kernel the CPU backend splits across the Web Workers: the
/// training step runs on the worker that called, outside the pool, and every split kernel waits
/// for the pool's workers to wake (`Atomics.wait`/`notify`), dearer than a native thread's
/// wake-up (natively 128 Ki). For the page's `last2` run (the `wasm-test` build) two threads
/// took 0.73× the time of one at 256 Ki and 0.70× at 1 Mi: the smaller kernels lose about as
/// much to the wake-ups as they gain, so only the largest are split (README, "Threads"; the
/// browser benchmark's `THREADS="1 2"` runs). A build with `WEBTUNE_SPLIT_MIN_LEN=N` in its environment
/// uses N instead, to measure another.
#[cfg(feature = "threads")]
fn split_min_len() -> usize {
    const MEASURED: usize = 1024 * 1024;
    option_env!("WEBTUNE_SPLIT_MIN_LEN")
        .and_then(|n| n.parse().ok())
        .unwrap_or(MEASURED)
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
pub fn package_features() -> std::result::Result<JsValue, JsValue> {
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

/// Initialises a backend (`"auto"`, `"cpu"` or `"webgpu"`) and describes it: backend, adapter
/// name/type/limits, why it was chosen, and whether a trial should decide.
#[wasm_bindgen(js_name = initBackend)]
pub async fn init_backend_js(choice: String) -> std::result::Result<JsValue, JsValue> {
    let choice: BackendChoice = choice.parse()?;
    to_js(&init_backend(choice).await?.info)
}

/// An engine error as a JavaScript `Error` with its `kind`.
impl From<Error> for JsValue {
    fn from(e: Error) -> JsValue {
        js_error(&e.to_string(), e.kind())
    }
}

/// `new Error(message)` with `name = "WebtuneError"` and `kind`.
fn js_error(message: &str, kind: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("WebtuneError");
    let _ = js_sys::Reflect::set(&error, &"kind".into(), &kind.into());
    error.into()
}

/// A value for JavaScript: plain objects and arrays, keys in camelCase.
fn to_js<T: Serialize>(value: &T) -> std::result::Result<JsValue, JsValue> {
    let internal = |e: &dyn std::fmt::Display| {
        js_error(&format!("could not convert a result: {e}"), "internal")
    };
    let json = serde_json::to_value(value).map_err(|e| internal(&e))?;
    case::to_camel(json)
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| internal(&e))
}

/// A value from JavaScript (camelCase keys; `undefined` or `null` reads as `{}`): a bad one is an
/// `invalid` error naming `what`.
fn from_js<T: DeserializeOwned>(value: JsValue, what: &str) -> Result<T> {
    let json: serde_json::Value = if value.is_undefined() || value.is_null() {
        serde_json::Value::Object(Default::default())
    } else {
        serde_wasm_bindgen::from_value(value).map_err(|e| Error::Invalid(format!("{what}: {e}")))?
    };
    let json = case::to_snake(json).map_err(|e| Error::Invalid(format!("{what}: {e}")))?;
    serde_json::from_value(json).map_err(|e| Error::Invalid(format!("{what}: {e}")))
}
