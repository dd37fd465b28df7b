// Try it: the model's prediction for a typed sentence, and for every line of a file (a CSV to
// download).
import { $, state } from "./page-state.js";
import { showError, hintFor } from "./page-status.js";

let predictSeq = 0;
export async function runPrediction() {
  renderTryMode();
  const text = $("predict-input").value;
  const out = $("prediction");
  if (!state.model || state.model.kind !== "classifier" || !text.trim()) { out.replaceChildren(); return; }
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

export function csvField(s) {
  s = String(s);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function predictFile(file) {
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
  $("predict-input").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(runPrediction, 250);
  });
  $("predict-file").addEventListener("change", (e) => predictFile(e.target.files[0]));
}
