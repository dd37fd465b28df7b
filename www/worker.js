// The Web Worker that owns the wasm module and the GPU device, so the page never freezes. Only
// the `webtune` library (webtune.js) talks to it; its protocol is internal.
// Requests: {id, type, ...}; replies: {id, ok: true, result} or {id, ok: false, message, kind};
// training progress: {type: "progress", event}. It makes no network request of its own except
// loading its modules and wasm: model and dataset bytes come from the page.
//
// Two wasm packages (scripts/build-wasm): pkg/ has WebGPU and the CPU backend on one thread;
// pkg-threads/ has the CPU backend on a pool of Web Workers (wasm threads cannot hold WebGPU). The
// CPU backend runs on pkg-threads/ when the page is cross-origin isolated and more than one
// thread is wanted (`worker.js?threads=N`, from the page's `?threads=`), else on pkg/.
import { chooseThreads } from "./threads.js";

const params = new URL(self.location.href).searchParams;
const plan = chooseThreads(params.get("threads"), self.navigator.hardwareConcurrency, self.crossOriginIsolated === true);
const alwaysTrial = params.get("trial") === "always";

/** @typedef {typeof import("./pkg/webtune.js")} Package */
/** @type {Promise<Package> | null} pkg/ (loaded on first use) */
let singlePkg = null;
/** @type {Promise<Package | null> | null} pkg-threads/ with its pool started, or null when it failed.
 * Typed as pkg/: its declarations are the same but for WebGPU and the thread pool. */
let threadedPkg = null;
let threadsNote = plan.note;

function loadSingle() {
  singlePkg ??= import("./pkg/webtune.js").then(async (m) => { await m.default(); return m; });
  return singlePkg;
}

/** The package the CPU backend runs on: threaded when the plan allows it and it starts. */
async function loadCpu() {
  if (plan.threads <= 1) return loadSingle();
  threadedPkg ??= (async () => {
    try {
      // The same API as pkg/ plus the pool (the declarations differ only in wasm-bindgen's internals).
      const m = /** @type {Package & {initThreadPool: (n: number) => Promise<unknown>}} */ (/** @type {unknown} */ (await import("./pkg-threads/webtune.js")));
      await m.default();
      // Before the first tensor operation: rayon would otherwise build a one-thread pool.
      await m.initThreadPool(plan.threads);
      m.threadPoolStarted();
      return m;
    } catch (err) {
      threadsNote = `the threaded package did not start (${err && err.message ? err.message : err})`;
      return null;
    }
  })();
  return (await threadedPkg) || loadSingle();
}

/**
 * Resolves a backend choice ("auto", "cpu", "webgpu") to a package and a concrete backend.
 * `auto` asks pkg/ (the one with WebGPU, which knows how to judge an adapter); when that says
 * CPU, the CPU backend moves to the threaded package with the reason kept.
 */
async function resolve(choice) {
  let pkg;
  let info;
  if (choice === "webgpu" || (choice === "auto" && "gpu" in self.navigator)) {
    pkg = await loadSingle();
    info = await pkg.initBackend(choice);
    if (choice === "auto" && info.backend === "cpu") {
      const cpu = await loadCpu();
      if (cpu !== pkg) {
        pkg = cpu;
        info = { ...(await pkg.initBackend("cpu")), reason: info.reason, trial: info.trial };
      }
    }
  } else {
    pkg = await loadCpu();
    info = await pkg.initBackend(choice);
  }
  return { pkg, info: withThreads(info, pkg), concrete: info.backend === "wgpu" ? "webgpu" : "cpu" };
}

/** A CPU backend's description gains its thread count, and why when it is not what was asked. */
function withThreads(info, pkg) {
  if (info.backend !== "cpu") return info;
  return { ...info, threads: pkg.threadCount(), ...(threadsNote ? { threadsNote } : {}) };
}

/** The base model on `pkg`'s `backend` ("cpu" or "webgpu"). */
function loadModelOn(pkg, backend) {
  return pkg.WebEngine.load(modelFiles.config, modelFiles.tokenizer, modelFiles.weights, backend);
}

/** @type {{pkg: Package, info: any, concrete: string, choice: string} | null} the package and backend everything runs on */
let current = null;
/** @type {import("./pkg/webtune.js").WebEngine | null} the base model */
let engine = null;
/** @type {Map<number, import("./pkg/webtune.js").WebClassifier>} the fine-tuned models (trained or imported) */
const models = new Map();
let nextModel = 1;
let modelFiles = null;   // kept to reload the base model on another backend
let modelName = "";
/** @type {import("./pkg/webtune.js").CancelToken | null} the running training's */
let cancel = null;

/** An error the library hands on with its kind (the wasm's own errors carry theirs). */
function failure(message, kind) {
  return Object.assign(new Error(message), { kind });
}

function model(id) {
  const m = models.get(id);
  if (!m) throw failure(`no model ${id} in this worker (disposed, or from another one)`, "invalid");
  return m;
}

/** Keeps a classifier and describes it for the library's Model. */
function keep(classifier) {
  const id = nextModel++;
  models.set(id, classifier);
  return { id, labels: classifier.labels, training: classifier.training, backend: { ...classifier.backend, ...current.info } };
}

/** Switches `current` to `choice` (the engine and the models move with `loadEngine`/import). */
async function use(choice) {
  current = { ...(await resolve(choice)), choice };
  return current;
}

/** What a backend trial is remembered by: the adapter, as the browser describes it. */
function adapterKey(info) {
  const a = info.adapter || {};
  return [a.vendor, a.architecture, a.name].filter(Boolean).join(" | ") || "unnamed adapter";
}

/**
 * `auto` that measures: on a hardware WebGPU adapter, before the first training, a few warm
 * steps of this very run on the CPU package, then on WebGPU within twice the CPU's time; the
 * faster trains. Remembered per adapter (`memory`, the page keeps it in localStorage), so later
 * runs skip it. `worker.js?trial=always` (the page's `?trial=always`) measures on a software
 * adapter too, which `auto` otherwise skips (the end-to-end test uses it on SwiftShader).
 * Resolves to the decision ({backend, reason, timings}), or null when there was no trial.
 */
async function measure(args, memory) {
  // Whether to measure is the backend policy's (`backend::decide`, the `trial` it returns).
  if (!modelFiles) return null;
  if (!current.info.trial && !(alwaysTrial && current.choice === "auto" && "gpu" in self.navigator)) return null;
  const key = adapterKey(current.info.backend === "wgpu" ? current.info : await loadSingle().then((m) => m.initBackend("webgpu")));
  let decision = memory && memory[key];
  // The engine in hand is one of the two; the other is loaded only for a trial or a switch.
  let cpuEngine = current.concrete === "cpu" ? engine : null;
  let gpuEngine = current.concrete === "webgpu" ? engine : null;
  if (decision) {
    decision = { ...decision, reason: `${decision.reason} (measured on an earlier run)` };
  } else {
    cpuEngine ??= await loadModelOn(await loadCpu(), "cpu");
    gpuEngine ??= await loadModelOn(await loadSingle(), "webgpu");
    self.postMessage({ type: "progress", event: { type: "backendTrialStarted" } });
    const trial = (e, label, budget) => e.timeSteps(args.train, args.trainName, args.valid || undefined, args.validName || undefined, args.request, label, budget);
    const n = (await loadCpu()).threadCount();
    const cpuT = await trial(cpuEngine, `CPU ${n} thread${n === 1 ? "" : "s"}`, undefined);
    const gpuT = await trial(gpuEngine, "WebGPU", Math.max(2, 2 * cpuT.seconds));
    decision = (await loadSingle()).chooseBackend(gpuT, cpuT);
    self.postMessage({ type: "progress", event: { type: "backendTrial", key, decision } });
  }
  const concrete = decision.backend === "cpu" ? "cpu" : "webgpu";
  const pkg = concrete === "cpu" ? await loadCpu() : await loadSingle();
  const [keep, drop] = concrete === "cpu" ? [cpuEngine, gpuEngine] : [gpuEngine, cpuEngine];
  const chosen = keep || (await loadModelOn(pkg, concrete));
  if (drop) drop.free();
  engine = chosen;
  const info = withThreads({ ...engine.backend, reason: decision.reason }, pkg);
  current = { pkg, info, concrete, choice: "auto" };
  self.postMessage({ type: "progress", event: { type: "backend", info } });
  return decision;
}

async function loadEngine() {
  const old = engine;
  engine = await loadModelOn(current.pkg, current.concrete);
  if (old) old.free();
  return { ...engine.backend, ...current.info };
}

const reply = (id, result, transfer = []) => self.postMessage({ id, ok: true, result }, transfer);
const fail = (id, err) => self.postMessage({
  id, ok: false, message: String(err && err.message ? err.message : err), kind: (err && err.kind) || "internal",
});

const handlers = {
  async loadModel({ config, tokenizer, weights, backend, name }) {
    modelFiles = { config, tokenizer, weights };
    modelName = name || "";
    await use(backend);
    const info = await loadEngine();
    return { backend: info };
  },
  /** Moves the base model and every fine-tuned one to another backend (each through its zip). */
  async switchBackend({ backend }) {
    const zips = new Map();
    for (const [id, m] of models) zips.set(id, await m.exportZip(false));
    await use(backend);
    const result = { backend: modelFiles ? await loadEngine() : current.info };
    for (const [id, zip] of zips) {
      const moved = await current.pkg.WebClassifier.importZip(zip, current.concrete);
      models.get(id).free();
      models.set(id, moved);
    }
    return result;
  },
  async inspect({ bytes, name, options }) {
    const pkg = current ? current.pkg : await loadSingle();
    return pkg.inspectDataset(bytes, name, options);
  },
  async train({ train, trainName, valid, validName, request, from, backendTrials }) {
    if (!engine) throw failure("no base model is loaded yet", "invalid");
    if (cancel) throw failure("a training is already running in this worker", "invalid");
    const source = from ? model(from) : engine;
    cancel = new current.pkg.CancelToken();
    try {
      if (!from) await measure({ train, trainName, valid, validName, request }, backendTrials);
      const onProgress = (event) => self.postMessage({ type: "progress", event });
      const trained = await source.train(train, trainName, valid || undefined, validName || undefined,
        { ...request, baseModel: modelName }, onProgress, cancel);
      return keep(trained);
    } finally {
      cancel = null;
    }
  },
  async stop() {
    if (cancel) cancel.cancel();
    return {};
  },
  async predict({ model: id, texts }) {
    return model(id).predict(texts);
  },
  async exportModel({ model: id, loraAdapter }) {
    return model(id).exportZip(!!loraAdapter);
  },
  async importModel({ zip, backend }) {
    if (!current) await use(backend);
    return keep(await current.pkg.WebClassifier.importZip(zip, current.concrete));
  },
  async dispose({ model: id }) {
    const m = models.get(id);
    if (m) { models.delete(id); m.free(); }
    return {};
  },
};

self.onmessage = async (e) => {
  const { id, type, ...args } = e.data;
  try {
    const handler = handlers[type];
    if (!handler) throw failure(`unknown request ${type}`, "internal");
    const result = await handler(args);
    const transfer = result instanceof Uint8Array ? [result.buffer] : [];
    reply(id, result, transfer);
  } catch (err) {
    fail(id, err);
  }
};
