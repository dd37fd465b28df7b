// webtune: fine-tune a pretrained transformer in the browser, on the user's GPU (WebGPU) or CPU
// (WebAssembly), without the data leaving the page. This ES module is the whole public API: it
// hides the Web Worker (worker.js) that owns the wasm packages (pkg/, pkg-threads/) and the
// device, and speaks typed options, progress events and errors.
//
//   const tuner = await Webtune.create({ model: { base: "models/all-MiniLM-L6-v2/" } });
//   const model = await tuner.train(file, { strategy: "last2" }, { onProgress, signal });
//   const [p] = await model.predict(["I want my money back"]);
//
// Types: the JSDoc below (scripts/package-js turns it into webtune.d.ts).
import { DEFAULT_MODEL, FILES, loadModelFiles } from "./model-loader.js";
import { listCheckpoints, deleteCheckpoint } from "./checkpoints.js";

/** Training checkpoints kept in this browser (`checkpoint` in `train`'s call options): list them
 * (what each is: the run's options, epochs done, the data files' names, sizes and SHA-256) and
 * delete them. A finished run's checkpoint is deleted by the run itself.
 * @typedef {import("./checkpoints.js").CheckpointInfo} CheckpointInfo */
export { listCheckpoints, deleteCheckpoint };

/** The default base model (all-MiniLM-L6-v2, beside the page), and the files a model folder needs. */
export { DEFAULT_MODEL, FILES as MODEL_FILES };

/**
 * What failed, as a stable word to branch on:
 * - `dataset`: a dataset file cannot be used (the message names the file and line);
 * - `model`: config.json, tokenizer.json or model.safetensors is unusable;
 * - `network`: a model file could not be downloaded, or is corrupt;
 * - `backend`: no usable device, or the device failed (lost, out of memory);
 * - `invalid`: an unusable option or argument;
 * - `cancelled`: the signal was aborted before training started, or before its first epoch ended (nothing was trained);
 * - `worker`: the worker stopped (a crash, out of memory): create a new Webtune;
 * - `io`, `internal`: anything else.
 * @typedef {"dataset" | "model" | "network" | "backend" | "invalid" | "cancelled" | "worker" | "io" | "internal"} ErrorKind
 */

/** Every rejection from this library is a WebtuneError: a message for people and a `kind`. */
export class WebtuneError extends Error {
  /**
   * @param {string} message
   * @param {ErrorKind} kind
   */
  constructor(message, kind) {
    super(message);
    this.name = "WebtuneError";
    /** @type {ErrorKind} */
    this.kind = kind;
    /** @type {BackendInfo | undefined} where the engine runs now, when the failure moved it (a
     * lost WebGPU device: the CPU) */
    this.backend = undefined;
  }
}

/** @typedef {"auto" | "cpu" | "webgpu"} BackendChoice */

/**
 * The GPU adapter, as the browser and burn describe it.
 * @typedef {object} AdapterSummary
 * @property {string} name
 * @property {string} vendor
 * @property {string} architecture
 * @property {string} deviceType  e.g. "discrete_gpu", "integrated_gpu", "cpu", "other"
 * @property {string} api
 * @property {boolean} isFallback  a software adapter (SwiftShader)
 * @property {number} maxBufferSize
 */

/**
 * The backend a model runs on, and why.
 * @typedef {object} BackendInfo
 * @property {"cpu" | "wgpu"} backend
 * @property {AdapterSummary | null} [adapter]
 * @property {string} reason
 * @property {boolean} trial  whether `auto` measures WebGPU against the CPU on the first training
 * @property {number} [threads]  the CPU backend's threads
 * @property {string} [threadsNote]  why the thread count is not what was asked
 * @property {boolean} [deviceLost]  the WebGPU device was lost and the CPU took over (`reason` says why)
 */

/**
 * One problem of a dataset file.
 * @typedef {object} Problem
 * @property {number | null} [line]
 * @property {string} message
 */

/**
 * How the engine's parser read a labelled dataset file.
 * @typedef {object} LabelledSummary
 * @property {"labelled"} kind
 * @property {string} fileName
 * @property {string} format  "csv", "tsv", "jsonl" or "txt"
 * @property {boolean} hasHeader
 * @property {string[]} columns
 * @property {string} textColumn
 * @property {string} labelColumn  several, comma-separated, for multi-label data in 0/1 columns
 * @property {string | null} pairColumn  the second text's column, when the examples are sentence pairs
 * @property {Task} task  as chosen, or detected from the label column
 * @property {number} rows
 * @property {string[][]} preview
 * @property {Array<[string, number]>} classCounts  examples a class, or a label (multi-label); empty for regression
 * @property {[number, number] | null} scoreRange  regression: the smallest and largest target
 * @property {number} unlabelled  multi-label: examples with no label
 * @property {number} identicalPairs  sentence pairs: examples whose two texts are the same text
 * @property {{suggested: boolean, medianClass: number, reason: string} | null} fewshotHint  single-label
 *   files of single texts: whether few-shot mode is suggested (the median class has at most 64 examples), and why
 * @property {Problem[]} problems  empty when the file can be trained on
 * @property {number} moreProblems
 */

/** @typedef {LabelledSummary | PairSummary} DatasetSummary */

/**
 * What a classifier predicts: one class a text, any number of labels a text (a sigmoid each,
 * decided at thresholds chosen on validation), or a number.
 * @typedef {"single" | "multi" | "regression"} Task
 */

/**
 * How the engine's parser read a pair file (its header names two texts: anchor/positive,
 * sentence1/sentence2, ...; or the options name them: `firstColumn`, `secondColumn`): for
 * `mode: "embedding"`.
 * @typedef {object} PairSummary
 * @property {"pairs" | "scored"} kind  pairs that belong together, or pairs with a similarity score
 * @property {string} fileName
 * @property {string[]} columns  the header's columns
 * @property {string | null} firstColumn  the column read as the first text
 * @property {string | null} secondColumn  the column read as the second text
 * @property {string | null} negativeColumn  the hard negatives' column, if any
 * @property {string | null} scoreColumn  the scores' column, if any
 * @property {number} rows
 * @property {boolean} negatives  whether rows carry a hard negative
 * @property {number} identical  rows whose two texts are the same text (a file of nothing else is refused)
 * @property {[number, number] | null} scoreRange  the scores' range (scored pairs)
 * @property {string[][]} preview  the first rows: first text, second text[, negative][, score]
 * @property {Problem[]} problems  empty when the file can be trained on
 * @property {number} moreProblems
 */

/**
 * How to read a dataset file (detected when absent).
 * @typedef {object} DataOptions
 * @property {"csv" | "tsv" | "jsonl" | "txt"} [format]
 * @property {string} [textColumn]  header name or 1-based number
 * @property {string} [labelColumn]  header name or 1-based number; multi-label data in one 0/1 column a label: their names, comma-separated
 * @property {string} [textPairColumn]  the second text of sentence pairs, one input `[CLS] text [SEP] pair [SEP]` ("": none; detected from names such as sentence2, question2, hypothesis)
 * @property {Task} [task]  detected from the label column when absent
 * @property {string} [firstColumn]  pair files: the first text's column
 * @property {string} [secondColumn]  pair files: the second text's column
 * @property {string} [negativeColumn]  pair files: the hard negative's column ("": none)
 * @property {string} [scoreColumn]  pair files: the score's column ("": none)
 */

/**
 * Training settings; every one is optional (the engine derives what is absent from the data and
 * says how in the `started` event's plan).
 * @typedef {object} TrainSettings
 * @property {"classify" | "fewshot" | "embedding"} [mode]  classify (default): cross-entropy on labelled texts;
 *   fewshot: SetFit's recipe for a few examples a class (the encoder tuned on pairs of them, then a logistic
 *   regression on its embeddings); embedding: a sentence-embedding model tuned on a pair file
 * @property {number} [pairIterations]  fewshot: rounds of one same-class and one different-class pair per example (20)
 * @property {"auto" | "mnrl" | "mnrl-symmetric" | "cosent" | "cosine"} [pairLoss]  embedding: the loss (auto: mnrl for pairs, cosent for scores)
 * @property {boolean} [normalize]  embedding: the model gives unit vectors (sentence-transformers' Normalize; default true)
 * @property {[number, number] | null} [scoreRange]  embedding: the scores' declared range (default [0, 1] or [0, 5])
 * @property {string} [strategy]  "auto", "logreg", "head", "lastK" (e.g. "last2"), "full" or "lora[R][-lastK][-ffn]";
 *   auto: single texts get logreg below 32 examples a class, last4 below 1,000 examples, else full; sentence pairs,
 *   multi-label and regression data full (pairs: logreg below 32 a class)
 * @property {number | null} [epochs]
 * @property {number} [batchSize]
 * @property {number | null} [lrHead]
 * @property {number | null} [lrEncoder]  default 5e-5 (lastK), 2e-5 (full; 5e-5 when auto fine-tunes every layer
 *   of pairs, multi-label or regression data under 1,000 examples), 5e-4 (LoRA)
 * @property {number} [weightDecay]
 * @property {"auto" | "linear" | "constant"} [schedule]  auto: constant for `full` fine-tuning of sentence pairs,
 *   multi-label and regression data, else linear (warm-up, then a decay)
 * @property {number} [warmupFraction]
 * @property {number | null} [maxGradNorm]
 * @property {number} [seed]
 * @property {number} [validFraction]  held out when no validation file is given
 * @property {number | null} [patience]  0: never stop early
 * @property {"auto" | "none" | "balanced"} [classWeighting]
 * @property {number} [maxLen]
 * @property {boolean} [cache]
 * @property {number | null} [cacheLimitBytes]
 * @property {boolean} [dropout]
 * @property {"auto" | "fitted" | "random"} [headInit]
 * @property {boolean} [search]  try a few configurations and keep the best
 * @property {"mse" | "huber"} [regressionLoss]  regression: the loss (default mse)
 * @property {boolean} [standardizeTargets]  regression: train on standardised targets (default true; the model predicts the original scale)
 * @property {number | null} [threshold]  multi-label: a fixed decision threshold (default: chosen on validation after every epoch)
 * @property {boolean} [thresholdPerLabel]  multi-label: choose each label's own threshold on validation
 */

/** @typedef {DataOptions & TrainSettings} TrainOptions */

/**
 * Validation metrics.
 * @typedef {object} Metrics
 * @property {number | null} [loss]
 * @property {number} accuracy
 * @property {number} macroF1
 * @property {Array<{label: string, precision: number, recall: number, f1: number, support: number}>} perClass
 * @property {number[][]} confusionMatrix  rows: true class; columns: predicted (single-label only)
 * @property {Task} task
 * @property {{microPrecision: number, microRecall: number, microF1: number, subsetAccuracy: number, hammingLoss: number, thresholds: number[]}} [multiLabel]
 *   multi-label: at the thresholds chosen (`accuracy` is then the subset accuracy, `perClass` per label)
 * @property {{rmse: number, mae: number, pearson: number, spearman: number}} [regression]  regression (`accuracy` and `macroF1` are null)
 */

/**
 * An embedding model's scores on validation pairs: Spearman (and Pearson) of the cosine
 * similarity for scored pairs; for pairs, each first text's partner searched among all the
 * second texts (recall@1, recall@10, MRR@10).
 * @typedef {object} SimilarityMetrics
 * @property {number} pairs
 * @property {number} [spearman]
 * @property {number} [pearson]
 * @property {number} [recallAt1]
 * @property {number} [recallAt10]
 * @property {number} [mrrAt10]
 * @property {number} [corpus]
 */

/**
 * One epoch's report.
 * @typedef {object} EpochReport
 * @property {number} epoch
 * @property {number | null} trainLoss
 * @property {Metrics | null} valid
 * @property {SimilarityMetrics} [similarity]  an embedding run's validation scores
 * @property {number} seconds
 * @property {number} trainSeconds
 * @property {number} examplesPerSec
 * @property {boolean} best
 */

/**
 * How a model was made (its `webtune.json` record).
 * @typedef {object} TrainingRecord
 * @property {string} strategy
 * @property {TrainSettings & {notes?: string[]}} config
 * @property {{summary: string[]} & Record<string, unknown>} plan
 * @property {string | null} baseModel
 * @property {string} data
 * @property {{textColumn: string, textPairColumn: string | null, labelColumn: string}} [columns]  the columns the
 *   training file was read by (a classifier's record); the CLI's `eval` reads a file with that header by them
 * @property {string | null} validData
 * @property {number} trainExamples
 * @property {number} validExamples
 * @property {number | null} bestEpoch
 * @property {Metrics | null} validMetrics
 * @property {EpochReport[]} epochs
 * @property {boolean} cancelled
 * @property {boolean} stoppedEarly
 * @property {{dispatchesPerStep: number, operationsPerStep?: number | null, poolReservedPeakBytes?: number | null} & Record<string, unknown> | null} stepCost
 * @property {Trial[]} [search]
 * @property {"embedding"} [mode]  an embedding model's record has these instead of labels and metrics:
 * @property {string} [loss]
 * @property {number} [trainPairs]
 * @property {number} [validPairs]
 * @property {SimilarityMetrics | null} [before]  the validation pairs scored by the base model
 * @property {SimilarityMetrics | null} [after]  ...and by the model kept
 */

/**
 * One configuration the search tried.
 * @typedef {object} Trial
 * @property {string} settings
 * @property {number} validAccuracy
 * @property {number} validMacroF1
 * @property {number | null} bestEpoch
 * @property {number} seconds
 * @property {boolean} chosen
 */

/**
 * Progress, in order: (`backendTrialStarted`, `backendTrial`, `backend`)? `started`, `caching`*,
 * (`step`+ `epoch`)+, `finished` (a search repeats `started` … `trial` per configuration).
 * `download` comes from `create`/`loadModel`.
 * @typedef {{type: "download", file: string, received: number, total: number, fromCache: boolean}
 *   | {type: "backendTrialStarted"}
 *   | {type: "backendTrial", key: string, decision: BackendDecision}
 *   | {type: "backend", info: BackendInfo}
 *   | {type: "started", strategy: string, trainExamples: number, validExamples: number, stepsPerEpoch: number,
 *      totalSteps: number, trainableParams: number, totalParams: number, labels: string[], classWeights: number[] | null,
 *      cache: {enabled: boolean, what: string, bytes: number, limitBytes: number, reason: string | null},
 *      plan: {summary: string[]} & Record<string, unknown>}
 *   | {type: "caching", done: number, total: number}
 *   | {type: "step", step: number, totalSteps: number, epoch: number, loss: number, examplesPerSec: number, etaSeconds: number,
 *      memory: {wasmBytes: number, gpuPoolReservedBytes: number | null, gpuPoolInUseBytes: number | null}}
 *   | ({type: "epoch"} & EpochReport)
 *   | ({type: "baseline"} & SimilarityMetrics)
 *   | {type: "estimate", folds: number, of: string, metrics: Metrics}
 *   | {type: "trial", index: number, total: number, trial: Trial}
 *   | {type: "checkpoint", epoch: number, bytes: number, skipped: string | null}
 *   | {type: "resumed", epoch: number, step: number, epochs: EpochReport[], stepLosses: number[]}
 *   | {type: "resumeMissing", key: string}
 *   | {type: "finished", cancelled: boolean, stoppedEarly: boolean, bestEpoch: number | null, epochsRun: number, seconds: number}
 * } ProgressEvent
 */

/**
 * `auto`'s measured choice between WebGPU and the CPU.
 * @typedef {{backend: "cpu" | "wgpu", reason: string} & Record<string, unknown>} BackendDecision
 */

/**
 * One search result.
 * @typedef {object} SearchHit
 * @property {number} index  the text's position in the corpus
 * @property {string} text
 * @property {number} score  cosine similarity to the query
 */

/**
 * One prediction.
 * @typedef {object} Prediction
 * @property {string} label  the class; multi-label: the labels predicted joined by ";"; regression: the number as text
 * @property {number} index  the class's index (single-label)
 * @property {string[]} [labels]  multi-label: the labels predicted
 * @property {number} [score]  regression: the predicted number
 * @property {number[]} probabilities  in the order of `model.labels` (softmax; multi-label: each label's sigmoid; regression: empty)
 * @property {number[]} logits  the head's outputs
 */

/**
 * A model to fine-tune: files at a base URL (fetched once, then from Cache Storage), or bytes.
 * @typedef {{base: string | URL, name?: string, sha256?: Record<string, string>}
 *   | {files: {config: Uint8Array, tokenizer: Uint8Array, weights: Uint8Array}, name?: string}} ModelSource
 */

/**
 * @typedef {object} CreateOptions
 * @property {ModelSource | null} [model]  the base model (default: all-MiniLM-L6-v2 beside the page); null: none yet
 * @property {BackendChoice} [backend]  default "auto": WebGPU on a hardware adapter, else the CPU
 * @property {number | string} [threads]  CPU threads (needs a cross-origin isolated page); default: the cores, up to 8. A string is read as a page's `?threads=` value: a bad one falls back to the default and `backend.threadsNote` says why
 * @property {boolean} [alwaysTrial]  measure WebGPU against the CPU even on a software adapter
 * @property {(event: ProgressEvent) => void} [onProgress]  the model download's progress
 * @property {(error: WebtuneError, restart: {restarted: Promise<BackendInfo | null>}) => void} [onCrash]  the worker
 *   stopped (a trap, out of memory, or silent for `heartbeatSeconds` while a call was pending): calls in flight and the
 *   models it held reject with kind `worker`; a new worker starts at once and `restarted` resolves when it has the base
 *   model again (null when the model was given as bytes: load it again), or rejects with why it could not
 * @property {number} [heartbeatSeconds]  how long a worker may stay silent during a call before it is declared hung
 *   (default 300: a first WebGPU step on a slow adapter takes minutes)
 * @property {boolean} [testHooks]  tests only: lets `testHook` crash or hang the worker, or lose the WebGPU device
 */

/**
 * @typedef {object} TrainCallOptions
 * @property {DatasetInput} [validation]  a validation file (else part of the training file is held out)
 * @property {(event: ProgressEvent) => void} [onProgress]
 * @property {AbortSignal} [signal]  aborting stops training after the current step and resolves with the best model so far
 * @property {Model} [continueFrom]  continue training this model (same labels) instead of a new one
 * @property {Record<string, BackendDecision>} [backendTrials]  `auto`'s earlier measurements by adapter (from `backendTrial` events), to skip measuring again
 * @property {string} [checkpoint]  keep this run's newest checkpoint in IndexedDB under this key, after every epoch but
 *   the last (`checkpoint` events; deleted when the run finishes, kept when it is stopped or the tab closes).
 *   Classify runs without `search`; the limit is 512 MiB or the storage left
 * @property {boolean} [resume]  continue the run kept under `checkpoint` after its last epoch (`resumed` event), with the
 *   same file and options: it ends with the weights the run would have had uninterrupted. Another file or other options
 *   reject (kind `invalid`) saying what differs; with nothing kept the run starts from the beginning (`resumeMissing`)
 */

/** @typedef {File | Blob | {name: string, bytes: Uint8Array}} DatasetInput */

/** @typedef {{resolve: (value: any) => void, reject: (error: WebtuneError) => void}} Pending */

/** Promise-based calls into the worker; progress goes to one listener at a time. While a call
 * is pending, a worker silent for `silenceMs` (no reply, progress or heartbeat: hung, or killed
 * without an error event) is declared dead. */
class Connection {
  /**
   * @param {URL} url
   * @param {number} silenceMs
   */
  constructor(url, silenceMs) {
    this.worker = new Worker(url, { type: "module" });
    this.lastHeard = Date.now();
    this.silenceMs = silenceMs;
    this.watchdog = setInterval(() => {
      if (this.pending.size === 0 || Date.now() - this.lastHeard < this.silenceMs) return;
      this.kill(new WebtuneError(`the engine's worker stopped answering (nothing for ${Math.round(this.silenceMs / 1000)} s: hung, or out of memory)`, "worker"), true);
    }, Math.min(1000, silenceMs / 4));
    /** @type {Map<number, Pending>} */
    this.pending = new Map();
    this.nextId = 1;
    /** @type {(event: ProgressEvent) => void} */
    this.onProgress = () => {};
    /** @type {(error: WebtuneError) => void} */
    this.onCrash = () => {};
    /** @type {WebtuneError | null} */
    this.dead = null;
    this.worker.onmessage = (e) => {
      const msg = e.data;
      this.lastHeard = Date.now();
      if (msg.type === "heartbeat") return;
      if (msg.type === "progress") return this.onProgress(msg.event);
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) return p.resolve(msg.result);
      const err = new WebtuneError(msg.message, msg.kind || "internal");
      if (msg.backend) err.backend = msg.backend;
      p.reject(err);
      if (msg.fatal) this.kill(err, true);
    };
    this.worker.onerror = (e) => {
      e.preventDefault();
      this.kill(new WebtuneError(`the engine's worker stopped: ${e.message || "unknown error"}`, "worker"), true);
    };
  }

  /**
   * Marks the worker unusable: every pending and later call rejects with `err`.
   * @param {WebtuneError} err
   * @param {boolean} crashed  tell `onCrash`
   */
  kill(err, crashed) {
    if (this.dead) return;
    this.dead = err;
    clearInterval(this.watchdog);
    this.worker.terminate();
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    if (crashed) this.onCrash(err);
  }

  /**
   * @param {string} type
   * @param {Record<string, unknown>} [args]
   * @param {Transferable[]} [transfer]
   * @returns {Promise<any>}
   */
  call(type, args = {}, transfer = []) {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    if (this.pending.size === 0) this.lastHeard = Date.now(); // silence counts from the call
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.worker.postMessage({ id, type, ...args }, transfer);
      } catch (e) {
        // A value that cannot be cloned (a function in the options), a detached buffer.
        this.pending.delete(id);
        reject(new WebtuneError(`could not hand "${type}" to the engine: ${e instanceof Error ? e.message : e}`, "invalid"));
      }
    });
  }
}

/** The largest dataset file the engine reads (its `MAX_FILE_BYTES`). A bigger File or Blob is
 * refused by its size before a byte of it is read: reading gigabytes can crash the tab. */
export const MAX_DATASET_BYTES = 32 * 1024 * 1024;

/** The largest model zip the engine opens (what its archive reader unpacks at most). */
export const MAX_ZIP_BYTES = 2 * 1024 * 1024 * 1024;

/**
 * Refuses a file over `limit` with its size and the limit (the engine's wording for datasets).
 * @param {string} name
 * @param {number} size
 * @param {number} limit
 * @param {ErrorKind} kind
 * @param {string} advice
 */
function refuseLarge(name, size, limit, kind, advice) {
  if (size <= limit) return;
  throw new WebtuneError(`${name}: the file is ${(size / 1e6).toFixed(1)} MB; the limit is ${limit / (1024 * 1024)} MB (${advice})`, kind);
}

/**
 * @param {DatasetInput} input
 * @returns {Promise<{name: string, bytes: Uint8Array}>}
 */
async function readInput(input) {
  if (input instanceof Blob) {
    const name = input instanceof File ? input.name : "dataset";
    refuseLarge(name, input.size, MAX_DATASET_BYTES, "dataset", "train on a sample, or split it");
    return { name, bytes: new Uint8Array(await input.arrayBuffer()) };
  }
  if (input && typeof input.name === "string" && input.bytes instanceof Uint8Array) {
    return { name: input.name, bytes: input.bytes.slice() };
  }
  throw new WebtuneError("a dataset must be a File, a Blob or {name, bytes: Uint8Array}", "invalid");
}

/** A fine-tuning engine: one worker, one base model, any number of fine-tuned models. */
export class Webtune {
  /**
   * Starts the worker and loads the base model (`options.model`).
   * @param {CreateOptions} [options]
   * @returns {Promise<Webtune>}
   */
  static async create(options = {}) {
    const url = new URL("./worker.js", import.meta.url);
    if (options.threads !== undefined) url.searchParams.set("threads", String(options.threads));
    if (options.alwaysTrial) url.searchParams.set("trial", "always");
    if (options.testHooks) url.searchParams.set("testHooks", "1");
    const silenceMs = 1000 * (options.heartbeatSeconds || 300);
    const tuner = new Webtune(new Connection(url, silenceMs), options.backend || "auto");
    tuner.restartWith = { url, silenceMs, onCrash: options.onCrash || (() => {}) };
    tuner.watch();
    const model = options.model === undefined ? DEFAULT_MODEL : options.model;
    try {
      if (model) await tuner.loadModel(model, { onProgress: options.onProgress });
    } catch (e) {
      tuner.terminate();
      throw e;
    }
    return tuner;
  }

  /**
   * Opens an exported model zip (from `model.exportZip()` or `webtune train`) in a new engine.
   * @param {Uint8Array | Blob} zip
   * @param {Omit<CreateOptions, "model">} [options]
   * @returns {Promise<Model>}
   */
  static async importZip(zip, options = {}) {
    const tuner = await Webtune.create({ ...options, model: null });
    try {
      const model = await tuner.importZip(zip);
      model.ownsEngine = true; // its own engine: `dispose` stops it
      return model;
    } catch (e) {
      tuner.terminate();
      throw e;
    }
  }

  /**
   * @param {Connection} connection
   * @param {BackendChoice} backend
   */
  constructor(connection, backend) {
    /** The worker (internal: the engine's models share it). */
    this.connection = connection;
    /** @type {BackendChoice} the choice asked for */
    this.choice = backend;
    /** @type {BackendInfo | null} the backend in use, once a model is loaded */
    this.backend = null;
    /** @type {string} the base model's name */
    this.modelName = "";
    /** @type {boolean} whether the base model came from Cache Storage (no download) */
    this.fromCache = false;
    /** @private @type {boolean} */
    this.training = false;
    /** @type {Set<Model>} this engine's models that are not disposed */
    this.models = new Set();
    /** @private @type {{url: URL, silenceMs: number, onCrash: NonNullable<CreateOptions["onCrash"]>} | null} */
    this.restartWith = null;
    /** @private @type {ModelSource | null} the base model's source, to load it again after a crash */
    this.source = null;
  }

  /** @private Restarts the worker when it dies. */
  watch() {
    this.connection.onCrash = (err) => {
      if (!this.restartWith) return;
      const { url, silenceMs, onCrash } = this.restartWith;
      // The dead worker's models stay tied to it: their calls reject with `err`.
      for (const m of this.models) this.models.delete(m);
      this.training = false;
      this.connection = new Connection(url, silenceMs);
      this.watch();
      const source = this.source;
      const restarted = source && !("files" in source) ? this.loadModel(source) : Promise.resolve(null);
      restarted.catch(() => {}); // the caller's to observe
      onCrash(err, { restarted });
    };
  }

  /**
   * Tests only (`create({testHooks: true})`): `"crash"` traps the worker's wasm module, `"hang"`
   * blocks the worker for good, `"loseGpu"` destroys the WebGPU device.
   * @param {"crash" | "hang" | "loseGpu"} name
   * @returns {Promise<unknown>}
   */
  testHook(name) {
    return this.connection.call("testHook", { name });
  }

  /**
   * Loads (or replaces) the base model. With `{files}`, arrays that each cover their whole
   * buffer are handed to the worker without a copy (they are empty afterwards); others are copied.
   * @param {ModelSource} source
   * @param {{onProgress?: (event: ProgressEvent) => void}} [options]
   * @returns {Promise<BackendInfo>}
   */
  async loadModel(source, options = {}) {
    const onProgress = options.onProgress || (() => {});
    /** @type {{config: Uint8Array, tokenizer: Uint8Array, weights: Uint8Array}} */
    let files;
    let name;
    if ("files" in source) {
      files = source.files;
      name = source.name || "local files";
      this.fromCache = false;
    } else {
      let loaded;
      try {
        loaded = await loadModelFiles(String(source.base), {
          sha256: source.sha256 || {},
          onProgress: (p) => onProgress({ type: "download", ...p }),
        });
      } catch (e) {
        throw new WebtuneError(e instanceof Error ? e.message : String(e), "network");
      }
      const [config, tokenizer, weights] = FILES.map((f) => loaded.files[f]);
      files = { config, tokenizer, weights };
      name = source.name || String(source.base);
      this.fromCache = loaded.fromCache;
    }
    const whole = (/** @type {Uint8Array} */ u) => (u.byteOffset === 0 && u.byteLength === u.buffer.byteLength ? u : u.slice());
    const [config, tokenizer, weights] = [whole(files.config), whole(files.tokenizer), whole(files.weights)];
    const buffers = [...new Set([config.buffer, tokenizer.buffer, weights.buffer])];
    const res = await this.connection.call("loadModel", { config, tokenizer, weights, backend: this.choice, name },
      /** @type {ArrayBuffer[]} */ (buffers));
    this.backend = res.backend;
    this.modelName = name;
    this.source = source;
    return res.backend;
  }

  /**
   * Moves the base model and every fine-tuned model to another backend.
   * @param {BackendChoice} choice
   * @returns {Promise<BackendInfo>}
   */
  async switchBackend(choice) {
    const res = await this.connection.call("switchBackend", { backend: choice });
    this.choice = choice;
    this.backend = res.backend;
    for (const m of this.models) m.backend = res.backend; // every model moved with it
    return res.backend;
  }

  /**
   * Reads a dataset file as training would: format, columns, preview, classes, and every problem
   * with its line. Rejects only when the file cannot be read at all (`dataset`).
   * @param {DatasetInput} file
   * @param {DataOptions} [options]
   * @returns {Promise<DatasetSummary>}
   */
  async inspect(file, options = {}) {
    const { name, bytes } = await readInput(file);
    return this.connection.call("inspect", { bytes, name, options }, [bytes.buffer]);
  }

  /**
   * Fine-tunes a classifier on a labelled file (`mode` "classify" or "fewshot"), or a
   * sentence-embedding model on a pair file (`mode: "embedding"`). Resolves to the best model (by
   * validation macro-F1; for embeddings Spearman or MRR@10); when `signal` aborts, training stops after the current step and the best model so
   * far comes back (`model.training.cancelled` is true) — or, when no epoch had ended yet, the
   * call rejects with kind `cancelled`.
   * @param {DatasetInput} file
   * @param {TrainOptions} [options]
   * @param {TrainCallOptions} [call]
   * @returns {Promise<Model>}
   */
  async train(file, options = {}, call = {}) {
    const { signal, onProgress, validation, continueFrom, backendTrials, checkpoint, resume } = call;
    const cancelled = () => new WebtuneError("training was cancelled before it started", "cancelled");
    if (signal && signal.aborted) throw cancelled();
    if (this.training) throw new WebtuneError("a training is already running on this engine", "invalid");
    if (continueFrom && continueFrom.owner !== this) {
      throw new WebtuneError("continueFrom must be a model of this engine", "invalid");
    }
    this.training = true; // before any await: a second call meanwhile is refused
    const stop = () => { this.connection.call("stop").catch(() => {}); };
    try {
      const train = await readInput(file);
      const valid = validation ? await readInput(validation) : null;
      this.connection.onProgress = (ev) => {
        // A lost WebGPU device moves the engine to the CPU: later calls run there.
        if (ev.type === "backend" && ev.info.deviceLost) { this.backend = ev.info; this.choice = "cpu"; }
        if (onProgress) onProgress(ev);
      };
      signal?.addEventListener("abort", stop);
      if (signal && signal.aborted) throw cancelled(); // aborted while the files were read
      const res = await this.connection.call("train", {
        train: train.bytes, trainName: train.name,
        valid: valid ? valid.bytes : null, validName: valid ? valid.name : null,
        request: options, from: continueFrom ? continueFrom.id : null, backendTrials: backendTrials || {},
        checkpoint: checkpoint || null, resume: !!resume,
      }, valid ? [train.bytes.buffer, valid.bytes.buffer] : [train.bytes.buffer]);
      if (res.backend) this.backend = res.backend;
      return new Model(this, res);
    } finally {
      signal?.removeEventListener("abort", stop);
      this.connection.onProgress = () => {};
      this.training = false;
    }
  }

  /**
   * Opens an exported model zip on this engine's backend.
   * @param {Uint8Array | Blob} zip
   * @returns {Promise<Model>}
   */
  async importZip(zip) {
    if (zip instanceof Blob) refuseLarge(zip instanceof File ? zip.name : "model zip", zip.size, MAX_ZIP_BYTES, "io", "no model webtune can load in a browser tab is that large");
    const bytes = zip instanceof Blob ? new Uint8Array(await zip.arrayBuffer()) : zip.slice();
    const res = await this.connection.call("importModel", { zip: bytes, backend: this.choice }, [bytes.buffer]);
    this.backend ??= res.backend;
    return new Model(this, res);
  }

  /** Stops the worker; this engine and its models are unusable afterwards (calls in flight reject). */
  terminate() {
    this.connection.worker.terminate();
    this.connection.kill(new WebtuneError("this engine was terminated", "invalid"), false);
  }
}

/** A fine-tuned model living in its engine's worker: a classifier (`predict`) or an embedding
 * model (`embed`, `search`). */
export class Model {
  /**
   * @param {Webtune} owner
   * @param {{id: number, kind: "classifier" | "embedding", labels: string[], task: Task | null, pairs: boolean,
   *   thresholds: number[] | null, training: TrainingRecord | null, backend: BackendInfo}} described
   */
  constructor(owner, described) {
    /** The engine this model lives in. */
    this.owner = owner;
    /** @private */
    this.connection = owner.connection;
    owner.models.add(this);
    /** @readonly */
    this.id = described.id;
    /** @type {"classifier" | "embedding"} */
    this.kind = described.kind;
    /** @type {string[]} the classes, in the order of `probabilities` (empty for an embedding model) */
    this.labels = described.labels;
    /** @type {Task | null} a classifier's task (null for an embedding model) */
    this.task = described.task;
    /** @type {boolean} whether the classifier reads pairs of texts (`predictPairs`) */
    this.pairs = described.pairs;
    /** @type {number[] | null} multi-label: the probability above which each label is predicted */
    this.thresholds = described.thresholds;
    /** @type {TrainingRecord | null} how it was trained, when known */
    this.training = described.training;
    /** @type {BackendInfo} */
    this.backend = described.backend;
    /** Whether `Webtune.importZip` started the engine for this model alone (`dispose` stops it). */
    this.ownsEngine = false;
  }

  /**
   * Classifies texts: one prediction per text.
   * @param {string[]} texts
   * @returns {Promise<Prediction[]>}
   */
  predict(texts) {
    if (!Array.isArray(texts)) return Promise.reject(new WebtuneError("predict takes an array of texts", "invalid"));
    return this.connection.call("predict", { model: this.id, texts });
  }

  /**
   * A pair model's predictions: `first[i]` with `second[i]`, one input `[CLS] first [SEP] second [SEP]`.
   * @param {string[]} first
   * @param {string[]} second
   * @returns {Promise<Prediction[]>}
   */
  predictPairs(first, second) {
    if (!Array.isArray(first) || !Array.isArray(second) || first.length !== second.length) {
      return Promise.reject(new WebtuneError("predictPairs takes two arrays of texts of the same length", "invalid"));
    }
    return this.connection.call("predictPairs", { model: this.id, first, second });
  }

  /**
   * Embeddings, as `SentenceTransformer(dir).encode` computes them for the export (an embedding
   * model only): one Float32Array per text.
   * @param {string[]} texts
   * @returns {Promise<Float32Array[]>}
   */
  embed(texts) {
    if (!Array.isArray(texts)) return Promise.reject(new WebtuneError("embed takes an array of texts", "invalid"));
    return this.connection.call("embed", { model: this.id, texts });
  }

  /**
   * Semantic search (an embedding model only): the `k` texts of `corpus` nearest to `query` by
   * cosine similarity, best first. The corpus is embedded once and kept while the same corpus is
   * searched again.
   * @param {string} query
   * @param {string[]} corpus
   * @param {{k?: number}} [options]  default 10
   * @returns {Promise<SearchHit[]>}
   */
  search(query, corpus, options = {}) {
    if (typeof query !== "string" || !Array.isArray(corpus)) {
      return Promise.reject(new WebtuneError("search takes a query string and an array of texts", "invalid"));
    }
    return this.connection.call("search", { model: this.id, query, corpus, k: options.k || 10 });
  }

  /**
   * The model as a zip in the sentence-transformers layout (Python loads it as it is).
   * @param {{loraAdapter?: boolean}} [options]  also the LoRA adapters alone (PEFT layout)
   * @returns {Promise<Uint8Array<ArrayBuffer>>}
   */
  exportZip(options = {}) {
    return this.connection.call("exportModel", { model: this.id, loraAdapter: !!options.loraAdapter });
  }

  /** Frees the model's memory in the worker (and stops the worker `Webtune.importZip` started for it). */
  async dispose() {
    this.owner.models.delete(this);
    if (this.ownsEngine) return this.owner.terminate();
    await this.connection.call("dispose", { model: this.id });
  }
}
