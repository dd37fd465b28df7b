// The training view: the settings as the library's options, the run with its progress bar, plan,
// chart and search trials, and Stop (an AbortSignal: the best model so far is kept). Classify
// runs keep a checkpoint in this browser after each epoch: after a reload the page offers to
// resume the interrupted run once its file is given again.
import { TrainingChart } from "./chart.js";
import { listCheckpoints, deleteCheckpoint } from "./webtune.js";
import { $, state, updateButtons } from "./page-state.js";
import { showError, clearError, hintFor, setBackendStatus, fillTable, fmtSeconds } from "./page-status.js";
import { columnOptions } from "./page-dataset.js";
import { renderEpoch, renderEpochs, renderRunInfo, renderSimilarity } from "./page-results.js";
import { runPrediction } from "./page-try.js";
import { useModel, persistModel } from "./page-saved.js";

const chart = new TrainingChart($("chart"));

/** An epoch's validation figures on the chart. */
function chartEpoch(e) {
  const v = e.valid;
  // The first series is the task's main score: accuracy, micro-F1 (multi-label) or Spearman (regression).
  const main = v && (v.regression ? v.regression.spearman : v.multiLabel ? v.multiLabel.microF1 : v.accuracy);
  chart.addEpoch(e.epoch, v ? { loss: v.loss, accuracy: main, macroF1: v.regression ? null : v.macroF1 } : {});
}

/** The key the page keeps its run's checkpoint under (one interrupted run at a time). */
const CHECKPOINT = "page";

/** Whether a run with these options keeps checkpoints: classify runs without the search. */
const checkpointed = (options) => (options.mode || "classify") === "classify" && !options.search;

/** Shows the interrupted run kept in this browser, if any, and what resuming it needs. */
export async function refreshCheckpoint() {
  let info = null;
  try {
    info = (await listCheckpoints()).find((c) => c.key === CHECKPOINT) || null;
  } catch { /* no IndexedDB (a private window may have none): nothing to resume */ }
  state.checkpoint = info;
  $("resume-panel").hidden = !info;
  if (info) {
    const [f, v] = info.files;
    $("resume-text").textContent = `An interrupted training can continue after epoch ${info.epochsDone} of ${info.epochs}: ` +
      `${f.name} (${f.bytes.toLocaleString()} bytes)${v ? ` with validation ${v.name}` : ""}, saved ` +
      `${new Date(info.savedAt).toLocaleString()}. Give the same file${v ? "s" : ""} above, then Resume: it ends as the ` +
      "uninterrupted run would have.";
  }
  updateButtons();
}

/** The training options the controls say (empty fields: the engine decides from the data). */
export function trainOptions() {
  const num = (id) => Number($(id).value);
  const kind = $("strategy").value;
  const strategy = kind === "last" ? `last${num("last-k")}` : kind === "lora" ? `lora${num("lora-rank")}` : kind;
  const optional = (id) => ($(id).value.trim() === "" ? null : num(id));
  return {
    ...columnOptions(),
    mode: $("mode").value,
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

/** The plan the engine made before training: strategy, epochs × steps, early stopping, and why. */
export function renderPlan(plan) {
  const ul = $("plan");
  ul.replaceChildren(...(plan ? plan.summary : []).map((line) => {
    const li = document.createElement("li");
    li.textContent = line;
    return li;
  }));
  ul.hidden = !plan;
}

/** The search's trials so far, the kept one marked. */
export function renderTrials(trials) {
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
export function backendTrials() {
  try { return JSON.parse(localStorage.getItem("webtune.backendTrials") || "{}"); } catch { return {}; }
}

export function onProgress(ev) {
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
      renderRunInfo(ev);
      renderEpochs([]);
      chart.reset(ev.totalSteps, ev.stepsPerEpoch);
      bar.max = ev.totalSteps; bar.value = 0;
      text.textContent = `${ev.strategy}: ${ev.trainExamples} training / ${ev.validExamples} validation examples; ` +
        (ev.cache.enabled ? `caching ${ev.cache.what} (${(ev.cache.bytes / 1e6).toFixed(1)} MB)…` : `no cache: ${ev.cache.reason}`);
      break;
    case "caching":
      text.textContent = `Preparing frozen features: ${ev.done} / ${ev.total} examples`;
      break;
    case "step":
      bar.value = ev.step;
      state.history.steps.push([ev.step, ev.loss]);
      chart.addStep(ev.step, ev.loss);
      text.textContent = `Epoch ${ev.epoch} · step ${ev.step}/${ev.totalSteps} · loss ${ev.loss.toFixed(4)} · ` +
        `${ev.examplesPerSec.toFixed(1)} examples/s · ETA ${fmtSeconds(ev.etaSeconds)}`;
      break;
    case "baseline":
      state.history.baseline = ev;
      renderSimilarity(ev, state.history.epochs);
      text.textContent = "Scored the validation pairs with the base model; training…";
      break;
    case "epoch": {
      state.history.epochs.push(ev);
      if (ev.similarity) renderSimilarity(state.history.baseline, state.history.epochs);
      chartEpoch(ev);
      renderEpoch(ev, state.history.labels);
      renderEpochs(state.history.epochs);
      break;
    }
    case "estimate":
      // Nothing could be held out: a cross-validated estimate, shown as what it is.
      renderEpoch({ valid: ev.metrics }, state.history.labels);
      $("val-accuracy-name").textContent = `Cross-validated accuracy (${ev.folds} folds) of ${ev.of}`;
      text.textContent = "No validation split: cross-validated the starting point; training…";
      break;
    case "trial":
      state.history.trials.push(ev.trial);
      renderTrials(state.history.trials);
      break;
    case "checkpoint":
      // Written to IndexedDB while training went on: one may be announced after the run finished
      // (and deleted it).
      if (state.history.finished && !state.history.finished.cancelled) break;
      $("checkpoint-status").textContent = ev.skipped
        ? `No checkpoint after epoch ${ev.epoch}: ${ev.skipped}`
        : `Checkpoint after epoch ${ev.epoch} kept in this browser (${(ev.bytes / 1e6).toFixed(1)} MB): a reload can resume from it.`;
      break;
    case "resumed":
      // The history before the interruption, as the uninterrupted run would show it.
      state.history.resumed = { epoch: ev.epoch, step: ev.step };
      ev.stepLosses.forEach((loss, i) => { state.history.steps.push([i + 1, loss]); chart.addStep(i + 1, loss); });
      for (const e of ev.epochs) {
        state.history.epochs.push(e);
        chartEpoch(e);
      }
      renderEpochs(state.history.epochs);
      bar.value = ev.step;
      $("checkpoint-status").textContent = `Resumed after epoch ${ev.epoch} (step ${ev.step}).`;
      break;
    case "resumeMissing":
      $("checkpoint-status").textContent = "No checkpoint is kept any more: training from the beginning.";
      break;
    case "finished":
      state.history.finished = ev;
      // A finished run's checkpoint is deleted; a stopped one's is kept to resume.
      if (!ev.cancelled) {
        const r = state.history.resumed;
        $("checkpoint-status").textContent = r ? `Resumed after epoch ${r.epoch} (step ${r.step}).` : "";
      }
      if (state.history.started && state.history.started.totalSteps === 0) {
        text.textContent = `Finished: logistic regression fitted in ${fmtSeconds(ev.seconds)}` +
          (state.history.started.validExamples ? "; metrics on the validation data." : "; metrics from 5-fold cross-validation.");
        break;
      }
      text.textContent = `${ev.cancelled ? "Stopped" : ev.stoppedEarly ? "Stopped early (no better validation F1)" : "Finished"} after ` +
        `${ev.epochsRun} epoch${ev.epochsRun === 1 ? "" : "s"} in ${fmtSeconds(ev.seconds)}` +
        (!ev.bestEpoch ? "." : state.history.started && state.history.started.validExamples === 0
          ? `; keeping epoch ${ev.bestEpoch}, the last (no validation data).`
          : `; keeping epoch ${ev.bestEpoch}, the best on validation.`);
      break;
  }
}

/** Trains on the dataset with the controls' options, or (`resuming`) continues the interrupted
 * run with its own options. */
export async function train(resuming = false) {
  if (!state.dataset || state.training || (resuming && !state.checkpoint)) return;
  clearError();
  const abort = new AbortController();
  state.training = abort;
  updateButtons();
  clearRun(); // the previous run's plan, chart and metrics go: this run's come with its events
  $("progress-text").textContent = "Starting…"; // not the previous run's "Finished" meanwhile
  $("checkpoint-status").textContent = "";
  const options = resuming ? /** @type {import("./webtune.js").TrainOptions} */ (state.checkpoint.request) : trainOptions();
  const continuing = !resuming && $("continue-training").checked && state.model;
  try {
    const model = await state.tuner.train(state.dataset, options, {
      validation: state.valid || undefined, onProgress, signal: abort.signal,
      continueFrom: continuing ? state.model : undefined, backendTrials: backendTrials(),
      checkpoint: checkpointed(options) && !continuing ? CHECKPOINT : undefined, resume: resuming,
    });
    await useModel(model);
    const cost = model.training && model.training.stepCost;
    if (cost) $("progress-text").textContent += " " + describeStepCost(cost);
    await persistModel();
  } catch (e) {
    if (e.kind === "cancelled") {
      $("progress-text").textContent = `Stopped: ${e.message}${state.model ? "; the previous model is kept" : ""}.`;
    } else {
      $("progress-text").textContent = `Training failed: ${e.message}`;
      if (e.backend) { // the engine moved (a lost WebGPU device): the controls follow
        setBackendStatus(e.backend);
        $("backend-select").value = "cpu";
        state.backend = "cpu";
      }
      if (e.kind !== "worker") showError(`Training failed: ${e.message}`, hintFor(e)); // a crash says more (app.js)
    }
  }
  state.training = null;
  updateButtons();
  runPrediction();
  await refreshCheckpoint();
}

/** What a training step cost WebGPU (counted by the engine; absent on the CPU backend). */
export function describeStepCost(c) {
  const fused = c.operationsPerStep != null
    ? ` for ${Math.round(c.operationsPerStep)} tensor operations (fused)` : "";
  const pool = c.poolReservedPeakBytes ? `, ${Math.round(c.poolReservedPeakBytes / 2 ** 20)} MiB of GPU memory` : "";
  return `WebGPU: ${Math.round(c.dispatchesPerStep)} dispatches per step${fused}${pool}.`;
}

/** Clears the run's views: plan, run line, chart, metrics, epochs (a model from a zip has no run here). */
export function clearRun() {
  state.history = { steps: [], epochs: [], started: null, trials: [] };
  chart.reset();
  renderPlan(null);
  renderTrials([]);
  renderRunInfo(null);
  renderEpochs([]);
  renderSimilarity(null, []);
  $("val-accuracy").textContent = "–";
  $("val-f1").textContent = "–";
  $("val-accuracy-name").textContent = "Validation accuracy";
  $("val-f1-name").textContent = "Macro-F1";
  $("scatter-box").hidden = true;
  $("chart-main-name").textContent = "validation accuracy";
  for (const id of ["confusion", "per-class", "scatter"]) $(id).replaceChildren();
}

/** Shows a kept run again (a model restored after a reload): the chart, the metrics, the epochs. */
export function replayHistory(h) {
  if (!h.started) return;
  chart.reset(h.started.totalSteps, h.started.stepsPerEpoch);
  for (const [s, l] of h.steps) chart.losses.push([s, l]);
  for (const e of h.epochs) {
    chartEpoch(e);
    renderEpoch(e, h.labels);
  }
  renderRunInfo(h.started);
  renderEpochs(h.epochs);
  renderSimilarity(h.baseline || null, h.epochs);
  renderPlan(h.started.plan);
}

export function wireTraining() {
  $("strategy").addEventListener("change", () => {
    $("last-k-label").hidden = $("strategy").value !== "last";
    $("lora-rank-label").hidden = $("strategy").value !== "lora";
  });
  $("train-button").addEventListener("click", () => train());
  $("resume-button").addEventListener("click", () => train(true));
  $("discard-checkpoint").addEventListener("click", async () => {
    await deleteCheckpoint(CHECKPOINT).catch(() => {});
    await refreshCheckpoint();
  });
  $("stop-button").addEventListener("click", () => {
    if (!state.training) return;
    $("progress-text").textContent = "Stopping after this step…";
    state.training.abort();
  });
}
