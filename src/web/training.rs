//! Datasets and training in the browser: the page's parser view of a file, and the one training
//! job ([`crate::job`]) behind a Promise, with progress to a JS callback and a cancel token.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Promise, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::classifier::WebClassifier;
use super::engine::WebEngine;
use super::{from_js, to_js};
use crate::Result;
use crate::backend::{self, BackendInfo, Platform};
use crate::data::{self, LabelSet};
use crate::engine::Engine;
use crate::job::{
    self, CheckpointStore, Checkpoints, DataFile, DataOptions, PreparedJob, PreparedPairs,
    TrainRequest,
};
use crate::model::Head;
use crate::train::checkpoint::{CheckpointMeta, Fingerprint};
use crate::train::progress::Yield;
use crate::train::{Progress, TrainHost, trial};

/// What the page shows about a dropped file: format, columns, the chosen text/label columns,
/// a preview, class counts and every problem with its line.
#[derive(Serialize)]
struct DatasetSummary<'a> {
    /// `labelled` (pair files are summarised by [`PairSummary`], kind `pairs` or `scored`).
    kind: &'static str,
    file_name: &'a str,
    format: String,
    has_header: bool,
    columns: &'a [String],
    text_column: &'a str,
    label_column: &'a str,
    /// The second text's column, when the examples are sentence pairs.
    pair_column: Option<&'a str>,
    /// `single`, `multi` or `regression`: as chosen, or detected from the label column.
    task: data::Task,
    rows: usize,
    preview: &'a [Vec<String>],
    /// Examples a class (single-label) or a label (multi-label); empty for regression.
    class_counts: Vec<(String, usize)>,
    /// Regression: the smallest and largest target.
    score_range: Option<(f64, f64)>,
    /// Multi-label: examples with no label.
    unlabelled: usize,
    /// Sentence pairs: examples whose two texts are the same text (a file of nothing else is
    /// refused).
    identical_pairs: usize,
    /// Single-label files of single texts: whether the file suggests few-shot mode, and why
    /// (the rule training's plan notes too).
    fewshot_hint: Option<crate::train::plan::FewshotHint>,
    /// Problems of the file as training data (a class seen once, fewer than two classes...).
    problems: Vec<data::Problem>,
    more_problems: usize,
}

/// Parses a dataset file with the engine's parser (the page has no second one) and summarises
/// it. `options`: [`DataOptions`]. A pair file when its header names two texts (`anchor`,
/// `positive`, `sentence1`, ...) or the options name the pair columns (`firstColumn`,
/// `secondColumn`: the page's embedding mode on any file) — unless the options name a task or a
/// text pair column (`task`, `textPairColumn`: sentence pairs with labels or scores to predict,
/// which the same header can hold) — else labelled texts. Rejects only when
/// the file cannot be read at all (empty, binary, not UTF-8, too big); row problems come back in
/// `problems`.
#[wasm_bindgen(js_name = inspectDataset)]
pub fn inspect_dataset(
    bytes: &[u8],
    file_name: String,
    options: JsValue,
) -> std::result::Result<JsValue, JsValue> {
    let options: DataOptions = from_js(options, "dataset options")?;
    let by_header = data::pairs::header_kind(bytes, &file_name, options.format()?);
    let labelled = options.task.is_some() || options.text_pair_column.is_some();
    if !labelled
        && (by_header.is_some()
            || options.first_column.is_some()
            || options.second_column.is_some())
    {
        return inspect_pairs(bytes, &file_name, &options, by_header);
    }
    let parsed = options.parse(bytes, &file_name)?;
    let (problems, more) = match parsed.training_error() {
        Some(e) => (e.problems, e.more),
        None => (Vec::new(), 0),
    };
    let class_counts = parsed.class_counts();
    let fewshot_hint = (parsed.task == data::Task::Single && parsed.pair_column.is_none())
        .then(|| {
            let counts: Vec<usize> = class_counts.iter().map(|(_, n)| *n).collect();
            crate::train::plan::fewshot_hint(&counts)
        })
        .flatten();
    to_js(&DatasetSummary {
        kind: "labelled",
        file_name: &parsed.file_name,
        format: parsed.format.to_string(),
        has_header: parsed.has_header,
        columns: &parsed.columns,
        text_column: &parsed.text_column,
        label_column: &parsed.label_column,
        pair_column: parsed.pair_column.as_deref(),
        task: parsed.task,
        score_range: parsed.score_range(),
        unlabelled: parsed.unlabelled(),
        identical_pairs: parsed.identical_pairs(),
        rows: parsed.examples.len(),
        preview: &parsed.preview,
        // A column of ids has a class a row: the page lists at most what a model may have.
        class_counts: class_counts.into_iter().take(data::MAX_CLASSES).collect(),
        fewshot_hint,
        problems,
        more_problems: more,
    })
}

/// What the page shows about a pair file: its kind, columns (and which were read for each role),
/// rows, the first rows and every problem.
#[derive(Serialize)]
struct PairSummary<'a> {
    file_name: &'a str,
    /// `pairs` or `scored`.
    kind: data::pairs::PairKind,
    /// The header's columns, for the page's column selects.
    columns: Vec<String>,
    /// The columns read as first text, second text, hard negative and score (as the options
    /// asked, where the file could not be read).
    first_column: Option<String>,
    second_column: Option<String>,
    negative_column: Option<String>,
    score_column: Option<String>,
    rows: usize,
    /// Whether rows carry a hard negative.
    negatives: bool,
    /// Rows whose two texts are the same text (a file of nothing else is refused).
    identical: usize,
    /// The scores' range (scored pairs): declared or inferred.
    score_range: Option<[f64; 2]>,
    preview: Vec<Vec<String>>,
    problems: Vec<data::Problem>,
    more_problems: usize,
}

fn inspect_pairs(
    bytes: &[u8],
    file_name: &str,
    options: &DataOptions,
    by_header: Option<data::pairs::PairKind>,
) -> std::result::Result<JsValue, JsValue> {
    let parsed =
        data::pairs::parse_pairs(bytes, file_name, options.format()?, &options.pair_columns())
            .and_then(|set| Ok((set.score_range(None)?, set)));
    let summary = match &parsed {
        Ok((range, set)) => PairSummary {
            file_name,
            kind: set.kind,
            columns: set.columns.clone(),
            first_column: set.chosen.first.clone(),
            second_column: set.chosen.second.clone(),
            negative_column: set.chosen.negative.clone(),
            score_column: set.chosen.score.clone(),
            rows: set.len(),
            negatives: set.negatives.is_some(),
            identical: set.identical(),
            score_range: set.scores.as_ref().map(|_| *range),
            preview: (0..set.len().min(5))
                .map(|i| {
                    let mut row = vec![set.first[i].clone(), set.second[i].clone()];
                    if let Some(n) = &set.negatives {
                        row.push(n[i].clone());
                    }
                    if let Some(s) = &set.scores {
                        row.push(s[i].to_string());
                    }
                    row
                })
                .collect(),
            problems: Vec::new(),
            more_problems: 0,
        },
        // Every problem with its line, as the labelled summary lists them.
        // The kind the header or the options say, as far as a file that cannot be read says one.
        Err(e) => PairSummary {
            file_name,
            kind: by_header.unwrap_or(
                if options
                    .score_column
                    .as_deref()
                    .is_some_and(|c| !c.trim().is_empty())
                {
                    data::pairs::PairKind::Scored
                } else {
                    data::pairs::PairKind::Pairs
                },
            ),
            columns: data::pairs::header_columns(bytes, file_name, options.format()?)
                .unwrap_or_default(),
            first_column: options.first_column.clone(),
            second_column: options.second_column.clone(),
            negative_column: options.negative_column.clone(),
            score_column: options.score_column.clone(),
            rows: 0,
            negatives: false,
            identical: 0,
            score_range: None,
            preview: Vec::new(),
            problems: e.problems.clone(),
            more_problems: e.more,
        },
    };
    to_js(&summary)
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
fn next_macrotask() -> Yield {
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
pub(super) struct BrowserHost {
    pub(super) on_progress: js_sys::Function,
    pub(super) cancel: CancelToken,
    pub(super) cache_limit: u64,
    /// The device the run trains on: its memory pool goes with every step event.
    pub(super) device: burn::prelude::Device,
}

/// What the tab holds after a step (each `step` event's `memory`): the wasm module's linear
/// memory, which grows and never shrinks (a leak is growth that never stops), and on WebGPU
/// burn's device memory pool. `./scripts/bench-browser memory` follows both over a long run.
#[derive(Serialize)]
struct MemorySample {
    wasm_bytes: f64,
    gpu_pool_reserved_bytes: Option<u64>,
    gpu_pool_in_use_bytes: Option<u64>,
}

impl MemorySample {
    fn now(device: &burn::prelude::Device) -> Self {
        // A SharedArrayBuffer in the threaded package, an ArrayBuffer otherwise: both have
        // `byteLength`.
        let wasm_bytes = Reflect::get(&wasm_bindgen::memory(), &"buffer".into())
            .and_then(|b| Reflect::get(&b, &"byteLength".into()))
            .ok()
            .and_then(|n| n.as_f64())
            .unwrap_or(0.0);
        let pool = device.memory_pool_usage();
        MemorySample {
            wasm_bytes,
            gpu_pool_reserved_bytes: pool.as_ref().map(|p| p.bytes_reserved),
            gpu_pool_in_use_bytes: pool.as_ref().map(|p| p.bytes_in_use),
        }
    }
}

impl TrainHost for BrowserHost {
    fn progress(&mut self, event: &Progress) {
        if let Ok(v) = to_js(event) {
            if matches!(event, Progress::Step { .. })
                && let Ok(memory) = to_js(&MemorySample::now(&self.device))
            {
                let _ = Reflect::set(&v, &"memory".into(), &memory);
            }
            let _ = self.on_progress.call1(&JsValue::NULL, &v);
        }
    }
    fn cancelled(&self) -> bool {
        self.cancel.0.get()
    }
    fn yield_now(&self) -> Yield {
        next_macrotask()
    }
    fn cache_limit(&self) -> u64 {
        self.cache_limit
    }
}

/// What the worker keeps beside a checkpoint's bytes, to list it after a reload.
#[derive(Serialize)]
struct CheckpointSummary<'a> {
    /// Epochs finished: a resumed run continues with the next.
    epochs_done: usize,
    /// The run's epochs.
    epochs: usize,
    step: usize,
    total_steps: usize,
    best_epoch: Option<usize>,
    /// The data files' names, sizes and SHA-256 (never their text).
    files: &'a [Fingerprint],
}

/// A run's checkpoints in the browser: each goes to a JS callback `(bytes, summary)` (the worker
/// keeps the newest in IndexedDB).
struct JsStore {
    on_checkpoint: js_sys::Function,
}

impl CheckpointStore for JsStore {
    fn save(&mut self, bytes: &[u8], meta: &CheckpointMeta) -> Result<()> {
        let summary = to_js(&CheckpointSummary {
            epochs_done: meta.epochs_done,
            epochs: meta.total_steps / meta.steps_per_epoch.max(1),
            step: meta.step,
            total_steps: meta.total_steps,
            best_epoch: meta.best.as_ref().map(|b| b.epoch),
            files: meta.identity.as_ref().map_or(&[], |i| &i.files),
        })
        .map_err(|e| crate::Error::Io(format!("{e:?}")))?;
        self.on_checkpoint
            .call2(&JsValue::NULL, &js_sys::Uint8Array::from(bytes), &summary)
            .map_err(|e| {
                crate::Error::Io(
                    e.as_string()
                        .unwrap_or_else(|| "the page's checkpoint callback failed".into()),
                )
            })?;
        Ok(())
    }
    fn place(&self) -> String {
        "this browser's storage".into()
    }
}

/// A `train` call's checkpoints: the callback that keeps each, the largest to keep, and the
/// checkpoint to continue from.
pub(super) struct CheckpointArgs {
    on_checkpoint: js_sys::Function,
    resume: Option<Vec<u8>>,
    limit_bytes: u64,
}

impl CheckpointArgs {
    /// From `train`'s arguments: none without a callback (then there is nothing to resume into).
    fn new(
        on_checkpoint: Option<js_sys::Function>,
        resume: Option<Vec<u8>>,
        limit_bytes: Option<f64>,
    ) -> Result<Option<Self>> {
        match on_checkpoint {
            None if resume.is_some() => Err(crate::Error::Invalid(
                "resuming needs the onCheckpoint callback (the resumed run keeps checkpoints too)"
                    .into(),
            )),
            None => Ok(None),
            Some(on_checkpoint) => Ok(Some(CheckpointArgs {
                on_checkpoint,
                resume,
                limit_bytes: limit_bytes
                    .filter(|b| b.is_finite() && *b > 0.0)
                    .map_or(job::DEFAULT_CHECKPOINT_LIMIT, |b| b as u64),
            })),
        }
    }
}

/// The files and request of a `train` or `timeSteps` call, as the job reads them.
pub(super) struct Files {
    train: Vec<u8>,
    train_name: String,
    valid: Option<(Vec<u8>, String)>,
}

impl Files {
    pub(super) fn new(
        train: Vec<u8>,
        train_name: String,
        valid: Option<Vec<u8>>,
        valid_name: Option<String>,
    ) -> Self {
        let valid = valid.map(|v| (v, valid_name.unwrap_or_else(|| "validation file".into())));
        Files {
            train,
            train_name,
            valid,
        }
    }

    pub(super) fn prepare_pairs(&self, request: &TrainRequest) -> Result<PreparedPairs> {
        request.prepare_pairs(
            DataFile {
                name: &self.train_name,
                bytes: &self.train,
            },
            self.valid
                .as_ref()
                .map(|(bytes, name)| DataFile { name, bytes }),
        )
    }

    fn prepare(&self, request: &TrainRequest, labels: Option<&LabelSet>) -> Result<PreparedJob> {
        request.prepare(
            DataFile {
                name: &self.train_name,
                bytes: &self.train,
            },
            self.valid
                .as_ref()
                .map(|(bytes, name)| DataFile { name, bytes }),
            labels,
        )
    }
}

/// The page's training request, its options checked and named as JavaScript spells them.
pub(super) fn training_request(value: JsValue) -> Result<TrainRequest> {
    let request: TrainRequest = from_js(value, "training request")?;
    request.validate_named(&crate::case::camel)?;
    Ok(request)
}

/// A model whose training continues: its head, labels, task and whether it reads pairs.
pub(super) struct Previous {
    pub(super) head: Head,
    pub(super) labels: LabelSet,
    pub(super) task: data::Task,
    pub(super) pairs: bool,
}

/// Runs the training job behind a Promise that resolves to a `WebClassifier`; `previous` is the
/// model whose training continues (the data is read with its task; single texts unless it reads
/// pairs).
#[allow(clippy::too_many_arguments)]
pub(super) fn training_promise(
    engine: Rc<Engine>,
    backend: BackendInfo,
    previous: Option<Previous>,
    files: Files,
    request: JsValue,
    on_progress: js_sys::Function,
    cancel: &CancelToken,
    checkpoints: Result<Option<CheckpointArgs>>,
) -> Promise {
    let cancel = cancel.clone();
    let request = training_request(request);
    wasm_bindgen_futures::future_to_promise(async move {
        let mut request = request?;
        let (head, labels) = match previous {
            Some(p) => {
                if request.data.task.is_some_and(|t| t != p.task) {
                    return Err(crate::Error::Invalid(format!(
                        "the model does {}: it cannot continue as another task",
                        job::describe_task(p.task)
                    ))
                    .into());
                }
                request.data.task = Some(p.task);
                if !p.pairs {
                    request
                        .data
                        .text_pair_column
                        .get_or_insert_with(String::new);
                }
                (Some(p.head), Some(p.labels))
            }
            None => (None, None),
        };
        let prepared = files.prepare(&request, labels.as_ref())?;
        let mut host = BrowserHost {
            on_progress,
            cancel,
            cache_limit: backend::cache_limit(&backend, Platform::Browser),
            device: engine.device.clone(),
        };
        let trained = match checkpoints? {
            None => job::run(&engine, head, &prepared, &mut host).await?,
            Some(c) => {
                let mut store = JsStore {
                    on_checkpoint: c.on_checkpoint,
                };
                let checkpoints = Checkpoints {
                    store: &mut store,
                    limit_bytes: c.limit_bytes,
                    resume: c.resume.as_deref().map(|b| (b, "the saved checkpoint")),
                };
                job::run_with_checkpoints(&engine, head, &prepared, &mut host, Some(checkpoints))
                    .await?
            }
        };
        Ok(WebClassifier::new(trained.classifier, backend, Some(trained.record.to_json())).into())
    })
}

/// Takes the faster of two trials (`WebEngine.timeSteps` on WebGPU and on the CPU): returns
/// `{backend, reason, timings}`, the reason naming both figures.
#[wasm_bindgen(js_name = chooseBackend)]
pub fn choose_backend(gpu: JsValue, cpu: JsValue) -> std::result::Result<JsValue, JsValue> {
    let gpu: trial::StepTiming = from_js(gpu, "WebGPU trial")?;
    let cpu: trial::StepTiming = from_js(cpu, "CPU trial")?;
    to_js(&trial::choose(&gpu, &cpu))
}

#[wasm_bindgen]
impl WebEngine {
    /// Fine-tunes a classifier on a dataset file (and an optional validation file).
    /// `request`: a training request in camelCase (`{textColumn?, labelColumn?, format?,
    /// strategy?: "last2", epochs?, batchSize?, …, baseModel?}`, see `job::TrainRequest`);
    /// `onProgress` receives every progress event; `cancel` stops between steps and keeps the
    /// best model. With `onCheckpoint(bytes, summary)` a classify run hands over a checkpoint
    /// after every epoch but the last (at most `checkpointLimitBytes`, 512 MiB by default), and
    /// `resume` (a checkpoint's bytes) continues that run after its last epoch: the same file
    /// and settings or a message saying what differs. Resolves to a `WebClassifier`.
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
        on_checkpoint: Option<js_sys::Function>,
        resume: Option<Vec<u8>>,
        checkpoint_limit_bytes: Option<f64>,
    ) -> Promise {
        training_promise(
            Rc::clone(&self.engine),
            self.backend.clone(),
            None,
            Files::new(train_bytes, train_name, valid_bytes, valid_name),
            request,
            on_progress,
            cancel,
            CheckpointArgs::new(on_checkpoint, resume, checkpoint_limit_bytes),
        )
    }

    /// Times a few warm training steps of the run `train` would start with these arguments, on
    /// this model's backend (`auto` that measures; see `train::trial`). `label` names the backend
    /// in the result; past `budgetSeconds` the trial stops. Resolves to `{backend, label,
    /// stepsPerSec, batchSize, seconds, finished}`; the model is not changed.
    #[wasm_bindgen(js_name = timeSteps)]
    #[allow(clippy::too_many_arguments)]
    pub fn time_steps(
        &self,
        train_bytes: Vec<u8>,
        train_name: String,
        valid_bytes: Option<Vec<u8>>,
        valid_name: Option<String>,
        request: JsValue,
        label: String,
        budget_seconds: Option<f64>,
    ) -> Promise {
        let engine = Rc::clone(&self.engine);
        let backend = self.backend.backend;
        let files = Files::new(train_bytes, train_name, valid_bytes, valid_name);
        let request = training_request(request);
        wasm_bindgen_futures::future_to_promise(async move {
            let job = files.prepare(&request?, None)?;
            let timing = trial::time_steps(
                &engine,
                &job.train,
                &job.config,
                backend,
                &label,
                budget_seconds,
            )
            .await?;
            to_js(&timing)
        })
    }
}
