// Training checkpoints in IndexedDB, by key: the worker writes a run's newest after each epoch
// and deletes it when the run finishes; the library lists and deletes them for the page. A
// checkpoint holds the trainable weights, the optimiser's state and the history, and of the data
// only each file's name, size and SHA-256 — never its text. Nothing here leaves the browser.
const DB = "webtune-checkpoints";
// The bytes and what they are, apart: listing reads the small records only.
const BYTES = "bytes";
const INFO = "info";

/** @returns {Promise<IDBDatabase>} */
function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore(BYTES);
      req.result.createObjectStore(INFO);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/**
 * @template T
 * @param {IDBTransactionMode} mode
 * @param {(bytes: IDBObjectStore, info: IDBObjectStore) => IDBRequest<T> | void} fn
 * @returns {Promise<T | undefined>}
 */
async function tx(mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction([BYTES, INFO], mode);
    const req = fn(t.objectStore(BYTES), t.objectStore(INFO));
    t.oncomplete = () => { db.close(); resolve(req ? req.result : undefined); };
    t.onerror = () => { db.close(); reject(t.error); };
    t.onabort = () => { db.close(); reject(t.error || new Error("the checkpoint transaction was aborted")); };
  });
}

/**
 * What a kept checkpoint is, without its bytes.
 * @typedef {object} CheckpointInfo
 * @property {string} key
 * @property {number} epochsDone  epochs finished: a resumed run continues with the next
 * @property {number} epochs  the run's epochs
 * @property {number} step
 * @property {number} totalSteps
 * @property {number | null} bestEpoch
 * @property {Array<{name: string, bytes: number, sha256: string}>} files  the training (and validation) file
 * @property {Record<string, unknown>} request  the run's training options (a resume uses them again)
 * @property {string} savedAt  ISO time
 * @property {number} bytes  the checkpoint's size
 */

/** Keeps `bytes` as the checkpoint under `key` (replacing the last), with its `info`. */
export const putCheckpoint = (/** @type {string} */ key, /** @type {Uint8Array} */ bytes,
  /** @type {CheckpointInfo} */ info) => tx("readwrite", (b, i) => { b.put(bytes, key); i.put(info, key); });

/** The bytes of the checkpoint under `key`, or undefined. */
export const getCheckpoint = (/** @type {string} */ key) =>
  /** @type {Promise<Uint8Array | undefined>} */ (tx("readonly", (b) => b.get(key)));

/** Every kept checkpoint's info. */
export async function listCheckpoints() {
  return /** @type {CheckpointInfo[]} */ ((await tx("readonly", (_, i) => i.getAll())) || []);
}

/** Deletes the checkpoint under `key` (nothing if there is none). */
export const deleteCheckpoint = (/** @type {string} */ key) =>
  tx("readwrite", (b, i) => { b.delete(key); i.delete(key); });
