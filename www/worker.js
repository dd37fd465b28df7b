// The Web Worker that owns the wasm module and the GPU device, so the page never freezes.
// Requests: {id, type, ...}; replies: {id, ok: true, result} or {id, ok: false, message};
// training progress: {type: "progress", event}. It makes no network request of its own except
// loading its module and wasm: model and dataset bytes come from the page.
import init, { initBackend, inspectDataset, WebEngine, WebClassifier, CancelToken } from "./pkg/webtune.js";

const ready = init();
let engine = null;       // the base model
let classifier = null;   // the fine-tuned model (trained, imported or restored)
let modelFiles = null;   // kept to reload the base model on another backend
let modelName = "";
let cancel = null;

const reply = (id, result, transfer = []) => self.postMessage({ id, ok: true, result }, transfer);
const fail = (id, err) => self.postMessage({ id, ok: false, message: String(err && err.message ? err.message : err) });

const handlers = {
  async backend({ backend }) {
    return initBackend(backend);
  },
  async loadModel({ config, tokenizer, weights, backend, name }) {
    modelFiles = { config, tokenizer, weights };
    modelName = name || "";
    engine = await WebEngine.load(config, tokenizer, weights, backend);
    return { backend: engine.backend, hiddenSize: engine.hiddenSize };
  },
  async switchBackend({ backend }) {
    if (modelFiles) {
      engine = await WebEngine.load(modelFiles.config, modelFiles.tokenizer, modelFiles.weights, backend);
    }
    let result = engine ? { backend: engine.backend } : { backend: await initBackend(backend) };
    if (classifier) {
      const zip = await classifier.exportZip(false);
      classifier = await WebClassifier.importZip(zip, backend);
      result.classifier = { labels: classifier.labels };
    }
    return result;
  },
  async inspect({ bytes, name, options }) {
    return inspectDataset(bytes, name, options);
  },
  async train({ train, trainName, valid, request, resume }) {
    if (!engine) throw new Error("no model is loaded yet");
    cancel = new CancelToken();
    const source = resume && classifier ? classifier : engine;
    const onProgress = (event) => self.postMessage({ type: "progress", event });
    const trained = await source.train(train, trainName, valid || undefined, { ...request, baseModel: modelName }, onProgress, cancel);
    classifier = trained;
    cancel = null;
    return { labels: classifier.labels, training: classifier.training };
  },
  async stop() {
    if (cancel) cancel.cancel();
    return {};
  },
  async predict({ texts }) {
    if (!classifier) throw new Error("no trained model yet");
    return classifier.predict(texts);
  },
  async exportModel() {
    if (!classifier) throw new Error("no trained model yet");
    const zip = await classifier.exportZip(false);
    return zip;
  },
  async importModel({ zip, backend }) {
    classifier = await WebClassifier.importZip(zip, backend);
    return { labels: classifier.labels, training: classifier.training, backend: classifier.backend };
  },
};

self.onmessage = async (e) => {
  const { id, type, ...args } = e.data;
  try {
    await ready;
    const handler = handlers[type];
    if (!handler) throw new Error(`unknown request ${type}`);
    const result = await handler(args);
    const transfer = result instanceof Uint8Array ? [result.buffer] : [];
    reply(id, result, transfer);
  } catch (err) {
    fail(id, err);
  }
};
