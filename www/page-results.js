// Results: the validation metrics of the latest epoch (accuracy, macro-F1, confusion matrix,
// per-class scores), what the run is, and every epoch in a table.
import { $ } from "./page-state.js";
import { fillTable } from "./page-status.js";

export function renderEpoch(r, labels) {
  const v = r.valid;
  if (!v) return;
  const pct = (x) => (x == null || !Number.isFinite(x) ? "–" : `${(100 * x).toFixed(1)}%`);
  const num = (x) => (x == null || !Number.isFinite(x) ? "–" : x.toFixed(3));
  // Single-label: a class with no validation example (too small to hold any out) is not
  // validated, and the accuracy and macro-F1 shown cover the others; the page says so.
  const unvalidated = !v.multiLabel && !v.regression ? v.perClass.filter((c) => c.support === 0) : [];
  const perLabel = () => fillTable($("per-class"), [v.multiLabel ? "label" : "class", "precision", "recall", "F1", "support"],
    v.perClass.map((c) => (unvalidated.includes(c)
      ? [c.label, "–", "–", "–", "0: not validated (all its examples trained)"]
      : [c.label, c.precision.toFixed(3), c.recall.toFixed(3), c.f1.toFixed(3), c.support])));
  $("scatter-box").hidden = !v.regression;
  $("chart-main-name").textContent = v.regression ? "validation Spearman" : v.multiLabel ? "validation micro-F1" : "validation accuracy";
  if (v.regression) {
    $("val-accuracy-name").textContent = "Spearman";
    $("val-accuracy").textContent = num(v.regression.spearman);
    $("val-f1-name").textContent = "RMSE";
    $("val-f1").textContent = num(v.regression.rmse);
    fillTable($("confusion"), null, []);
    fillTable($("per-class"), ["Pearson", "MAE"], [[num(v.regression.pearson), num(v.regression.mae)]]);
    drawScatter($("scatter"), v.regression.points);
  } else if (v.multiLabel) {
    const t = v.multiLabel.thresholds;
    $("val-accuracy-name").textContent = "Micro-F1";
    $("val-accuracy").textContent = num(v.multiLabel.microF1);
    $("val-f1-name").textContent = `Macro-F1 (subset accuracy ${pct(v.multiLabel.subsetAccuracy)}, threshold ${t.every((x) => x === t[0]) ? t[0].toFixed(2) : "per label"})`;
    $("val-f1").textContent = num(v.macroF1);
    fillTable($("confusion"), null, []);
    perLabel();
  } else {
    const validated = v.perClass.length - unvalidated.length;
    const names = unvalidated.map((c) => `"${c.label}"`).join(", ");
    $("val-accuracy-name").textContent = unvalidated.length
      ? `Validation accuracy (${validated} of ${v.perClass.length} classes; ${names} not validated)`
      : "Validation accuracy";
    $("val-accuracy").textContent = pct(v.accuracy);
    $("val-f1-name").textContent = unvalidated.length ? `Macro-F1 (the ${validated} validated classes)` : "Macro-F1";
    $("val-f1").textContent = num(v.macroF1);
    fillTable($("confusion"), ["true \\ predicted", ...labels], v.confusionMatrix.map((row, i) => [labels[i], ...row]));
    perLabel();
  }
}

/** Predicted against true values (a regression's validation), on one scale, with the diagonal. */
function drawScatter(svg, points) {
  const ns = "http://www.w3.org/2000/svg";
  const values = points.flat();
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo || 1;
  const at = (x) => 20 + (260 * (x - lo)) / span;
  const line = document.createElementNS(ns, "line");
  Object.entries({ x1: at(lo), y1: 300 - at(lo), x2: at(hi), y2: 300 - at(hi), class: "diagonal" })
    .forEach(([k, x]) => line.setAttribute(k, String(x)));
  const dots = points.map(([t, p]) => {
    const c = document.createElementNS(ns, "circle");
    c.setAttribute("cx", String(at(t)));
    c.setAttribute("cy", String(300 - at(p)));
    c.setAttribute("r", "2");
    return c;
  });
  svg.replaceChildren(line, ...dots);
  svg.dataset.points = String(points.length);
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
  const v = (e) => e.valid || {};
  const sample = v(epochs.find((e) => e.valid) || {});
  const [first, second] = sample.regression ? ["Spearman", "RMSE"] : sample.multiLabel ? ["micro-F1", "macro-F1"] : ["accuracy", "macro-F1"];
  const a = (e) => (v(e).regression ? num(v(e).regression.spearman, 4) : v(e).multiLabel ? num(v(e).multiLabel.microF1, 4)
    : e.valid ? `${(100 * e.valid.accuracy).toFixed(2)}%` : "–");
  const b = (e) => (v(e).regression ? num(v(e).regression.rmse, 4) : num(v(e).macroF1, 4));
  fillTable(t, ["epoch", "training loss", "validation loss", first, second, "training time", "with validation", "examples/s"],
    epochs.map((e) => [(e.epoch === kept ? "★ " : "") + e.epoch, num(e.trainLoss, 4), num(e.valid && e.valid.loss, 4),
      a(e), b(e), `${num(e.trainSeconds, 2)} s`, `${num(e.seconds, 2)} s`, num(e.examplesPerSec, 1)]));
}
