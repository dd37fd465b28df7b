// The page's thread-count rule (www/threads.js), in Node: `?threads=` values good and bad, the
// clamp to the cores the browser reports, and the one-thread fallback without isolation.
//   node tests/e2e/threads.test.mjs      (scripts/test runs it)
import assert from "node:assert/strict";
import { chooseThreads, DEFAULT_MAX_THREADS } from "../../www/threads.js";

// No parameter: every core up to the default maximum.
assert.deepEqual(chooseThreads(null, 2, true), { threads: 2, note: "" });
assert.deepEqual(chooseThreads(null, 32, true), { threads: DEFAULT_MAX_THREADS, note: "" });
// Unknown core count: one thread.
assert.equal(chooseThreads(null, undefined, true).threads, 1);
// Forced counts, including beyond the default maximum when the cores are there.
assert.deepEqual(chooseThreads("1", 8, true), { threads: 1, note: "" });
assert.deepEqual(chooseThreads("12", 16, true), { threads: 12, note: "" });
// Bad values: the default, with a message naming the value.
for (const bad of ["0", "abc", "-2", "1.5", "", "1e3", "NaN"]) {
  const r = chooseThreads(bad, 4, true);
  assert.equal(r.threads, 4, bad);
  assert.match(r.note, new RegExp(`^\\?threads=${bad.replace(/[.]/g, "\\.")} is not a whole number from 1 up: using 4$`), bad);
}
// More than the cores: clamped, and said.
assert.deepEqual(chooseThreads("64", 2, true),
  { threads: 2, note: "?threads=64 is more than the 2 cores this browser reports: using 2" });
// Not cross-origin isolated: one thread, and why, whatever was asked.
for (const param of [null, "2"]) {
  const r = chooseThreads(param, 8, false);
  assert.equal(r.threads, 1);
  assert.match(r.note, /the page is not cross-origin isolated \(its host must send Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp\)/);
}
assert.deepEqual(chooseThreads("1", 8, false), { threads: 1, note: "" });
console.log("threads.test.mjs: all checks passed");
