// The dataset view: a dropped file as the engine's parser reads it (columns, preview, classes,
// every problem with its line), and the validation file.
import { $, state, updateButtons } from "./page-state.js";
import { clearError, fillTable } from "./page-status.js";

export function columnOptions() {
  return { textColumn: $("text-column").value || undefined, labelColumn: $("label-column").value || undefined };
}

export async function inspectDataset(options = {}) {
  if (!state.dataset) return;
  clearError();
  const { bytes, name } = state.dataset;
  try {
    const s = await state.tuner.inspect({ name, bytes }, options);
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

export function renderSummary(s) {
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

export async function useDatasetFile(file) {
  if (!file) return;
  state.dataset = { bytes: new Uint8Array(await file.arrayBuffer()), name: file.name };
  $("text-column").replaceChildren();
  $("label-column").replaceChildren();
  await inspectDataset();
}

export function wireDataset() {
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
}
