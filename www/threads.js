// How many threads the CPU backend gets, from the page's `?threads=` and what the browser allows.
// Pure (no DOM), so the rule is the same wherever it is read and can be tested in Node.

/** Threads by default: every core the browser reports, up to this many (rayon's gains flatten
 * beyond it, and each thread is a Web Worker holding the module). */
export const DEFAULT_MAX_THREADS = 8;

/** The headers a host must send for threads (the workers share the module's memory). */
export const ISOLATION_HEADERS =
  "Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp";

/**
 * @param {string|null} param  the page's `?threads=` value (null when absent)
 * @param {number} cores       navigator.hardwareConcurrency (0 or undefined when unknown)
 * @param {boolean} isolated   self.crossOriginIsolated: SharedArrayBuffer, hence wasm threads
 * @returns {{threads: number, note: string}} the thread count, and why when it is not what was asked
 */
export function chooseThreads(param, cores, isolated) {
  const available = Number.isInteger(cores) && cores > 0 ? cores : 1;
  let threads = Math.min(available, DEFAULT_MAX_THREADS);
  const notes = [];
  if (param !== null && param !== undefined) {
    const text = String(param).trim();
    const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n) || n < 1) {
      notes.push(`?threads=${text} is not a whole number from 1 up: using ${threads}`);
    } else if (n > available) {
      threads = available;
      notes.push(`?threads=${n} is more than the ${available} cores this browser reports: using ${available}`);
    } else {
      threads = n;
    }
  }
  if (threads > 1 && !isolated) {
    threads = 1;
    notes.push(`the page is not cross-origin isolated (its host must send ${ISOLATION_HEADERS})`);
  }
  return { threads, note: notes.join("; ") };
}
