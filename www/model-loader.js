// Fetches a model's three files with download progress, checks them, and keeps them in Cache
// Storage so the next visit loads from disk without a network request.

export const DEFAULT_MODEL = {
  name: "all-MiniLM-L6-v2",
  base: "models/all-MiniLM-L6-v2/",
  // sha256 of model.safetensors (checked before use, from the network or the cache).
  sha256: { "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db" },
};
export const FILES = ["config.json", "tokenizer.json", "model.safetensors"];
const CACHE = "webtune-models-v1";

async function sha256Hex(bytes) {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Reads a Response body into bytes, reporting `onBytes(received, total)`. */
async function readWithProgress(response, onBytes) {
  const total = Number(response.headers.get("Content-Length")) || 0;
  if (!response.body) {
    const buf = new Uint8Array(await response.arrayBuffer());
    onBytes(buf.length, buf.length);
    return buf;
  }
  const reader = response.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onBytes(received, total);
  }
  const out = new Uint8Array(received);
  let offset = 0;
  for (const c of chunks) { out.set(c, offset); offset += c.length; }
  return out;
}

/**
 * Loads `FILES` from `base` (relative to the page or absolute). `onProgress({file, received,
 * total, fromCache})`. Resolves to `{files: {name: Uint8Array}, fromCache: boolean}`.
 * @param {string} base
 * @param {{sha256?: Record<string, string>, onProgress?: (p: {file: string, received: number, total: number, fromCache: boolean}) => void}} [options]
 * @returns {Promise<{files: Record<string, Uint8Array>, fromCache: boolean}>}
 */
export async function loadModelFiles(base, { sha256 = {}, onProgress = () => {} } = {}) {
  const cache = "caches" in self ? await caches.open(CACHE).catch(() => null) : null;
  /** @type {Record<string, Uint8Array>} */
  const files = {};
  let allCached = true;
  // Sizes first so one progress bar covers all three files.
  for (const name of FILES) {
    const url = new URL(name, new URL(base, location.href)).href;
    let response = cache ? await cache.match(url) : undefined;
    const fromCache = !!response;
    if (!response) {
      allCached = false;
      try {
        response = await fetch(url, { credentials: "omit", referrerPolicy: "no-referrer" });
      } catch (e) {
        throw new Error(`could not download ${url}: ${e.message} (offline, or blocked by the page's security policy)`);
      }
      if (!response.ok) throw new Error(`could not download ${url}: HTTP ${response.status}`);
    }
    const bytes = await readWithProgress(response, (received, total) => onProgress({ file: name, received, total, fromCache }));
    if (sha256[name]) {
      const got = await sha256Hex(bytes);
      if (got !== sha256[name]) {
        if (cache) await cache.delete(url);
        throw new Error(`${name} from ${url} is corrupt (sha256 ${got.slice(0, 12)}…, expected ${sha256[name].slice(0, 12)}…)`);
      }
    }
    if (cache && !fromCache) {
      await cache.put(url, new Response(bytes, { headers: { "Content-Type": "application/octet-stream", "Content-Length": String(bytes.length) } }))
        .catch(() => { /* a full disk only costs the next visit a download */ });
    }
    files[name] = bytes;
  }
  return { files, fromCache: allCached };
}
