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
import { putCheckpoint, getCheckpoint, deleteCheckpoint } from "./checkpoints.js";

const params = new URL(self.location.href).searchParams;
const plan = chooseThreads(params.get("threads"), self.navigator.hardwareConcurrency, self.crossOriginIsolated === true);
const alwaysTrial = params.get("trial") === "always";
// `Webtune.create({testHooks: true})`: the end-to-end test may crash this worker, hang it or lose
// the WebGPU device on purpose (the `testHook` request); refused otherwise.
const testHooks = params.get("testHooks") === "1";

// A sign of life every 2 s for the library's watchdog: it arrives between training steps and
// while the worker waits, and stops when the worker hangs, traps or is killed.
setInterval(() => self.postMessage({ type: "heartbeat" }), 2000);

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

/** Whether the threaded package was still being built when it was last asked for: then each
 * training asks again, and the first after the build moves the CPU engine onto it. */
let threadsBuilding = false;

/**
 * What `./scripts/build-wasm` says of the threaded package while it builds it: the file
 * `pkg-threads.building.json` beside this worker ({started: ms since 1970, coldMinutes} or
 * {failed: why}), or null where there is none (a finished build, or a host that serves a built
 * page). A half-written or stale package is never imported while the file is there.
 * @returns {Promise<{started?: number, coldMinutes?: number, failed?: string} | null>}
 */
async function threadsBuildState() {
  try {
    const r = await fetch(new URL("./pkg-threads.building.json", import.meta.url), { cache: "no-store" });
    return r.ok ? await r.json() : null;
  } catch {
    return null;
  }
}

/** The package the CPU backend runs on: threaded when the plan allows it and it starts. */
async function loadCpu() {
  if (plan.threads <= 1) return loadSingle();
  threadedPkg ??= (async () => {
    const building = await threadsBuildState();
    if (building) {
      threadsBuilding = !building.failed;
      if (building.failed) {
        threadsNote = `the threaded package's build failed (${building.failed}); one thread`;
      } else {
        const minutes = building.started ? Math.max(0, Math.round((Date.now() - building.started) / 60000)) : null;
        const since = minutes == null ? "" : ` (started ${minutes} min ago${building.coldMinutes ? `; about ${building.coldMinutes} min from cold` : ""})`;
        threadsNote = `the threaded package is still building${since}; one thread until then, and the next training picks it up`;
      }
      return null;
    }
    threadsBuilding = false;
    threadsNote = plan.note;
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
  const threaded = await threadedPkg;
  // Still building: ask again next time (nothing was imported).
  if (!threaded && threadsBuilding) threadedPkg = null;
  return threaded || loadSingle();
}

/**
 * Before a training from the base model: a CPU engine left on one thread because the threaded
 * package was still building moves onto that package once it is built (the base model is loaded
 * there again from its files; models trained before stay where they are).
 */
async function adoptThreads() {
  if (!threadsBuilding || !current || current.concrete !== "cpu" || !modelFiles) return;
  const pkg = await loadCpu();
  if (pkg === current.pkg) return;
  const backend = await pkg.initBackend("cpu");
  const loaded = await loadModelOn(pkg, "cpu");
  if (engine) engine.free();
  engine = loaded;
  const info = withThreads({ ...backend, reason: current.info.reason }, pkg);
  current = { ...current, pkg, info };
  self.postMessage({ type: "progress", event: { type: "backend", info } });
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

/** The base model (`files`, by default the loaded one's) on `pkg`'s `backend` ("cpu" or "webgpu"). */
function loadModelOn(pkg, backend, files = modelFiles) {
  return pkg.WebEngine.load(files.config, files.tokenizer, files.weights, backend);
}

/** @typedef {import("./pkg/webtune.js").WebClassifier} WebClassifier */
/** @typedef {import("./pkg/webtune.js").WebEmbedder} WebEmbedder */
/** @type {{pkg: Package, info: any, concrete: string, choice: string} | null} the package and backend the base model runs on */
let current = null;
/** @type {import("./pkg/webtune.js").WebEngine | null} the base model */
let engine = null;
/** @type {Map<number, {classifier: WebClassifier | WebEmbedder, kind: "classifier" | "embedding", pkg: Package, info: any, corpus?: {texts: string[], vectors: Float32Array[]}}>}
 * the fine-tuned models (trained or imported), each with the package it lives in (a token or a
 * call must come from it); an embedding model keeps the corpus it last searched, embedded */
const models = new Map();
let nextModel = 1;
/** @type {{config: Uint8Array, tokenizer: Uint8Array, weights: Uint8Array} | null} kept to load the base model on another backend */
let modelFiles = null;
let modelName = "";
/** @type {{stop: boolean, token: import("./pkg/webtune.js").CancelToken | null} | null} the running training */
let training = null;
/** Whether a request that replaces the base model or moves the models is running. */
let changing = false;

/** An error the library hands on with its kind (the wasm's own errors carry theirs). */
function failure(message, kind) {
  return Object.assign(new Error(message), { kind });
}

/** @type {Map<number, string>} models that were on a lost WebGPU device, with what happened */
const lostModels = new Map();

function model(id) {
  const lost = lostModels.get(id);
  if (lost) throw failure(`this model was on the WebGPU device, which was lost (${lost}): it is gone; export the models you want to keep, or train again`, "backend");
  const m = models.get(id);
  if (!m) throw failure(`no model ${id} in this engine (disposed, or from another one)`, "invalid");
  return m;
}

/** Keeps a classifier or an embedding model and describes it for the library's Model. */
function keep(classifier, pkg, info) {
  const id = nextModel++;
  const kind = "labels" in classifier ? "classifier" : "embedding";
  models.set(id, { classifier, kind, pkg, info });
  const c = kind === "classifier" ? /** @type {WebClassifier} */ (classifier) : null;
  return {
    id, kind, labels: c ? c.labels : [],
    task: c ? c.task : null, pairs: c ? c.pairs : false, thresholds: c ? c.thresholds ?? null : null,
    training: classifier.training, backend: { ...classifier.backend, ...info },
  };
}

/**
 * A run's checkpoints under `key` in IndexedDB (checkpoints.js): the engine hands each over
 * (`onCheckpoint`), it is written in order while training goes on, and its `checkpoint` event is
 * posted once written (or says why it was not). `resume`: the bytes kept under `key`, if any.
 * The limit is the engine's default or the storage left, whichever is smaller.
 */
async function checkpointsFor(key, resume, request, post) {
  const stored = resume ? await getCheckpoint(key) : undefined;
  if (resume && !stored) post({ type: "resumeMissing", key });
  let limitBytes;
  try {
    const { quota, usage } = await self.navigator.storage.estimate();
    if (quota) limitBytes = Math.max(0, quota - (usage || 0) - 64 * 2 ** 20);
  } catch { /* no estimate: the engine's limit */ }
  let written = Promise.resolve();
  return {
    resume: stored,
    limitBytes,
    get written() { return written; },
    onCheckpoint(bytes, summary) {
      const info = { ...summary, key, request, savedAt: new Date().toISOString(), bytes: bytes.byteLength };
      const event = (skipped) => ({ type: "checkpoint", epoch: summary.epochsDone, bytes: bytes.byteLength, skipped });
      written = written.then(() => putCheckpoint(key, bytes, info)).then(
        () => post(event(null)),
        (err) => post(event(`could not keep it in this browser's storage: ${err && err.message ? err.message : err} (training goes on)`)),
      );
    },
    /** The engine's event for a checkpoint it handed over: the write above posts it instead. */
    announce(event) {
      return event.type === "checkpoint" && !event.skipped;
    },
  };
}

/** A classifier of this engine, or a clear refusal. */
function classifierOf(id) {
  const m = model(id);
  if (m.kind !== "classifier") throw failure("this is an embedding model: it embeds and searches, it does not classify", "invalid");
  return /** @type {WebClassifier} */ (m.classifier);
}

/** An embedding model of this engine, or a clear refusal. */
function embedderOf(id) {
  const m = model(id);
  if (m.kind !== "embedding") throw failure("this is a classifier: only embedding models embed and search", "invalid");
  return m;
}

/** A model's zip, whatever its kind. */
function zipOf(m) {
  return m.kind === "classifier" ? /** @type {WebClassifier} */ (m.classifier).exportZip(false) : /** @type {WebEmbedder} */ (m.classifier).exportZip();
}

/** Opens a model zip of either kind on `pkg`'s `backend`. */
function importOn(pkg, zip, backend) {
  return pkg.modelKind(zip) === "embedding" ? pkg.WebEmbedder.importZip(zip, backend) : pkg.WebClassifier.importZip(zip, backend);
}

/** Runs a request that replaces the base model or moves the models: one at a time, never during a
 * training, and the worker's state changes only when it succeeds. */
let queue = Promise.resolve();
function exclusive(fn) {
  const run = queue.then(async () => {
    if (training) throw failure("a training is running: stop it first", "invalid");
    changing = true;
    try { return await fn(); } finally { changing = false; }
  });
  queue = run.catch(() => {});
  return run;
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

const reply = (id, result, transfer = []) => self.postMessage({ id, ok: true, result }, transfer);

/** A wasm trap or an exhausted memory: the module is unusable from here on. */
function isFatal(err) {
  return err instanceof WebAssembly.RuntimeError
    || (err instanceof RangeError && /memory|allocation/i.test(String(err.message)));
}

const fail = (id, err) => {
  const fatal = isFatal(err);
  const message = String(err && err.message ? err.message : err);
  self.postMessage({
    id, ok: false, fatal, kind: fatal ? "worker" : (err && err.kind) || "internal",
    message: fatal ? `the engine crashed (${message})` : message,
    ...(err && err.backend ? { backend: err.backend } : {}),
  });
};

/** Whether an error is the WebGPU device's loss (the engine's wording, `Error::is_device_lost`). */
const isDeviceLost = (err) => /the GPU device was lost/.test(String(err && err.message));

/**
 * After the WebGPU device is lost: every model on it is gone, and the base model moves to the
 * CPU, loaded again from its files. Returns the CPU backend's description.
 */
async function recoverOnCpu(why) {
  for (const [id, m] of models) {
    if (m.info.backend !== "wgpu") continue;
    lostModels.set(id, why);
    models.delete(id);
    try { m.classifier.free(); } catch { /* its memory is the lost device's */ }
  }
  const next = { ...(await resolve("cpu")), choice: "cpu" };
  const loaded = modelFiles ? await loadModelOn(next.pkg, next.concrete) : null;
  try { if (engine) engine.free(); } catch { /* idem */ }
  engine = loaded;
  current = next;
  const info = { ...(engine ? { ...engine.backend, ...current.info } : current.info), reason: `the WebGPU device was lost (${why}): the CPU takes over`, deviceLost: true };
  current.info = info;
  self.postMessage({ type: "progress", event: { type: "backend", info } });
  return info;
}

const handlers = {
  loadModel({ config, tokenizer, weights, backend, name }) {
    return exclusive(async () => {
      const files = { config, tokenizer, weights };
      const next = { ...(await resolve(backend)), choice: backend };
      const loaded = await loadModelOn(next.pkg, next.concrete, files);
      if (engine) engine.free();
      [engine, current, modelFiles, modelName] = [loaded, next, files, name || ""];
      return { backend: { ...engine.backend, ...current.info } };
    });
  },
  /** Moves the base model and every fine-tuned one to another backend (each through its zip). */
  switchBackend({ backend }) {
    return exclusive(async () => {
      const next = { ...(await resolve(backend)), choice: backend };
      const moved = new Map();
      let loaded = null;
      try {
        if (modelFiles) loaded = await loadModelOn(next.pkg, next.concrete);
        for (const [id, m] of models) {
          const zip = await zipOf(m);
          moved.set(id, { classifier: await importOn(next.pkg, zip, next.concrete), kind: m.kind, pkg: next.pkg, info: next.info });
        }
      } catch (err) {
        if (loaded) loaded.free();
        for (const m of moved.values()) m.classifier.free();
        throw err;
      }
      for (const [id, m] of moved) {
        const old = models.get(id);
        if (old) { old.classifier.free(); models.set(id, m); } else m.classifier.free();
      }
      if (loaded) { if (engine) engine.free(); engine = loaded; }
      current = next;
      return { backend: engine ? { ...engine.backend, ...current.info } : current.info };
    });
  },
  async inspect({ bytes, name, options }) {
    const pkg = current ? current.pkg : await loadSingle();
    return pkg.inspectDataset(bytes, name, options);
  },
  async train({ train, trainName, valid, validName, request, from, backendTrials, checkpoint, resume }) {
    if (training) throw failure("a training is already running in this engine", "invalid");
    if (changing) throw failure("the engine is loading a model or switching backend: train when it is done", "invalid");
    const previous = from ? model(from) : null;
    if (previous && previous.kind !== "classifier") throw failure("only a classifier's training can be continued", "invalid");
    if (!previous && !engine) throw failure("no base model is loaded yet", "invalid");
    training = { stop: false, token: null };
    try {
      // The threaded package, if it was still building, and `auto`'s trial may move the base
      // model to another package (and backend) first.
      if (!previous) {
        await adoptThreads();
        await measure({ train, trainName, valid, validName, request }, backendTrials);
      }
      const pkg = previous ? previous.pkg : current.pkg;
      const info = previous ? previous.info : current.info;
      const source = previous ? /** @type {WebClassifier} */ (previous.classifier) : engine;
      training.token = new pkg.CancelToken();
      if (training.stop) training.token.cancel();
      const post = (event) => self.postMessage({ type: "progress", event });
      const embedding = request && request.mode === "embedding";
      if (embedding && previous) throw failure("embedding mode tunes the base model: it cannot continue a classifier", "invalid");
      const saving = checkpoint ? await checkpointsFor(checkpoint, !!resume, request, post) : null;
      if (saving && previous) throw failure("checkpoints are kept for runs from the base model, not for a model whose training continues", "invalid");
      // A kept checkpoint is announced once it is in IndexedDB, not when the engine made it.
      const onProgress = saving ? (event) => { if (!saving.announce(event)) post(event); } : post;
      const args = /** @type {const} */ ([train, trainName, valid || undefined, validName || undefined,
        { ...request, baseModel: modelName }, onProgress, training.token]);
      const trained = embedding
        ? await /** @type {import("./pkg/webtune.js").WebEngine} */ (source).trainEmbedding(...args)
        : saving
          ? await /** @type {import("./pkg/webtune.js").WebEngine} */ (source).train(...args, saving.onCheckpoint, saving.resume, saving.limitBytes)
          : await source.train(...args);
      const record = trained.training;
      if (saving) {
        await saving.written;
        // A finished run needs its checkpoint no more; a stopped one keeps it to continue.
        if (record && !record.cancelled) await deleteCheckpoint(checkpoint);
      }
      if (record && record.cancelled && record.bestEpoch == null) {
        trained.free();
        throw failure("training was stopped before its first epoch ended: nothing was trained", "cancelled");
      }
      return keep(trained, pkg, info);
    } catch (err) {
      if (isDeviceLost(err) && current && current.concrete === "webgpu") {
        const lost = String(err.message).replace(/^backend: /, "");
        const why = (lost.match(/the GPU device was lost \((.*)\)$/) || [])[1] || "no reason given";
        const backend = await recoverOnCpu(why);
        throw Object.assign(failure(`${lost}: training stopped. The engine now runs on the CPU${checkpoint ? "; the last checkpoint is kept: resume to continue from it" : ""}.`, "backend"), { backend });
      }
      throw err;
    } finally {
      training = null;
    }
  },
  /** The end-to-end test's failures on purpose (only with `testHooks`): `crash` traps the wasm
   * module, `hang` blocks this worker for good, `loseGpu` destroys the WebGPU device. */
  async testHook({ name }) {
    if (!testHooks) throw failure("test hooks are off (Webtune.create({testHooks: true}) turns them on)", "invalid");
    if (name === "crash") (current ? current.pkg : await loadSingle()).testCrash();
    else if (name === "hang") for (;;) { /* a worker that never answers again */ }
    else if (name === "loseGpu") return { lost: (await loadSingle()).testLoseGpuDevice() };
    else throw failure(`unknown test hook ${name}`, "invalid");
    return {};
  },
  async stop() {
    if (training) {
      training.stop = true;
      if (training.token) training.token.cancel();
    }
    return {};
  },
  async predict({ model: id, texts }) {
    return classifierOf(id).predict(texts);
  },
  async predictPairs({ model: id, first, second }) {
    return classifierOf(id).predictPairs(first, second);
  },
  async embed({ model: id, texts }) {
    return /** @type {WebEmbedder} */ (embedderOf(id).classifier).embed(texts);
  },
  /** The `k` texts of `corpus` nearest to `query` (cosine similarity), best first. The corpus is
   * embedded once and kept until another corpus is searched. */
  async search({ model: id, query, corpus, k }) {
    const m = embedderOf(id);
    const embedder = /** @type {WebEmbedder} */ (m.classifier);
    const same = m.corpus && m.corpus.texts.length === corpus.length && m.corpus.texts.every((t, i) => t === corpus[i]);
    if (!same) m.corpus = { texts: corpus.slice(), vectors: await embedder.embed(corpus) };
    const [q] = await embedder.embed([query]);
    const norm = (/** @type {Float32Array} */ v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
    const qn = norm(q);
    const scored = m.corpus.vectors.map((v, index) => {
      let dot = 0;
      for (let i = 0; i < v.length; i++) dot += v[i] * q[i];
      return { index, text: m.corpus.texts[index], score: dot / (qn * norm(v)) };
    });
    scored.sort((a, b) => b.score - a.score);
    return scored.slice(0, Math.max(1, k || 10));
  },
  async exportModel({ model: id, loraAdapter }) {
    const m = model(id);
    return m.kind === "classifier" ? /** @type {WebClassifier} */ (m.classifier).exportZip(!!loraAdapter) : zipOf(m);
  },
  importModel({ zip, backend }) {
    return exclusive(async () => {
      const target = current || { ...(await resolve(backend)), choice: backend };
      const classifier = await importOn(target.pkg, zip, target.concrete);
      current ??= target;
      return keep(classifier, target.pkg, target.info);
    });
  },
  async dispose({ model: id }) {
    const m = models.get(id);
    if (m) { models.delete(id); m.classifier.free(); }
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
