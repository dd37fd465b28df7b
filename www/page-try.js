// Try it: the model's prediction for a typed sentence, and for every line of a file (a CSV to
// download).
import { $, state } from "./page-state.js";
import { showError, hintFor } from "./page-status.js";

let predictSeq = 0;
export async function runPrediction() {
  renderTryMode();
  const text = $("predict-input").value;
  const second = $("predict-pair").value;
  const out = $("prediction");
  const model = state.model;
  if (!model || model.kind !== "classifier" || !text.trim() || (model.pairs && !second.trim())) { out.replaceChildren(); return; }
  const seq = ++predictSeq;
  try {
    const [p] = model.pairs ? await model.predictPairs([text], [second]) : await model.predict([text]);
    if (seq !== predictSeq) return;
    const title = document.createElement("p");
    title.className = "label";
    if (model.task === "regression") title.textContent = `${p.score?.toFixed(3)}`;
    else if (model.task === "multi") title.textContent = p.labels?.length ? p.labels.join(", ") : "(no label)";
    else title.textContent = p.label;
    const thresholds = model.thresholds || [];
    const bars = model.task === "regression" ? [] : model.labels.map((l, i) => {
      const row = document.createElement("div");
      row.className = "prob";
      const name = document.createElement("span");
      name.textContent = model.task === "multi" ? `${l} (above ${(100 * (thresholds[i] ?? 0.5)).toFixed(0)}%)` : l;
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
    out.dataset.score = p.score == null ? "" : String(p.score);
    out.dataset.text = text;
  } catch (e) {
    out.textContent = `Prediction failed: ${e.message}`;
  }
}

export function csvField(s) {
  s = String(s);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function predictFile(file) {
  if (!file || !state.model) return;
  const model = state.model;
  const text = await file.text();
  const texts = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (!texts.length) return showError(`${file.name} has no lines to predict`);
  let pairs = null;
  if (model.pairs) {
    pairs = texts.map((l) => l.split("\t"));
    const bad = pairs.findIndex((p) => p.length < 2);
    if (bad >= 0) return showError(`${file.name}: line ${bad + 1} has no tab: the model reads pairs, write the two texts separated by a tab`);
  }
  $("progress-text").textContent = `Predicting ${texts.length} lines…`;
  try {
    const preds = pairs
      ? await model.predictPairs(pairs.map((p) => p[0]), pairs.map((p) => p.slice(1).join("\t")))
      : await model.predict(texts);
    const labels = model.labels;
    const inputs = pairs ? ["text", "text_pair"] : ["text"];
    const row = (i) => (pairs ? pairs[i].slice(0, 1).concat(pairs[i].slice(1).join("\t")) : [texts[i]]);
    const lines = model.task === "regression"
      ? [[...inputs, "score"].map(csvField).join(",")]
      : [[...inputs, model.task === "multi" ? "labels" : "label", ...labels.map((l) => `p_${l}`)].map(csvField).join(",")];
    preds.forEach((p, i) => lines.push((model.task === "regression"
      ? [...row(i), p.score]
      : [...row(i), p.label, ...p.probabilities.map((x) => x.toFixed(6))]).map(csvField).join(",")));
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

/** The corpus semantic search runs on: the textarea's non-empty lines. */
function corpusLines() {
  return $("search-corpus").value.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "");
}

let searchSeq = 0;
/** Semantic search with an embedding model: the corpus's nearest texts to the query, with scores. */
export async function runSearch() {
  const out = $("search-results");
  const query = $("search-query").value;
  const corpus = corpusLines();
  if (!state.model || state.model.kind !== "embedding" || !query.trim() || !corpus.length) { out.replaceChildren(); return; }
  const seq = ++searchSeq;
  try {
    const hits = await state.model.search(query, corpus, { k: 10 });
    if (seq !== searchSeq) return;
    out.replaceChildren(...hits.map((h) => {
      const li = document.createElement("li");
      const score = document.createElement("span");
      score.className = "score";
      score.textContent = h.score.toFixed(3);
      li.append(score, ` ${h.text}`);
      li.dataset.score = String(h.score);
      return li;
    }));
    out.dataset.query = query;
  } catch (e) {
    out.textContent = `Search failed: ${e.message}`;
  }
}

/** Shows the search box for an embedding model, the prediction box for a classifier. */
export function renderTryMode() {
  const embedding = !!state.model && state.model.kind === "embedding";
  $("search-box").hidden = !embedding;
  $("predict-box").hidden = embedding;
  $("predict-pair-box").hidden = !(state.model && state.model.pairs);
}

export function wireTry() {
  let searchTimer = 0;
  const later = () => { clearTimeout(searchTimer); searchTimer = setTimeout(runSearch, 250); };
  $("search-query").addEventListener("input", later);
  $("search-corpus").addEventListener("input", later);
  $("search-corpus-file").addEventListener("change", async (e) => {
    const f = e.target.files[0];
    if (!f) return;
    $("search-corpus").value = await f.text();
    runSearch();
  });
  let timer = 0;
  for (const id of ["predict-input", "predict-pair"]) {
    $(id).addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(runPrediction, 250);
    });
  }
  $("predict-file").addEventListener("change", (e) => predictFile(e.target.files[0]));
}
