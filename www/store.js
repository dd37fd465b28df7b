// Keeps the last trained model (its exported zip) and its training history in IndexedDB, so a
// reload does not lose them. Nothing here leaves the browser.
const DB = "webtune";
const STORE = "saved";

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const req = fn(t.objectStore(STORE));
    t.oncomplete = () => { db.close(); resolve(req && req.result); };
    t.onerror = () => { db.close(); reject(t.error); };
  });
}

/** Saves `{zip: Uint8Array, history: object, savedAt: string, labels: string[]}`. */
export const saveModel = (entry) => tx("readwrite", (s) => s.put(entry, "last"));
export const loadSaved = () => tx("readonly", (s) => s.get("last"));
export const clearSaved = () => tx("readwrite", (s) => s.delete("last"));
