// The page: wires the controls to the `webtune` library (webtune.js), its first user. Dataset
// bytes are read with the File API and handed to the library; nothing is sent over the network.
import { Webtune, DEFAULT_MODEL, MODEL_FILES } from "./webtune.js";
import { TrainingChart } from "./chart.js";
import { saveModel, loadSaved, clearSaved } from "./store.js";

/** @type {(id: string) => any} */
const $ = (id) => document.getElementById(id);
const pageParams = new URLSearchParams(location.search);
const chart = new TrainingChart($("chart"));
/** @type {Webtune} the engine (created in `main`) */
let tuner;

const state = {
  /** @type {import("./webtune.js").BackendChoice} */
  backend: "auto",
  modelReady: false,
  dataset: null,      // {bytes, name}
  summary: null,      // from the engine's parser
  valid: null,        // {bytes, name}
  training: null,     // the running training's AbortController
  restoring: true,    // until the kept model (if any) is back
  /** @type {import("./webtune.js").Model | null} the fine-tuned model (trained, imported or restored) */
  model: null,
  history: { steps: [], epochs: [], started: null },
  predictionsUrl: null,
};

// ---------------------------------------------------------------------------- status & errors
function showError(message, hint = "") {
  const b = $("error-banner");
  b.textContent = hint ? `${message} — ${hint}` : message;
  b.hidden = false;
}
function clearError() { $("error-banner").hidden = true; }

/** What to do about a failure, by its kind (see webtune.js, `ErrorKind`). */
function hintFor(err) {
  switch (err && err.kind) {
    case "backend": return "the device is unusable or failed (no WebGPU, or out of memory): choose “CPU (WebAssembly)” above, or a smaller batch size";
    case "network": return "check the address and your connection, then load the model again";
    case "worker": return "the engine stopped (often out of memory): reload the page; a smaller batch size may help";
    case "dataset": return "fix the file (the message names the line) and drop it again";
    case "model": return "the model's files are not a BERT model webtune can read";
    default: return "";
  }
}

function describeBackend(info) {
  if (!info) return "Backend: unknown";
  if (info.backend === "wgpu") {
    const a = info.adapter || {};
    const name = [a.vendor, a.architecture].filter(Boolean).join(" ") || a.name || "unnamed adapter";
    const kind = a.isFallback ? "software adapter" : (a.deviceType === "other" ? "GPU" : `${a.deviceType} GPU`);
    return `Backend: WebGPU on ${name} (${kind})${info.reason ? " — " + info.reason : ""}`;
  }
  const n = info.threads || 1;
  const threads = `${n} thread${n === 1 ? "" : "s"}${info.threadsNote ? ": " + info.threadsNote : ""}`;
  return `Backend: CPU (WebAssembly, ${threads})${info.reason ? " — " + info.reason : ""}`;
}

function setBackendStatus(info) {
  $("backend-status").textContent = describeBackend(info);
  $("backend-status").dataset.backend = info ? info.backend : "";
  $("backend-status").dataset.threads = info && info.backend === "cpu" ? String(info.threads || 1) : "";
}

// ---------------------------------------------------------------------------- model
function modelBase() {
  return localStorage.getItem("webtune.modelBase") || DEFAULT_MODEL.base;
}

async function loadModel() {
  clearError();
  state.modelReady = false;
  updateButtons();
  const base = modelBase();
  const isDefault = base === DEFAULT_MODEL.base;
  const name = isDefault ? DEFAULT_MODEL.name : base;
  const bar = $("model-progress");
  const sizes = {};
  $("model-status").textContent = `Loading ${name}…`;
  try {
    await tuner.loadModel({ base, name, sha256: isDefault ? DEFAULT_MODEL.sha256 : {} }, {
      onProgress: (ev) => {
        if (ev.type !== "download") return;
        const { file, received, total, fromCache } = ev;
        sizes[file] = { received, total: total || received };
        const got = Object.values(sizes).reduce((a, s) => a + s.received, 0);
        const all = Object.values(sizes).reduce((a, s) => a + s.total, 0);
        bar.max = Math.max(all, 1);
        bar.value = got;
        const verb = fromCache ? "Reading from cache" : "Downloading";
        $("model-status").textContent = `${verb} ${name}: ${file} ${(got / 1e6).toFixed(1)} / ${(all / 1e6).toFixed(1)} MB (${Math.round((100 * got) / Math.max(all, 1))}%)`;
      },
    });
    setBackendStatus(tuner.backend);
    state.modelReady = true;
    const total = Object.values(sizes).reduce((a, s) => a + s.total, 0);
    $("model-status").textContent = `${name} ready (${(total / 1e6).toFixed(1)} MB, ${tuner.fromCache ? "loaded from cache" : "downloaded and cached"}).`;
    $("model-status").dataset.source = tuner.fromCache ? "cache" : "network";
  } catch (e) {
    $("model-status").textContent = `Model not loaded: ${e.message}`;
    showError(`Model not loaded: ${e.message}`, hintFor(e));
  }
  updateButtons();
}

async function loadModelFromDisk(fileList) {
  const byName = {};
  for (const f of fileList) byName[f.name] = f;
  const missing = MODEL_FILES.filter((f) => !byName[f]);
  if (missing.length) return showError(`Choose all three files: missing ${missing.join(", ")}`);
  const [config, tokenizer, weights] = await Promise.all(MODEL_FILES.map(async (f) => new Uint8Array(await byName[f].arrayBuffer())));
  $("model-status").textContent = "Preparing the model from your files…";
  try {
    await tuner.loadModel({ files: { config, tokenizer, weights }, name: "local files" });
    setBackendStatus(tuner.backend);
    state.modelReady = true;
    $("model-status").textContent = "Model from your files ready.";
  } catch (e) {
    showError(`Model not loaded: ${e.message}`, hintFor(e));
  }
  updateButtons();
}

// ---------------------------------------------------------------------------- dataset
function fillTable(table, header, rows) {
  table.replaceChildren();
  if (header) {
    const tr = table.createTHead().insertRow();
    for (const h of header) { const th = document.createElement("th"); th.textContent = h; tr.appendChild(th); }
  }
  const body = table.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    for (const c of r) {
      const td = tr.insertCell();
      td.textContent = String(c).length > 140 ? String(c).slice(0, 140) + "…" : String(c);
    }
  }
}

function columnOptions() {
  return { textColumn: $("text-column").value || undefined, labelColumn: $("label-column").value || undefined };
}

async function inspectDataset(options = {}) {
  if (!state.dataset) return;
  clearError();
  const { bytes, name } = state.dataset;
  try {
    const s = await tuner.inspect({ name, bytes }, options);
    state.summary = s;
    renderSummary(s);
  } catch (e) {
    state.summary = null;
    $("dataset-summary").hidden = false;
    $("dataset-info").textContent = `${name}: cannot be used.`;
    $("problems").hidden = false;
    const li = document.createElement("li");
    li.textContent = e.message;
    $("problem-list").replaceChildren(li);
    fillTable($("preview-table"), null, []);
    fillTable($("class-counts"), null, []);
    for (const id of ["text-column", "label-column"]) $(id).replaceChildren();
  }
  updateButtons();
}

function renderSummary(s) {
  $("dataset-summary").hidden = false;
  const classes = s.classCounts.length;
  $("dataset-info").textContent = `${s.fileName}: ${s.rows} examples, ${classes} class${classes === 1 ? "" : "es"} (${s.format.toUpperCase()}${s.hasHeader ? ", with a header" : ""}).`;
  for (const [id, chosen] of [["text-column", s.textColumn], ["label-column", s.labelColumn]]) {
    const sel = $(id);
    sel.replaceChildren(...s.columns.map((c) => new Option(c, c, false, c === chosen)));
    sel.disabled = s.format === "txt";
  }
  fillTable($("preview-table"), s.columns, s.preview);
  fillTable($("class-counts"), ["class", "examples"], s.classCounts);
  const list = $("problem-list");
  list.replaceChildren(...s.problems.map((p) => {
    const li = document.createElement("li");
    li.textContent = p.line ? `line ${p.line}: ${p.message}` : p.message;
    return li;
  }));
  if (s.moreProblems) {
    const li = document.createElement("li");
    li.textContent = `… and ${s.moreProblems} more`;
    list.appendChild(li);
  }
  $("problems").hidden = s.problems.length === 0;
}

async function useDatasetFile(file) {
  if (!file) return;
  state.dataset = { bytes: new Uint8Array(await file.arrayBuffer()), name: file.name };
  $("text-column").replaceChildren();
  $("label-column").replaceChildren();
  await inspectDataset();
}

// ---------------------------------------------------------------------------- training
/** The training options the controls say (empty fields: the engine decides from the data). */
function trainOptions() {
  const num = (id) => Number($(id).value);
  const kind = $("strategy").value;
  const strategy = kind === "last" ? `last${num("last-k")}` : kind === "lora" ? `lora${num("lora-rank")}` : kind;
  const optional = (id) => ($(id).value.trim() === "" ? null : num(id));
  return {
    ...columnOptions(),
    strategy,
    epochs: optional("epochs"),
    batchSize: num("batch-size"),
    lrHead: optional("lr-head"),
    lrEncoder: optional("lr-encoder"),
    validFraction: num("valid-fraction"),
    seed: num("seed"),
    maxLen: num("max-len"),
    patience: optional("patience"),
    search: $("search").checked,
  };
}

function fmtSeconds(s) {
  if (!Number.isFinite(s)) return "–";
  return s < 90 ? `${Math.round(s)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

function renderEpoch(r, labels) {
  const v = r.valid;
  if (!v) return;
  $("val-accuracy").textContent = `${(100 * v.accuracy).toFixed(1)}%`;
  $("val-f1").textContent = v.macroF1.toFixed(3);
  fillTable($("confusion"), ["true \\ predicted", ...labels], v.confusionMatrix.map((row, i) => [labels[i], ...row]));
  fillTable($("per-class"), ["class", "precision", "recall", "F1", "support"],
    v.perClass.map((c) => [c.label, c.precision.toFixed(3), c.recall.toFixed(3), c.f1.toFixed(3), c.support]));
}

/** The plan the engine made before training: strategy, epochs × steps, early stopping, and why. */
function renderPlan(plan) {
  const ul = $("plan");
  ul.replaceChildren(...(plan ? plan.summary : []).map((line) => {
    const li = document.createElement("li");
    li.textContent = line;
    return li;
  }));
  ul.hidden = !plan;
}

/** The search's trials so far, the kept one marked. */
function renderTrials(trials) {
  const t = $("trials");
  t.hidden = trials.length === 0;
  if (!trials.length) return;
  const best = trials.reduce((b, x, i) => (x.validMacroF1 > trials[b].validMacroF1 ? i : b), 0);
  fillTable(t, ["settings", "validation accuracy", "macro-F1", "best epoch", "time"],
    trials.map((x, i) => [(x.chosen || i === best ? "★ " : "") + x.settings, `${(100 * x.validAccuracy).toFixed(1)}%`,
      x.validMacroF1.toFixed(3), x.bestEpoch ?? "–", fmtSeconds(x.seconds)]));
  t.createCaption().textContent = "Search: trials on the validation data (★ best so far)";
}

/** `auto`'s WebGPU-against-CPU trials, by adapter: measured once, then reused. */
function backendTrials() {
  try { return JSON.parse(localStorage.getItem("webtune.backendTrials") || "{}"); } catch { return {}; }
}

function onProgress(ev) {
  if (ev.type === "backendTrial") {
    localStorage.setItem("webtune.backendTrials", JSON.stringify({ ...backendTrials(), [ev.key]: ev.decision }));
    return;
  }
  if (ev.type === "backend") return setBackendStatus(ev.info);
  if (ev.type === "backendTrialStarted") {
    $("progress-text").textContent = "Measuring WebGPU against the CPU on this run's first steps…";
    return;
  }
  const bar = $("progress-bar");
  const text = $("progress-text");
  switch (ev.type) {
    case "started":
      // A search starts once per trial: the curves restart, the table of trials stays.
      state.history = { steps: [], epochs: [], started: ev, labels: ev.labels, trials: state.history.trials || [] };
      renderPlan(ev.plan);
      // For automation (tests/e2e/bench.mjs reads the per-epoch metrics and timings).
      /** @type {any} */ (window).__webtuneHistory = state.history;
      chart.reset(ev.totalSteps, ev.stepsPerEpoch);
      bar.max = ev.totalSteps; bar.value = 0;
      text.textContent = `${ev.strategy}: ${ev.trainExamples} training / ${ev.validExamples} validation examples; ` +
        (ev.cache.enabled ? `caching ${ev.cache.what} (${(ev.cache.bytes / 1e6).toFixed(1)} MB)…` : `no cache: ${ev.cache.reason}`);
      break;
    case "caching":
      text.textContent = `Preparing frozen features: ${ev.done} / ${ev.total} examples`;
      break;
    case "step":
      /** @type {any} */ (window).__webtuneStats = { examplesPerSec: ev.examplesPerSec, step: ev.step };
      bar.value = ev.step;
      state.history.steps.push([ev.step, ev.loss]);
      chart.addStep(ev.step, ev.loss);
      text.textContent = `Epoch ${ev.epoch} · step ${ev.step}/${ev.totalSteps} · loss ${ev.loss.toFixed(4)} · ` +
        `${ev.examplesPerSec.toFixed(1)} examples/s · ETA ${fmtSeconds(ev.etaSeconds)}`;
      break;
    case "epoch": {
      state.history.epochs.push(ev);
      const v = ev.valid;
      chart.addEpoch(ev.epoch, v ? { loss: v.loss, accuracy: v.accuracy, macroF1: v.macroF1 } : {});
      renderEpoch(ev, state.history.labels);
      break;
    }
    case "trial":
      state.history.trials.push(ev.trial);
      renderTrials(state.history.trials);
      break;
    case "finished":
      state.history.finished = ev;
      if (state.history.started && state.history.started.totalSteps === 0) {
        text.textContent = `Finished: logistic regression fitted in ${fmtSeconds(ev.seconds)}` +
          (state.history.started.validExamples ? "; metrics on the validation data." : "; metrics from 5-fold cross-validation.");
        break;
      }
      text.textContent = `${ev.cancelled ? "Stopped" : ev.stoppedEarly ? "Stopped early (no better validation F1)" : "Finished"} after ` +
        `${ev.epochsRun} epoch${ev.epochsRun === 1 ? "" : "s"} in ${fmtSeconds(ev.seconds)}` +
        (ev.bestEpoch ? `; keeping epoch ${ev.bestEpoch}, the best on validation.` : ".");
      break;
  }
}

async function train() {
  if (!state.dataset || state.training) return;
  clearError();
  const abort = new AbortController();
  state.training = abort;
  updateButtons();
  state.history = { steps: [], epochs: [], started: null, trials: [] };
  renderTrials([]);
  const resume = $("continue-training").checked && state.model;
  try {
    const model = await tuner.train(state.dataset, trainOptions(), {
      validation: state.valid || undefined, onProgress, signal: abort.signal,
      continueFrom: resume ? state.model : undefined, backendTrials: backendTrials(),
    });
    await useModel(model);
    const cost = model.training && model.training.stepCost;
    if (cost) $("progress-text").textContent += " " + describeStepCost(cost);
    await persistModel();
  } catch (e) {
    $("progress-text").textContent = `Training failed: ${e.message}`;
    showError(`Training failed: ${e.message}`, hintFor(e));
  }
  state.training = null;
  updateButtons();
  runPrediction();
}

/** Makes `model` the page's model, freeing the one it replaces. */
async function useModel(model) {
  const old = state.model;
  state.model = model;
  if (old && old !== model) await old.dispose().catch(() => {});
}

/** What a training step cost WebGPU (counted by the engine; absent on the CPU backend). */
function describeStepCost(c) {
  const fused = c.operationsPerStep != null
    ? ` for ${Math.round(c.operationsPerStep)} tensor operations (fused)` : "";
  const pool = c.poolReservedPeakBytes ? `, ${Math.round(c.poolReservedPeakBytes / 2 ** 20)} MiB of GPU memory` : "";
  return `WebGPU: ${Math.round(c.dispatchesPerStep)} dispatches per step${fused}${pool}.`;
}

async function persistModel() {
  try {
    const zip = await state.model.exportZip();
    await saveModel({ zip, history: state.history, labels: state.model.labels, savedAt: new Date().toISOString() });
    renderSaved({ savedAt: new Date().toISOString(), labels: state.model.labels });
  } catch (e) {
    $("saved-status").textContent = `Could not keep the model in this browser: ${e.message}`;
  }
}

function renderSaved(entry) {
  $("saved-status").textContent = entry
    ? `Kept in this browser: the model trained ${new Date(entry.savedAt).toLocaleString()} (${entry.labels.join(", ")}).`
    : "Nothing kept in this browser.";
  $("clear-saved").hidden = !entry;
}

async function restoreSaved() {
  let entry;
  try { entry = await loadSaved(); } catch { entry = null; }
  renderSaved(entry);
  if (!entry) return;
  try {
    await useModel(await tuner.importZip(entry.zip));
    state.history = entry.history || state.history;
    const h = state.history;
    if (h.started) {
      chart.reset(h.started.totalSteps, h.started.stepsPerEpoch);
      for (const [s, l] of h.steps) chart.losses.push([s, l]);
      for (const e of h.epochs) {
        const v = e.valid;
        chart.addEpoch(e.epoch, v ? { loss: v.loss, accuracy: v.accuracy, macroF1: v.macroF1 } : {});
        renderEpoch(e, h.labels);
      }
      $("progress-text").textContent = "Restored the last trained model and its training history.";
    }
  } catch (e) {
    $("saved-status").textContent = `The kept model could not be restored: ${e.message}`;
  }
  updateButtons();
}

// ---------------------------------------------------------------------------- prediction
let predictTimer = null;
let predictSeq = 0;
async function runPrediction() {
  const text = $("predict-input").value;
  const out = $("prediction");
  if (!state.model || !text.trim()) { out.replaceChildren(); return; }
  const seq = ++predictSeq;
  try {
    const [p] = await state.model.predict([text]);
    if (seq !== predictSeq) return;
    const title = document.createElement("p");
    title.className = "label";
    title.textContent = p.label;
    const bars = state.model.labels.map((l, i) => {
      const row = document.createElement("div");
      row.className = "prob";
      const name = document.createElement("span");
      name.textContent = l;
      const meter = document.createElement("meter");
      meter.min = 0; meter.max = 1; meter.value = p.probabilities[i];
      meter.setAttribute("aria-label", `${l} probability`);
      const val = document.createElement("span");
      val.textContent = `${(100 * p.probabilities[i]).toFixed(1)}%`;
      row.append(name, meter, val);
      return row;
    });
    out.replaceChildren(title, ...bars);
    // Full precision for automation (the bars show one decimal).
    out.dataset.label = p.label;
    out.dataset.probs = JSON.stringify(p.probabilities);
    out.dataset.text = text;
  } catch (e) {
    out.textContent = `Prediction failed: ${e.message}`;
  }
}

function csvField(s) {
  s = String(s);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

async function predictFile(file) {
  if (!file || !state.model) return;
  const text = await file.text();
  const texts = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (!texts.length) return showError(`${file.name} has no lines to predict`);
  $("progress-text").textContent = `Predicting ${texts.length} lines…`;
  try {
    const preds = await state.model.predict(texts);
    const labels = state.model.labels;
    const lines = [["text", "label", ...labels.map((l) => `p_${l}`)].map(csvField).join(",")];
    preds.forEach((p, i) => lines.push([texts[i], p.label, ...p.probabilities.map((x) => x.toFixed(6))].map(csvField).join(",")));
    if (state.predictionsUrl) URL.revokeObjectURL(state.predictionsUrl);
    state.predictionsUrl = URL.createObjectURL(new Blob([lines.join("\n") + "\n"], { type: "text/csv" }));
    const a = $("predictions-download");
    a.href = state.predictionsUrl;
    a.download = file.name.replace(/\.[^.]+$/, "") + "-predictions.csv";
    a.hidden = false;
    $("progress-text").textContent = `Predicted ${texts.length} lines from ${file.name}.`;
  } catch (e) {
    showError(`Prediction failed: ${e.message}`, hintFor(e));
  }
}

// ---------------------------------------------------------------------------- export / import
async function downloadModel() {
  try {
    const zip = await state.model.exportZip();
    const url = URL.createObjectURL(new Blob([zip], { type: "application/zip" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = "webtune-model.zip";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (e) {
    showError(`Export failed: ${e.message}`);
  }
}

async function importModel(file) {
  if (!file) return;
  clearError();
  try {
    const model = await tuner.importZip(file);
    await useModel(model);
    $("progress-text").textContent = `Loaded ${file.name}: ${model.labels.length} classes (${model.labels.join(", ")}).`;
    await persistModel();
  } catch (e) {
    showError(`Could not load ${file.name}: ${e.message}`);
  }
  updateButtons();
  runPrediction();
}

// ---------------------------------------------------------------------------- controls
function updateButtons() {
  const usable = state.summary && state.summary.problems.length === 0;
  $("train-button").disabled = !(state.modelReady && usable && !state.training && !state.restoring);
  $("stop-button").disabled = !state.training;
  $("continue-training").disabled = !state.model || !!state.training;
  const canPredict = !!state.model && !state.training;
  $("predict-input").disabled = !canPredict;
  $("predict-input").placeholder = canPredict ? "Type a sentence to classify" : "Train or load a model first";
  $("predict-file").disabled = !canPredict;
  $("download-model").disabled = !canPredict;
  $("backend-select").disabled = !!state.training;
}

function wire() {
  $("dataset-input").addEventListener("change", (e) => useDatasetFile(e.target.files[0]));
  $("valid-input").addEventListener("change", async (e) => {
    const f = e.target.files[0];
    state.valid = f ? { bytes: new Uint8Array(await f.arrayBuffer()), name: f.name } : null;
  });
  $("sample-button").addEventListener("click", async () => {
    const r = await fetch("samples/support-tickets.csv");
    state.dataset = { bytes: new Uint8Array(await r.arrayBuffer()), name: "support-tickets.csv" };
    await inspectDataset();
  });
  for (const id of ["text-column", "label-column"]) $(id).addEventListener("change", () => inspectDataset(columnOptions()));
  $("strategy").addEventListener("change", () => {
    $("last-k-label").hidden = $("strategy").value !== "last";
    $("lora-rank-label").hidden = $("strategy").value !== "lora";
  });
  $("train-button").addEventListener("click", train);
  $("stop-button").addEventListener("click", () => {
    if (!state.training) return;
    $("progress-text").textContent = "Stopping after this step…";
    state.training.abort();
  });
  $("predict-input").addEventListener("input", () => {
    clearTimeout(predictTimer);
    predictTimer = setTimeout(runPrediction, 250);
  });
  $("predict-file").addEventListener("change", (e) => predictFile(e.target.files[0]));
  $("download-model").addEventListener("click", downloadModel);
  $("model-zip").addEventListener("change", (e) => importModel(e.target.files[0]));
  $("clear-saved").addEventListener("click", async () => { await clearSaved(); renderSaved(null); });
  $("model-url-load").addEventListener("click", () => {
    let url;
    try { url = new URL($("model-url").value.trim()); } catch { return showError("Enter a full URL, e.g. https://huggingface.co/…/resolve/main/"); }
    if (!url.pathname.endsWith("/")) url.pathname += "/";
    localStorage.setItem("webtune.modelBase", url.href);
    location.reload(); // the new policy (connect-src) only applies to a fresh page
  });
  $("model-default").addEventListener("click", () => { localStorage.removeItem("webtune.modelBase"); location.reload(); });
  $("model-files").addEventListener("change", (e) => loadModelFromDisk(e.target.files));
  $("backend-select").addEventListener("change", async (e) => {
    state.backend = /** @type {import("./webtune.js").BackendChoice} */ (e.target.value);
    clearError();
    $("backend-status").textContent = "Backend: switching…";
    try {
      setBackendStatus(await tuner.switchBackend(state.backend));
    } catch (err) {
      showError(`Could not switch backend: ${err.message}`, hintFor(err));
    }
  });

  // Drag and drop anywhere on the page.
  let depth = 0;
  const overlay = $("drop-overlay");
  const hasFiles = (e) => e.dataTransfer && [...e.dataTransfer.types].includes("Files");
  document.addEventListener("dragenter", (e) => { if (hasFiles(e)) { depth++; overlay.hidden = false; } });
  document.addEventListener("dragleave", () => { if (--depth <= 0) { depth = 0; overlay.hidden = true; } });
  document.addEventListener("dragover", (e) => { if (hasFiles(e)) e.preventDefault(); });
  document.addEventListener("drop", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth = 0;
    overlay.hidden = true;
    const f = e.dataTransfer.files[0];
    if (!f) return;
    if (/\.zip$/i.test(f.name)) importModel(f);
    else useDatasetFile(f);
  });
}

async function main() {
  const params = new URLSearchParams(location.search);
  const forced = params.get("backend");
  state.backend = forced === "webgpu" || forced === "cpu" ? forced : "auto";
  $("backend-select").value = state.backend;
  const saved = localStorage.getItem("webtune.modelBase");
  if (saved) $("model-url").value = saved;
  // The page's `?threads=N` and `?trial=always` go to the library as they are: it decides the
  // thread count (www/threads.js) and says why when it is not what was asked.
  tuner = await Webtune.create({
    model: null, backend: state.backend, threads: pageParams.get("threads") ?? undefined,
    alwaysTrial: pageParams.get("trial") === "always",
    onCrash: (e) => showError(e.message, hintFor(e)),
  });
  wire();
  updateButtons();
  if (!("gpu" in navigator) && state.backend === "webgpu") {
    showError("This browser has no WebGPU", "choose “CPU (WebAssembly)” above");
  }
  await loadModel();
  await restoreSaved();
  state.restoring = false;
  updateButtons();
}

main();
