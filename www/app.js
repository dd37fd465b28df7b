// The page: creates the engine (the `webtune` library, www/webtune.js, the page's only way to it)
// and wires each part of the page, a module each: the model (page-model.js), the dataset view
// (page-dataset.js), training (page-training.js, with the chart), results (page-results.js), try it
// (page-try.js), persistence (page-saved.js); state and helpers in page-state.js and
// page-status.js. Dataset bytes are read with the File API; nothing is sent over the network.
import { Webtune } from "./webtune.js";
import { $, state, updateButtons } from "./page-state.js";
import { showError, hintFor, setBackendStatus } from "./page-status.js";
import { loadModel, wireModel } from "./page-model.js";
import { useDatasetFile, wireDataset } from "./page-dataset.js";
import { refreshCheckpoint, wireTraining } from "./page-training.js";
import { wireTry } from "./page-try.js";
import { importModel, restoreSaved, wireSaved } from "./page-saved.js";

/** Drag and drop anywhere on the page: a zip is a model, anything else a dataset. */
function wireDrop() {
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

/**
 * The engine's worker died (a trap, out of memory, or silent too long): the library has started a
 * new one and is loading the base model into it. Say what happened and what is kept — the
 * interrupted run's checkpoint and the model kept in this browser, restored into the new worker.
 */
async function recover(error, restarted) {
  state.model = null;
  state.modelReady = false;
  updateButtons();
  showError(`${error.message}. A new engine is starting; the last checkpoint of a training and the model kept in this browser are safe`, "");
  $("model-status").textContent = "Restarting the engine…";
  try {
    const backend = await restarted;
    if (backend) {
      state.modelReady = true;
      setBackendStatus(backend);
      $("model-status").textContent = `${state.tuner.modelName} ready again (the engine was restarted).`;
    } else {
      $("model-status").textContent = "The engine was restarted: load the model again.";
    }
  } catch (e) {
    showError(`The engine could not be restarted: ${e.message}`, "reload the page");
    return;
  }
  await restoreSaved();
  await refreshCheckpoint();
  showError(`${error.message}. The engine was restarted${state.checkpoint ? `; the interrupted training can resume after epoch ${state.checkpoint.epochsDone} (below)` : ""}${state.model ? "; the model kept in this browser is back" : ""}.`, "");
  updateButtons();
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
  state.tuner = await Webtune.create({
    model: null, backend: state.backend, threads: params.get("threads") ?? undefined,
    alwaysTrial: params.get("trial") === "always",
    // `?testHooks=1`: the end-to-end test loses the GPU or crashes the engine on purpose.
    testHooks: params.get("testHooks") === "1",
    onCrash: (e, { restarted }) => recover(e, restarted),
  });
  wireModel();
  wireDataset();
  wireTraining();
  wireTry();
  wireSaved();
  wireDrop();
  updateButtons();
  if (!("gpu" in navigator) && state.backend === "webgpu") {
    showError("This browser has no WebGPU", "choose “CPU (WebAssembly)” above");
  }
  await loadModel();
  await restoreSaved();
  state.restoring = false;
  await refreshCheckpoint();
}

main();
