// Promise-based calls into the worker, plus a progress listener.
export class WorkerClient {
  constructor(url) {
    this.worker = new Worker(url, { type: "module" });
    this.pending = new Map();
    this.nextId = 1;
    this.onProgress = () => {};
    this.onCrash = () => {};
    this.worker.onmessage = (e) => {
      const msg = e.data;
      if (msg.type === "progress") return this.onProgress(msg.event);
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(msg.message));
    };
    this.worker.onerror = (e) => {
      const err = new Error(e.message || "the worker stopped");
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      this.onCrash(err);
    };
  }

  call(type, args = {}, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, type, ...args }, transfer);
    });
  }
}
