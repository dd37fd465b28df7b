// Memory over a long run in the browser: trains `last2` through the library (www/webtune.js) in
// headless Chromium and records, every SAMPLE_EVERY steps, what each `step` event reports of the
// tab's memory — the wasm module's linear memory (it grows and never shrinks, so a leak is
// growth that never stops) and, on WebGPU, burn's device memory pool (reserved and in use). For
// each: the step of its last growth and how many steps followed without one (a high-water mark
// that stops rising is flat), and as the native benchmark judges RSS (scripts/bench), after a
// warm-up fifth, the medians of the two halves and a least-squares slope per 100 steps.
//
//   node tests/e2e/memory.mjs OUT.json      (./scripts/bench-browser memory runs it)
//
// Environment: WEBTUNE_PAGE (the page's origin, serving /test = tests/e2e/fixtures and
// /data = ../shared/data), BACKENDS (default "cpu webgpu"), and per backend
// STEPS_<BACKEND> / BATCH_<BACKEND> / THREADS_<BACKEND> / ROWS_<BACKEND> / VALID_ROWS_<BACKEND>
// (defaults: 500 steps of batch 32 over the whole of train-2000.csv, validated on dev.csv; WebGPU
// here is SwiftShader, a software adapter: give it a smaller batch and fewer rows).
import { writeFileSync } from "node:fs";
import { launchChromium } from "./chromium.mjs";

const PAGE = process.env.WEBTUNE_PAGE;
const out = process.argv[2];
if (!PAGE || !out) throw new Error("usage: WEBTUNE_PAGE=http://host:port/ node tests/e2e/memory.mjs OUT.json");
const BACKENDS = (process.env.BACKENDS || "cpu webgpu").split(/\s+/).filter(Boolean);
const SAMPLE_EVERY = Number(process.env.SAMPLE_EVERY || 25);
const setting = (name, backend, fallback) => process.env[`${name}_${backend.toUpperCase()}`] || fallback;
const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

/** The last growth; warm-up fifth dropped, medians of the halves and the slope per 100 steps. */
function trend(samples) {
  if (samples.length < 6) return null;
  let lastGrowth = samples[0][0];
  samples.forEach(([step, v], i) => { if (i > 0 && v > samples[i - 1][1]) lastGrowth = step; });
  const end = samples[samples.length - 1][0];
  const after = samples.slice(Math.floor(samples.length / 5));
  const half = Math.floor(after.length / 2);
  const median = (v) => { const s = [...v].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
  const xs = after.map(([x]) => x), ys = after.map(([, y]) => y);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length, my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  return {
    last_growth_step: lastGrowth, steps_without_growth: end - lastGrowth, final_bytes: samples[samples.length - 1][1],
    first_half_median_bytes: median(ys.slice(0, half)), second_half_median_bytes: median(ys.slice(half)),
    slope_bytes_per_100_steps: slope * 100, min_bytes: Math.min(...ys), max_bytes: Math.max(...ys),
  };
}

async function run(browser, backend) {
  const steps = Number(setting("STEPS", backend, 500));
  const batch = Number(setting("BATCH", backend, 32));
  const threads = setting("THREADS", backend, "");
  const rows = Number(setting("ROWS", backend, 2000));
  const validRows = Number(setting("VALID_ROWS", backend, 872));
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(3 * 3600_000);
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.text().startsWith("memory:")) log(`  ${m.text()}`); });
  try {
    await page.goto(new URL("test/library.html", PAGE).href);
    log(`${backend}: ${steps} steps of batch ${batch}${threads ? `, ${threads} threads` : ""}, ${rows} rows (${validRows} to validate)`);
    const r = await page.evaluate(async ({ backend, steps, batch, threads, every, rows, validRows }) => {
      const { Webtune } = await import("/webtune.js");
      // The header and the first `n` rows (no SST-2 text has a line break).
      const head = async (path, n) => (await (await fetch(path)).text()).split("\n").slice(0, n + 1).join("\n") + "\n";
      // Epochs of train-2000.csv's first `rows` enough for `steps`, validated on dev.csv's each epoch.
      const train = new File([await head("/data/sst2/train-2000.csv", rows)], "train-2000.csv");
      const valid = new File([await head("/data/sst2/dev.csv", validRows)], "dev.csv");
      const perEpoch = Math.ceil(rows / batch);
      const tuner = await Webtune.create({
        model: { base: "/models/all-MiniLM-L6-v2/", name: "all-MiniLM-L6-v2" }, backend,
        ...(threads ? { threads: Number(threads) } : {}),
      });
      const samples = [];
      let last = null;
      const started = performance.now();
      const model = await tuner.train(train, {
        strategy: "last2", epochs: Math.ceil(steps / perEpoch), batchSize: batch, patience: 0, seed: 0,
      }, {
        validation: valid,
        onProgress: (ev) => {
          if (ev.type === "started") console.log(`memory: started, ${ev.totalSteps} steps (cache: ${ev.cache.enabled ? ev.cache.what : "off"})`);
          if (ev.type !== "step" || !ev.memory) return;
          last = [ev.step, ev.memory];
          if (ev.step === 1 || ev.step % every === 0) samples.push(last);
          if (ev.step % (every * 4) === 0 || ev.step === 1) {
            console.log(`memory: step ${ev.step} of ${ev.totalSteps}, wasm ${(ev.memory.wasmBytes / 1048576).toFixed(0)} MiB`);
          }
        },
      });
      if (last && samples[samples.length - 1][0] !== last[0]) samples.push(last);
      const result = {
        backend: tuner.backend, steps: last ? last[0] : 0, seconds: (performance.now() - started) / 1000,
        accuracy: model.training.epochs.at(-1).valid?.accuracy ?? null, samples,
      };
      await model.dispose();
      return result;
    }, { backend, steps, batch, threads, every: SAMPLE_EVERY, rows, validRows });
    if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
    const series = (key) => r.samples.filter(([, m]) => m[key] != null).map(([s, m]) => [s, m[key]]);
    const wasm = series("wasmBytes"), pool = series("gpuPoolReservedBytes"), inUse = series("gpuPoolInUseBytes");
    const result = {
      requested_backend: backend, batch, rows, valid_rows: validRows, backend: r.backend, steps: r.steps, seconds: r.seconds, accuracy: r.accuracy,
      wasm_memory: { samples: wasm, trend: trend(wasm) },
      gpu_pool_reserved: pool.length ? { samples: pool, trend: trend(pool) } : null,
      gpu_pool_in_use: inUse.length ? { samples: inUse, trend: trend(inUse) } : null,
    };
    const mb = (b) => (b / 1048576).toFixed(1);
    const say = (name, t) => t && log(`  ${name}: ${mb(t.final_bytes)} MiB, last grew at step ${t.last_growth_step} ` +
      `(${t.steps_without_growth} steps without growth); halves ${mb(t.first_half_median_bytes)} / ${mb(t.second_half_median_bytes)} MiB, ` +
      `slope ${mb(t.slope_bytes_per_100_steps)} MiB per 100 steps, range ${mb(t.min_bytes)}–${mb(t.max_bytes)} MiB`);
    log(`${backend}: ${r.steps} steps in ${r.seconds.toFixed(0)} s on ${r.backend.backend}${r.backend.adapter ? ` (${r.backend.adapter.name})` : ""}`);
    say("wasm memory", result.wasm_memory.trend);
    say("GPU pool reserved", result.gpu_pool_reserved?.trend);
    say("GPU pool in use", result.gpu_pool_in_use?.trend);
    return result;
  } finally {
    await context.close();
  }
}

const browser = await launchChromium(["--disable-background-timer-throttling", "--disable-renderer-backgrounding"]);
const version = browser.version();
const runs = [];
try {
  for (const backend of BACKENDS) runs.push(await run(browser, backend));
} finally {
  await browser.close();
}
writeFileSync(out, JSON.stringify({ browser: `Chromium ${version}`, sample_every: SAMPLE_EVERY, runs }, null, 2));
log(`wrote ${out}`);
