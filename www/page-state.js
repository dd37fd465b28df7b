// The page's state, and the controls it enables. Every page module reads and writes this one object.

/** @type {(id: string) => any} the element with this id */
export const $ = (id) => document.getElementById(id);

export const state = {
  /** @type {import("./webtune.js").Webtune} the engine (created by app.js before anything runs) */
  tuner: /** @type {any} */ (null),
  /** @type {import("./webtune.js").BackendChoice} */
  backend: "auto",
  modelReady: false,
  /** @type {File | {name: string, bytes: Uint8Array} | null} the training file (a File is read by the library) */
  dataset: null,
  /** @type {import("./webtune.js").DatasetSummary | null} how the engine's parser read it */
  summary: null,
  /** @type {import("./webtune.js").DatasetInput | null} the validation file */
  valid: null,
  /** @type {AbortController | null} the running training's */
  training: null,
  restoring: true,    // until the kept model (if any) is back
  /** @type {import("./webtune.js").Model | null} the fine-tuned model (trained, imported or restored) */
  model: null,
  /** @type {any} the training's events so far (kept with the model in this browser) */
  history: { steps: [], epochs: [], started: null },
  /** @type {string | null} */
  predictionsUrl: null,
  /** @type {import("./webtune.js").CheckpointInfo | null} the page's interrupted run, kept in this browser */
  checkpoint: null,
};

export function updateButtons() {
  const usable = state.summary && state.summary.problems.length === 0;
  $("train-button").disabled = !(state.modelReady && usable && !state.training && !state.restoring);
  $("stop-button").disabled = !state.training;
  $("continue-training").disabled = !state.model || state.model.kind !== "classifier" || !!state.training;
  const canPredict = !!state.model && !state.training;
  $("predict-input").disabled = !canPredict;
  $("predict-input").placeholder = canPredict ? "Type a sentence to classify" : "Train or load a model first";
  $("predict-file").disabled = !canPredict;
  $("download-model").disabled = !canPredict;
  $("backend-select").disabled = !!state.training;
  $("resume-button").disabled = !(state.checkpoint && state.dataset && state.modelReady && !state.training && !state.restoring);
  $("discard-checkpoint").disabled = !!state.training;
}
