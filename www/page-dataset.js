// The dataset view: a dropped file as the engine's parser reads it (columns, preview, classes,
// every problem with its line), and the validation file.
import { $, state, updateButtons } from "./page-state.js";
import { clearError, fillTable } from "./page-status.js";

/** The pair roles' selects, the option each one sets, and whether the role may be none.
 * @type {[string, string, boolean][]} */
const PAIR_SELECTS = [["first-column", "firstColumn", false], ["second-column", "secondColumn", false],
  ["negative-column", "negativeColumn", true], ["score-column", "scoreColumn", true]];
const COLUMN_SELECTS = ["text-column", "label-column", "pair-column", ...PAIR_SELECTS.map(([id]) => id)];

/** The task select's words for each task. */
const TASK_WORDS = { single: "one class a text", multi: "several labels a text", regression: "a number" };

/** The columns chosen in the dataset view, as the engine's options name them. A pair file's
 * "none" for the negative or the score is "" (the engine then reads none, whatever the header). */
export function columnOptions() {
  if (state.summary && state.summary.kind !== "labelled") {
    return Object.fromEntries(PAIR_SELECTS.filter(([id, , optional]) => optional || $(id).value !== "")
      .map(([id, key]) => [key, $(id).value]));
  }
  const pair = $("pair-column");
  return {
    textColumn: $("text-column").value || undefined,
    labelColumn: $("label-column").value || undefined,
    // "" reads single texts whatever the header; absent (no summary yet) lets the engine detect.
    textPairColumn: pair.options.length ? pair.value : undefined,
    task: $("task").value || undefined,
  };
}

export async function inspectDataset(options = {}) {
  if (!state.dataset) return;
  clearError();
  const { name } = state.dataset;
  try {
    const s = await state.tuner.inspect(state.dataset, options);
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
    for (const id of COLUMN_SELECTS) $(id).replaceChildren();
  }
  updateButtons();
}

/** The mode hint: what the file suggests, and why. Whether few-shot mode is suggested is the
 * engine's rule (`fewshotHint`: the median class at most 64 examples, SetFit's regime), the same
 * one the training plan notes. */
export function renderModeHint(s) {
  const hint = $("mode-hint");
  const button = $("use-fewshot");
  const mode = $("mode").value;
  let text = "";
  let offer = false;
  // Few-shot mode makes single-label classifiers of single texts.
  if (s && s.kind === "labelled" && s.fewshotHint) {
    const h = s.fewshotHint;
    if (h.suggested && mode === "classify") {
      text = `Few-shot mode is suggested: ${h.reason}. ` +
        "With up to ~64 examples a class, tuning the encoder on pairs of examples (same class or not) and then fitting " +
        "a logistic regression is far more accurate than training a classifier head directly.";
      offer = true;
    } else if (mode === "fewshot" && !h.suggested) {
      text = `${h.reason[0].toUpperCase()}${h.reason.slice(1)}: the classifier mode is usually as good and faster.`;
    }
  } else if (s && s.kind !== "labelled") {
    text = "A pair file: it trains an embedding model (the results show the validation pairs scored before and after). " +
      "In the classifier mode it trains a model that reads each pair as one input and predicts its " +
      (s.kind === "scored" ? "score." : "label.");
  } else if (s && s.kind === "labelled" && s.pairColumn && mode === "fewshot") {
    text = "Few-shot mode reads single texts: sentence pairs train in the classifier mode.";
  }
  hint.textContent = text;
  hint.hidden = !text;
  button.hidden = !offer;
}

export function renderSummary(s) {
  $("dataset-summary").hidden = false;
  $("labelled-columns").hidden = s.kind !== "labelled";
  $("pair-columns").hidden = s.kind === "labelled";
  if (s.kind !== "labelled") return renderPairSummary(s);
  if ($("mode").value === "embedding") $("mode").value = "classify";
  renderModeHint(s);
  const classes = s.classCounts.length;
  const what = s.task === "regression"
    ? `a number to predict${s.scoreRange ? ` (from ${s.scoreRange[0]} to ${s.scoreRange[1]})` : ""}`
    : s.task === "multi"
      ? `${classes} label${classes === 1 ? "" : "s"}, several a text${s.unlabelled ? ` (${s.unlabelled} without a label)` : ""}`
      : `${classes} class${classes === 1 ? "" : "es"}`;
  const pairs = s.pairColumn ? ` of pairs (${s.textColumn} with ${s.pairColumn})` : "";
  const same = s.identicalPairs ? ` ${s.identicalPairs} pair a text with itself.` : "";
  $("dataset-info").textContent = `${s.fileName}: ${s.rows} examples${pairs}, ${what} (${s.format.toUpperCase()}${s.hasHeader ? ", with a header" : ""}).${same}`;
  for (const [id, chosen] of [["text-column", s.textColumn], ["label-column", s.labelColumn]]) {
    const sel = $(id);
    const options = s.columns.map((c) => new Option(c, c, false, c === chosen));
    // 0/1 columns a label: their names together, as the engine read them.
    if (chosen && !s.columns.includes(chosen)) options.unshift(new Option(chosen, chosen, false, true));
    sel.replaceChildren(...options);
    sel.disabled = s.format === "txt";
  }
  const pair = $("pair-column");
  pair.replaceChildren(new Option("(none: single texts)", "", false, !s.pairColumn),
    ...s.columns.map((c) => new Option(c, c, false, c === s.pairColumn)));
  pair.disabled = s.format === "txt";
  const task = $("task");
  task.options[0].text = `Detect (${TASK_WORDS[s.task]})`;
  fillTable($("preview-table"), s.columns, s.preview);
  fillTable($("class-counts"), [s.task === "multi" ? "label" : "class", "examples"], s.classCounts);
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

/** A pair file: its kind, rows, first rows and problems; the mode becomes `embedding`. */
function renderPairSummary(s) {
  $("mode").value = "embedding";
  renderModeHint(s);
  const range = s.scoreRange ? `, scores in [${s.scoreRange[0]}, ${s.scoreRange[1]}]` : "";
  $("dataset-info").textContent = s.problems.length
    ? `${s.fileName}: a pair file that cannot be used yet.`
    : `${s.fileName}: ${s.rows} ${s.kind === "scored" ? "scored pairs" : "pairs"}${s.negatives ? " with hard negatives" : ""}${range}` +
      (s.identical ? `; ${s.identical} pair a text with itself (they teach nothing).` : ".");
  for (const id of ["text-column", "label-column"]) { $(id).replaceChildren(); $(id).disabled = true; }
  // Every column may take every role; the negative and the score may also be none.
  for (const [id, key, optional] of PAIR_SELECTS) {
    const sel = $(id);
    const chosen = s[key] ?? "";
    const options = s.columns.map((c) => new Option(c, c, false, c === chosen));
    if (optional) options.unshift(new Option("(none)", "", false, chosen === ""));
    sel.replaceChildren(...options);
    sel.disabled = s.columns.length === 0;
  }
  const header = ["first text", "second text", ...(s.negatives ? ["negative"] : []), ...(s.kind === "scored" ? ["score"] : [])];
  fillTable($("preview-table"), header, s.preview);
  fillTable($("class-counts"), null, []);
  const list = $("problem-list");
  list.replaceChildren(...s.problems.map((p) => {
    const li = document.createElement("li");
    li.textContent = p.line ? `line ${p.line}: ${p.message}` : p.message;
    return li;
  }));
  $("problems").hidden = s.problems.length === 0;
}

export async function useDatasetFile(file) {
  if (!file) return;
  // Kept as the File: the engine's library reads it, after refusing one too large to read.
  state.dataset = file;
  for (const id of COLUMN_SELECTS) $(id).replaceChildren();
  $("task").value = "";
  await inspectDataset();
}

export function wireDataset() {
  $("dataset-input").addEventListener("change", (e) => useDatasetFile(e.target.files[0]));
  $("valid-input").addEventListener("change", (e) => {
    state.valid = e.target.files[0] || null;
  });
  $("sample-button").addEventListener("click", async () => {
    const r = await fetch("samples/support-tickets.csv");
    state.dataset = { bytes: new Uint8Array(await r.arrayBuffer()), name: "support-tickets.csv" };
    await inspectDataset();
  });
  for (const id of COLUMN_SELECTS) $(id).addEventListener("change", () => inspectDataset(columnOptions()));
  $("mode").addEventListener("change", async () => {
    const s = state.summary;
    const embedding = $("mode").value === "embedding";
    // Any file can be read as pairs: embedding mode starts from its first two columns, and the
    // pair selects then choose. Leaving it reads the file as labelled texts again (a file whose
    // header names a pair's texts stays a pair file, and the mode says so).
    if (s && embedding && s.kind === "labelled") await inspectDataset({ firstColumn: "1", secondColumn: "2" });
    else if (s && !embedding && s.kind !== "labelled") {
      await inspectDataset({});
      // A file whose header names a pair's texts, in a classifier mode: each pair is one input,
      // its score (or label) the target.
      const p = state.summary;
      if (p && p.kind !== "labelled") {
        await inspectDataset({ textColumn: p.firstColumn || undefined, textPairColumn: p.secondColumn || "2",
          labelColumn: p.scoreColumn || undefined });
      }
    }
    renderModeHint(state.summary);
  });
  $("task").addEventListener("change", () => inspectDataset(columnOptions()));
  $("use-fewshot").addEventListener("click", () => { $("mode").value = "fewshot"; renderModeHint(state.summary); });
}
