// Fine-tuning benchmark in the browser: the real page, driven like a user would (drop the
// training file, drop a validation file, pick strategy and seed, press Train), on the CPU
// backend in wasm (`?backend=cpu`; WebGPU here is SwiftShader, far too slow for 4 epochs of
// SST-2). Not a test: scripts/bench-browser runs it and writes target/bench/browser-results.json.
//
//   WEBTUNE_PAGE=http://127.0.0.1:8792/ STRATEGIES="head last2" SEEDS="0 1 2" PARALLEL=2 node bench.mjs OUT.json
//
// Each run is its own browser context (its own worker and wasm instance); PARALLEL runs at a
// time. Accuracy is the last epoch's on the validation file (early stopping off), as in
// scripts/bench. BACKENDS="webgpu cpu" with LIMIT_TRAIN / LIMIT_VALID (first rows of each file)
// compares the two backends' examples/s on a set small enough for SwiftShader. THREADS="1 2"
// runs each CPU configuration with `?threads=1` and `?threads=2` (empty: the page's default; the
// page must be served cross-origin isolated for more than one).
import { launchChromium } from "./chromium.mjs";
import { readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const PAGE = process.env.WEBTUNE_PAGE || "http://127.0.0.1:8792/";
const DATA = process.env.DATA || join(here, "../../../shared/data/sst2");
const STRATEGIES = (process.env.STRATEGIES || "head last2").split(/\s+/).filter(Boolean);
const SEEDS = (process.env.SEEDS || "0 1 2").split(/\s+/).filter(Boolean).map(Number);
// EPOCHS=auto leaves epochs and early stopping as the page sets them (the defaults).
const EPOCHS = process.env.EPOCHS || "4";
const PARALLEL = Math.max(1, Number(process.env.PARALLEL || 1));
const BACKENDS = (process.env.BACKENDS || "cpu").split(/\s+/).filter(Boolean);
const THREADS = (process.env.THREADS || "").split(/\s+/).filter(Boolean);
// MODE=fewshot trains the page's few-shot classifier (pairs, then logistic regression) instead of
// a classifier; its strategy is then usually "auto".
const MODE = process.env.MODE || "classify";
const out = process.argv[2] || "browser-results.json";

// The first `limit` data rows of a CSV (header kept), written beside the results; the whole
// file when no limit is set. Returns the path and the number of rows.
function subset(file, limit) {
  const lines = readFileSync(file, "utf8").split("\n").filter((l) => l.length);
  const rows = limit ? lines.slice(0, 1 + limit) : lines;
  if (!limit) return { path: file, rows: rows.length - 1 };
  const path = join(dirname(out), `${limit}-${basename(file)}`);
  writeFileSync(path, rows.join("\n") + "\n");
  return { path, rows: rows.length - 1 };
}
// TRAIN_FILE / VALID_FILE replace SST-2's files; VALID_FILE=none trains without one (the page
// then holds out part of the training file, or cross-validates, as its defaults say).
const train = subset(process.env.TRAIN_FILE || join(DATA, "train-2000.csv"), Number(process.env.LIMIT_TRAIN || 0));
const valid = process.env.VALID_FILE === "none" ? null
  : subset(process.env.VALID_FILE || join(DATA, "dev.csv"), Number(process.env.LIMIT_VALID || 0));

const t0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(0)}s]`, ...a);

// BROWSER_ARGS: more Chromium switches, space-separated, e.g. "--js-flags=--no-wasm-inlining"
// to compare V8's wasm settings (README, "Threads"); recorded in the report.
const BROWSER_ARGS = (process.env.BROWSER_ARGS || "").split(/\s+/).filter(Boolean);
// Runs side by side must not throttle each other as background pages.
const browser = await launchChromium([...BROWSER_ARGS, "--disable-background-timer-throttling", "--disable-renderer-backgrounding"]);
const version = browser.version();

async function run(backend, threads, strategy, seed) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(3 * 3600_000);
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  try {
    await page.goto(`${PAGE}?backend=${backend}${threads ? `&threads=${threads}` : ""}`);
    await page.waitForFunction(() => /ready/.test(document.getElementById("model-status").textContent));
    await page.setInputFiles("#dataset-input", train.path);
    await page.waitForFunction((n) => new RegExp(`${n} examples, \\d+ classes`).test(document.getElementById("dataset-info").textContent), train.rows);
    if (valid) await page.setInputFiles("#valid-input", valid.path);
    if (MODE !== "classify") await page.selectOption("#mode", MODE);
    const k = /^last(\d+)$/.exec(strategy);
    await page.selectOption("#strategy", k ? "last" : strategy);
    if (k) await page.fill("#last-k", k[1]);
    if (EPOCHS !== "auto") await page.fill("#epochs", EPOCHS);
    await page.fill("#batch-size", "32");
    await page.locator("details:has(#seed) > summary").click();
    await page.fill("#seed", String(seed));
    if (EPOCHS !== "auto") await page.fill("#patience", "0");
    // The validation file is read asynchronously after the change event; the run checks below
    // that it was used.
    await page.waitForTimeout(500);
    const start = Date.now();
    await page.click("#train-button");
    await page.waitForFunction(() => /^(Finished|Stopped)/.test(document.getElementById("progress-text").textContent), null, { polling: 1000 });
    const wall = (Date.now() - start) / 1000;
    // What the page shows: the run's line ("last2: 2000 training / 872 validation examples, …")
    // and its table of epochs.
    const info = await page.locator("#run-info").innerText();
    const sizes = /(\d+) training \/ (\d+) validation examples/.exec(info);
    if (!sizes) throw new Error(`no example counts in "${info}"`);
    if (valid && (Number(sizes[2]) !== valid.rows || Number(sizes[1]) !== train.rows)) {
      throw new Error(`expected ${train.rows} training / ${valid.rows} validation examples, got ${sizes[1]} / ${sizes[2]}`);
    }
    const rows = await page.locator("#epochs-table tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    const number = (t) => (t === "–" ? null : parseFloat(t));
    const epochs = rows.map(([epoch, trainLoss, , accuracy, macroF1, trainSeconds, seconds, examplesPerSec]) => ({
      epoch: number(epoch.replace("★ ", "")), train_loss: number(trainLoss), train_seconds: number(trainSeconds),
      seconds: number(seconds), examples_per_sec: number(examplesPerSec), accuracy: number(accuracy) / 100,
      macro_f1: number(macroF1),
    }));
    const last = epochs[epochs.length - 1];
    const later = epochs.slice(1).map((e) => e.train_seconds);
    const result = {
      mode: MODE, requested_backend: backend, requested_threads: threads || null, strategy, seed,
      threads: Number(await page.locator("#backend-status").getAttribute("data-threads")) || null, backend: await page.locator("#backend-status").getAttribute("data-backend"),
      backend_status: await page.locator("#backend-status").innerText(),
      accuracy: last.accuracy, macro_f1: last.macro_f1, epochs,
      first_epoch_seconds: epochs[0].seconds,
      mean_later_epoch_train_seconds: later.length ? later.reduce((a, b) => a + b, 0) / later.length : null,
      run: info, plan: await page.locator("#plan").innerText(), wall_seconds: wall, page_errors: errors,
    };
    log(`${backend}${threads ? ` threads=${threads}` : ""} ${strategy} seed ${seed}: accuracy ${(100 * last.accuracy).toFixed(2)} %, ` +
      `${epochs[0].examples_per_sec.toFixed(1)} examples/s in epoch 1, ` +
      `later epochs ${result.mean_later_epoch_train_seconds?.toFixed(1) ?? "–"} s, wall ${wall.toFixed(0)} s`);
    return result;
  } finally {
    await context.close();
  }
}

const threadSettings = THREADS.length ? THREADS : [""];
const jobs = BACKENDS.flatMap((b) => threadSettings.flatMap((t) => STRATEGIES.flatMap((s) => SEEDS.map((seed) => [b, t, s, seed]))));
const results = [];
let next = 0;
async function worker() {
  while (next < jobs.length) {
    const [b, t, s, seed] = jobs[next++];
    log(`start ${b}${t ? ` threads=${t}` : ""} ${s} seed ${seed}`);
    results.push(await run(b, t, s, seed));
  }
}
await Promise.all(Array.from({ length: Math.min(PARALLEL, jobs.length) }, worker));
await browser.close();

const summary = {};
for (const b of BACKENDS) {
  for (const t of threadSettings) for (const s of STRATEGIES) {
    const rs = results.filter((r) => r.requested_backend === b && (r.requested_threads || "") === t && r.strategy === s).sort((x, y) => x.seed - y.seed);
    summary[`${b}${t ? ` threads=${t}` : ""} ${s}`] = {
      threads: rs.map((r) => r.threads),
      wall_seconds: rs.map((r) => r.wall_seconds),
      accuracy_by_seed: Object.fromEntries(rs.map((r) => [r.seed, r.accuracy])),
      mean_accuracy: rs.reduce((a, r) => a + r.accuracy, 0) / rs.length,
      examples_per_sec: rs.map((r) => r.epochs.map((e) => e.examples_per_sec)),
    };
  }
}
const report = {
  browser: `Chromium ${version}`, browser_args: BROWSER_ARGS, mode: MODE, backends: BACKENDS, threads: THREADS, parallel_runs: PARALLEL, epochs: EPOCHS,
  train: { file: train.path, rows: train.rows }, valid: valid && { file: valid.path, rows: valid.rows }, summary, runs: results,
};
writeFileSync(out, JSON.stringify(report, null, 2));
log("summary", JSON.stringify(summary));
