// The README's example: a page that fine-tunes a classifier on a file the user picks, with the
// `webtune` library. HTML: <input type="file"> <button id="stop">Stop</button> <pre></pre>.
import { Webtune, WebtuneError } from "webtune";

const out = /** @type {HTMLElement} */ (document.querySelector("pre"));
const tuner = await Webtune.create({ model: { base: "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/main/" } });
const stop = new AbortController(); // Stop keeps the best model so far
document.querySelector("#stop")?.addEventListener("click", () => stop.abort());
document.querySelector("input")?.addEventListener("change", async (e) => {
  const file = /** @type {HTMLInputElement} */ (e.target).files?.[0];
  if (!file) return;
  try {
    const model = await tuner.train(file, { strategy: "last2" }, {
      signal: stop.signal,
      onProgress: (ev) => { if (ev.type === "epoch") out.textContent += `epoch ${ev.epoch}: accuracy ${ev.valid?.accuracy}\n`; },
    });
    const [p] = await model.predict(["I was charged twice"]);
    out.textContent += `${p.label} ${p.probabilities}\n`;
    const zip = await model.exportZip(); // sentence-transformers' layout: Python loads it as it is
    location.href = URL.createObjectURL(new Blob([zip], { type: "application/zip" }));
  } catch (err) {
    out.textContent += err instanceof WebtuneError && err.kind === "dataset" ? `fix the file: ${err.message}` : String(err);
  }
});
