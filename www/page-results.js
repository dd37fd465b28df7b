// Results: the validation metrics of the latest epoch (accuracy, macro-F1, confusion matrix,
// per-class scores), what the run is, and every epoch in a table.
import { $ } from "./page-state.js";
import { fillTable } from "./page-status.js";

export function renderEpoch(r, labels) {
  const v = r.valid;
  if (!v) return;
  $("val-accuracy").textContent = `${(100 * v.accuracy).toFixed(1)}%`;
  $("val-f1").textContent = v.macroF1.toFixed(3);
  fillTable($("confusion"), ["true \\ predicted", ...labels], v.confusionMatrix.map((row, i) => [labels[i], ...row]));
  fillTable($("per-class"), ["class", "precision", "recall", "F1", "support"],
    v.perClass.map((c) => [c.label, c.precision.toFixed(3), c.recall.toFixed(3), c.f1.toFixed(3), c.support]));
}

/** What the run is: strategy, examples, steps (from the `started` event). */
export function renderRunInfo(started) {
  const p = $("run-info");
  p.hidden = !started;
  if (!started) return;
  const c = started.cache;
  p.textContent = `${started.strategy}: ${started.trainExamples} training / ${started.validExamples} validation examples, ` +
    (started.totalSteps ? `${started.totalSteps} steps (${started.stepsPerEpoch} an epoch); ` : "fitted once, no steps; ") +
    (c.enabled ? `cached ${c.what} (${(c.bytes / 1e6).toFixed(1)} MB).` : `no cache: ${c.reason}.`);
}

/** An embedding run's validation pairs: scored by the base model, then after each epoch (★ kept). */
export function renderSimilarity(baseline, epochs) {
  const t = $("similarity-table");
  const scored = epochs.filter((e) => e.similarity);
  t.hidden = !baseline && scored.length === 0;
  if (t.hidden) return t.replaceChildren();
  const sample = baseline || scored[0].similarity;
  const num = (x) => (x == null || !Number.isFinite(x) ? "–" : x.toFixed(4));
  const kept = epochs.reduce((k, e) => (e.best ? e.epoch : k), 0);
  const rows = [["before training", sample], ...scored.map((e) => [(e.epoch === kept ? "★ " : "") + `epoch ${e.epoch}`, e.similarity])];
  if (sample.spearman != null) {
    fillTable(t, ["model", "Spearman", "Pearson"], rows.filter(([, m]) => m).map(([name, m]) => [name, num(m.spearman), num(m.pearson)]));
  } else {
    fillTable(t, ["model", "MRR@10", "recall@1", "recall@10"],
      rows.filter(([, m]) => m).map(([name, m]) => [name, num(m.mrrAt10), num(m.recallAt1), num(m.recallAt10)]));
  }
  t.createCaption().textContent = `Validation: ${sample.pairs} pairs` + (sample.corpus ? `, searched among ${sample.corpus} texts` : "");
}

/** Every epoch so far: losses, validation metrics, time and speed; ★ the epoch whose model is kept. */
export function renderEpochs(epochs) {
  const t = $("epochs-table");
  t.hidden = epochs.length === 0;
  const kept = epochs.reduce((k, e) => (e.best ? e.epoch : k), 0);
  const num = (x, digits) => (x == null || !Number.isFinite(x) ? "–" : x.toFixed(digits));
  if (epochs.some((e) => e.similarity)) {
    const m = (e) => e.similarity || {};
    fillTable(t, ["epoch", "training loss", "Spearman / MRR@10", "training time", "with validation", "pairs/s"],
      epochs.map((e) => [(e.epoch === kept ? "★ " : "") + e.epoch, num(e.trainLoss, 4), num(m(e).spearman ?? m(e).mrrAt10, 4),
        `${num(e.trainSeconds, 2)} s`, `${num(e.seconds, 2)} s`, num(e.examplesPerSec, 1)]));
    return;
  }
  fillTable(t, ["epoch", "training loss", "validation loss", "accuracy", "macro-F1", "training time", "with validation", "examples/s"],
    epochs.map((e) => [(e.epoch === kept ? "★ " : "") + e.epoch, num(e.trainLoss, 4), num(e.valid && e.valid.loss, 4),
      e.valid ? `${(100 * e.valid.accuracy).toFixed(2)}%` : "–", num(e.valid && e.valid.macroF1, 4),
      `${num(e.trainSeconds, 2)} s`, `${num(e.seconds, 2)} s`, num(e.examplesPerSec, 1)]));
}
