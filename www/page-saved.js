// Persistence: the model kept in this browser (IndexedDB) across reloads, and the model as a
// zip to download or to load back.
import { saveModel, loadSaved, clearSaved } from "./store.js";
import { $, state, updateButtons } from "./page-state.js";
import { showError, clearError } from "./page-status.js";
import { clearRun, replayHistory } from "./page-training.js";
import { runPrediction } from "./page-try.js";

/** Makes `model` the page's model, freeing the one it replaces. */
export async function useModel(model) {
  const old = state.model;
  state.model = model;
  if (old && old !== model) await old.dispose().catch(() => {});
}

export async function persistModel() {
  try {
    const zip = await state.model.exportZip();
    await saveModel({ zip, history: state.history, labels: state.model.labels, savedAt: new Date().toISOString() });
    renderSaved({ savedAt: new Date().toISOString(), labels: state.model.labels });
  } catch (e) {
    $("saved-status").textContent = `Could not keep the model in this browser: ${e.message}`;
  }
}

export function renderSaved(entry) {
  $("saved-status").textContent = entry
    ? `Kept in this browser: the model trained ${new Date(entry.savedAt).toLocaleString()} (${entry.labels.length ? entry.labels.join(", ") : "an embedding model"}).`
    : "Nothing kept in this browser.";
  $("clear-saved").hidden = !entry;
}

export async function restoreSaved() {
  let entry;
  try { entry = await loadSaved(); } catch { entry = null; }
  renderSaved(entry);
  if (!entry) return;
  try {
    await useModel(await state.tuner.importZip(entry.zip));
  } catch (e) {
    $("saved-status").textContent = `The kept model could not be restored: ${e.message}`;
    return updateButtons();
  }
  runPrediction(); // shows the search box for an embedding model
  if (entry.history && entry.history.started) {
    try {
      state.history = entry.history;
      replayHistory(state.history);
      $("progress-text").textContent = "Restored the last trained model and its training history.";
    } catch {
      // A history kept by an older page (other field names): the model is back without it.
      clearRun();
      $("progress-text").textContent = "Restored the last trained model (its training history could not be shown).";
    }
  }
  updateButtons();
}

export async function downloadModel() {
  try {
    const zip = await state.model.exportZip();
    const url = URL.createObjectURL(new Blob([zip], { type: "application/zip" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = state.model.kind === "embedding" ? "webtune-embedding.zip" : "webtune-model.zip";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (e) {
    showError(`Export failed: ${e.message}`);
  }
}

export async function importModel(file) {
  if (!file) return;
  clearError();
  try {
    const model = await state.tuner.importZip(file);
    await useModel(model);
    clearRun(); // the views showed the previous run, not this model's
    $("progress-text").textContent = model.kind === "embedding"
      ? `Loaded ${file.name}: an embedding model (semantic search below).`
      : `Loaded ${file.name}: ${model.labels.length} classes (${model.labels.join(", ")}).`;
    await persistModel();
  } catch (e) {
    showError(`Could not load ${file.name}: ${e.message}`);
  }
  updateButtons();
  runPrediction();
}

export function wireSaved() {
  $("download-model").addEventListener("click", downloadModel);
  $("model-zip").addEventListener("change", (e) => importModel(e.target.files[0]));
  $("clear-saved").addEventListener("click", async () => { await clearSaved(); renderSaved(null); });
}
