// Errors, the advice for each kind of failure, the backend line, and small formatting helpers.
import { $ } from "./page-state.js";

export function showError(message, hint = "") {
  const b = $("error-banner");
  b.textContent = hint ? `${message} — ${hint}` : message;
  b.hidden = false;
}

export function clearError() { $("error-banner").hidden = true; }

/** What to do about a failure, by its kind (see webtune.js, `ErrorKind`). */
export function hintFor(err) {
  switch (err && err.kind) {
    case "backend": return err.backend && err.backend.deviceLost
      ? "the GPU was lost (a driver reset, sleep, or the GPU taken away): the engine now runs on the CPU; Resume below continues the training there"
      : "the device is unusable or failed (no WebGPU, or out of memory): choose “CPU (WebAssembly)” above, or a smaller batch size";
    case "network": return "check the address and your connection, then load the model again";
    case "worker": return "the engine stopped (often out of memory) and was restarted; a smaller batch size may help";
    case "dataset": return "fix the file (the message names the line) and drop it again";
    case "model": return "the model's files are not a BERT model webtune can read";
    default: return "";
  }
}

export function describeBackend(info) {
  if (!info) return "Backend: unknown";
  if (info.backend === "wgpu") {
    const a = info.adapter || {};
    const name = [a.vendor, a.architecture].filter(Boolean).join(" ") || a.name || "unnamed adapter";
    const kind = a.isFallback ? "software adapter" : (a.deviceType === "other" ? "GPU" : `${a.deviceType} GPU`);
    return `Backend: WebGPU on ${name} (${kind})${info.reason ? " — " + info.reason : ""}`;
  }
  const n = info.threads || 1;
  const threads = `${n} thread${n === 1 ? "" : "s"}${info.threadsNote ? ": " + info.threadsNote : ""}`;
  return `Backend: CPU (WebAssembly, ${threads})${info.reason ? " — " + info.reason : ""}`;
}

export function setBackendStatus(info) {
  $("backend-status").textContent = describeBackend(info);
  $("backend-status").dataset.backend = info ? info.backend : "";
  $("backend-status").dataset.threads = info && info.backend === "cpu" ? String(info.threads || 1) : "";
}

export function fillTable(table, header, rows) {
  table.replaceChildren();
  if (header) {
    const tr = table.createTHead().insertRow();
    for (const h of header) { const th = document.createElement("th"); th.textContent = h; tr.appendChild(th); }
  }
  const body = table.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    for (const c of r) {
      const td = tr.insertCell();
      td.textContent = String(c).length > 140 ? String(c).slice(0, 140) + "…" : String(c);
    }
  }
}

export function fmtSeconds(s) {
  if (!Number.isFinite(s)) return "–";
  return s < 90 ? `${Math.round(s)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}
