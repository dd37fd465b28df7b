// The base model: the default one, one from a URL the user chose, or three files from disk; and
// the backend it runs on.
import { DEFAULT_MODEL, MAX_ZIP_BYTES, MODEL_FILES } from "./webtune.js";
import { $, state, updateButtons } from "./page-state.js";
import { showError, clearError, hintFor, setBackendStatus } from "./page-status.js";

export function modelBase() {
  return localStorage.getItem("webtune.modelBase") || DEFAULT_MODEL.base;
}

export async function loadModel() {
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
    await state.tuner.loadModel({ base, name, sha256: isDefault ? DEFAULT_MODEL.sha256 : {} }, {
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
    setBackendStatus(state.tuner.backend);
    state.modelReady = true;
    const total = Object.values(sizes).reduce((a, s) => a + s.total, 0);
    $("model-status").textContent = `${name} ready (${(total / 1e6).toFixed(1)} MB, ${state.tuner.fromCache ? "loaded from cache" : "downloaded and cached"}).`;
    $("model-status").dataset.source = state.tuner.fromCache ? "cache" : "network";
  } catch (e) {
    $("model-status").textContent = `Model not loaded: ${e.message}`;
    showError(`Model not loaded: ${e.message}`, hintFor(e));
  }
  updateButtons();
}

export async function loadModelFromDisk(fileList) {
  const byName = {};
  for (const f of fileList) byName[f.name] = f;
  const missing = MODEL_FILES.filter((f) => !byName[f]);
  if (missing.length) return showError(`Choose all three files: missing ${missing.join(", ")}`);
  // Refused by size before a byte is read: gigabytes of weights would crash the tab.
  const total = MODEL_FILES.reduce((sum, f) => sum + byName[f].size, 0);
  if (total > MAX_ZIP_BYTES) {
    return showError(`Model not loaded: its files are ${(total / 1e6).toFixed(1)} MB; the limit is ${MAX_ZIP_BYTES / (1024 * 1024)} MB in a browser tab`);
  }
  const [config, tokenizer, weights] = await Promise.all(MODEL_FILES.map(async (f) => new Uint8Array(await byName[f].arrayBuffer())));
  $("model-status").textContent = "Preparing the model from your files…";
  try {
    await state.tuner.loadModel({ files: { config, tokenizer, weights }, name: "local files" });
    setBackendStatus(state.tuner.backend);
    state.modelReady = true;
    $("model-status").textContent = "Model from your files ready.";
  } catch (e) {
    showError(`Model not loaded: ${e.message}`, hintFor(e));
  }
  updateButtons();
}

export function wireModel() {
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
      setBackendStatus(await state.tuner.switchBackend(state.backend));
    } catch (err) {
      showError(`Could not switch backend: ${err.message}`, hintFor(err));
    }
  });
}
